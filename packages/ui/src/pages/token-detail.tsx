import type { AclToken } from '@tollgate/client';
import { api } from '../api';
import { DetailTitle, ErrorBox, Facts, Loading, Time, useLoad, useTitle } from '../components';
import { href, navigate } from '../router';
import { PolicyLinks, RoleLinks } from './links';

/**
 * One token: its fields, policies and roles as links, expiry. The SecretID is never
 * shown here (only once, at creation).
 */
export function TokenDetailPage({ id }: { id: string }) {
  useTitle(`Token ${id.slice(0, 8)}`);
  const token = useLoad(() => api().readToken(id), [id]);
  // Lineage and Meta (token leases, issue 13) are shown when the agent sends them.
  const t = token.data?.data as (AclToken & { ParentAccessorID?: string; Meta?: Readonly<Record<string, string>> }) | undefined;
  return (
    <section>
      <p class="crumbs">
        <a href={href('/tokens')}>Tokens</a> /
      </p>
      <ErrorBox error={token.error} />
      {token.loading && t === undefined && <Loading what="the token" />}
      {t && (
        <>
          <DetailTitle
            title={t.Name || '(no name)'}
            editPath={`/tokens/${encodeURIComponent(t.AccessorID)}/edit`}
            remove={{
              label: 'Revoke',
              confirm: 'Revoke token',
              question: (
                <>
                  Revoke <strong>{t.Name || t.AccessorID}</strong>? Requests made with it are refused at once
                  {t.Global ? ', in every region' : ''}. This cannot be undone.
                </>
              ),
              onConfirm: async () => {
                await api().deleteToken(t.AccessorID);
                navigate('/tokens');
              },
            }}
          />
          <Facts
            rows={[
              ['Accessor ID', <code>{t.AccessorID}</code>],
              ['Type', t.Type],
              [
                'Policies',
                t.Type === 'management' ? <span class="muted">all access (management)</span> : <PolicyLinks names={t.Policies ?? []} />,
              ],
              ['Roles', <RoleLinks roles={t.Roles} />],
              ['Scope', t.Global ? 'global (replicated to every region)' : 'local (this region only)'],
              ['Created', <Time value={t.CreateTime} />],
              ['Expires', <Time value={t.ExpirationTime} />],
              ...(t.ParentAccessorID
                ? [['Parent', <a class="mono" href={href(`/tokens/${encodeURIComponent(t.ParentAccessorID)}`)}>{t.ParentAccessorID}</a>] as const]
                : []),
              ...(t.Meta && Object.keys(t.Meta).length > 0
                ? [['Meta', <ul class="inline">{Object.entries(t.Meta).map(([k, v]) => <li key={k}><code>{k}={v}</code></li>)}</ul>] as const]
                : []),
              ['Create / modify index', `${t.CreateIndex} / ${t.ModifyIndex}`],
            ]}
          />
        </>
      )}
    </section>
  );
}
