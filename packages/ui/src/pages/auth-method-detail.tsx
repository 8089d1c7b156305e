import type { ComponentChildren } from 'preact';
import type { AclAuthMethod } from '@tollgate/client';
import { api } from '../api';
import { DetailTitle, ErrorBox, Facts, Loading, Time, useLoad, useTitle } from '../components';
import { href, navigate } from '../router';
import { BindingRuleTable } from './binding-rules';

/**
 * An auth method: its settings and its binding rules. The OIDC client
 * secret is never shown (the agent answers `redacted`; the page says only
 * whether one is set).
 */
export function AuthMethodDetailPage({ name }: { name: string }) {
  useTitle(`Auth method ${name}`);
  const method = useLoad(() => api().readAuthMethod(name), [name]);
  const rules = useLoad(() => api().listBindingRules({ filter: `AuthMethod == ${JSON.stringify(name)}` }), [name]);
  const m = method.data?.data;
  return (
    <section>
      <p class="crumbs">
        <a href={href('/auth-methods')}>Auth methods</a> /
      </p>
      <ErrorBox error={method.error} />
      {method.loading && m === undefined && <Loading what="the auth method" />}
      {m && (
        <>
          <DetailTitle
            title={m.Name}
            editPath={`/auth-methods/${encodeURIComponent(m.Name)}/edit`}
            remove={{
              label: 'Delete',
              confirm: 'Delete auth method',
              question: (
                <>
                  Delete auth method <strong>{m.Name}</strong>? Logins through it stop at once, in every region. Its binding rules
                  stay but match nothing; tokens it made stay valid.
                </>
              ),
              onConfirm: async () => {
                await api().deleteAuthMethod(m.Name);
                navigate('/auth-methods');
              },
            }}
          />
          <Facts
            rows={[
              ['Type', m.Type],
              ['Display name', m.DisplayName || <span class="muted">—</span>],
              ['Default', m.Default ? 'yes (tollgate login uses it without -method)' : 'no'],
              ['Token locality', m.TokenLocality],
              ['Max token TTL', m.MaxTokenTTL],
              ['Token name format', <code>{m.TokenNameFormat}</code>],
              ['Modified', <Time value={m.ModifyTime} empty="—" />],
              ['Create / modify index', `${m.CreateIndex} / ${m.ModifyIndex}`],
            ]}
          />
          <h2>Config</h2>
          <Facts rows={configRows(m.Config)} />
        </>
      )}
      <h2>Binding rules</h2>
      <ErrorBox error={rules.error} title="Binding rules:" />
      {rules.data && <BindingRuleTable rules={rules.data.data} />}
    </section>
  );
}

/** The settings that are set, the client secret as set/not set only. */
function configRows(config: AclAuthMethod['Config']): Array<readonly [string, ComponentChildren]> {
  const rows: Array<readonly [string, ComponentChildren]> = [];
  for (const [k, v] of Object.entries(config) as Array<[string, unknown]>) {
    if (k === 'OIDCClientSecret') {
      rows.push([k, <span class="muted">{v ? 'set (never shown)' : 'not set'}</span>]);
      continue;
    }
    if (v === '' || v === null || v === undefined || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    rows.push([k, typeof v === 'string' && !v.includes('\n') ? <code>{v}</code> : <pre class="code">{typeof v === 'string' ? v : JSON.stringify(v, null, 2)}</pre>]);
  }
  return rows;
}
