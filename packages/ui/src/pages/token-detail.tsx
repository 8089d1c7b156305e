import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import type { AclToken } from '@tollgate/client';
import { api } from '../api';
import { DetailTitle, ErrorBox, Facts, Loading, Time, useLoad, useSubmit, useTitle } from '../components';
import { href, navigate } from '../router';
import { PolicyLinks, RoleLinks } from './links';
import { TokenTable } from './tokens';

/**
 * One token: its fields, policies and roles as links, expiry and renewal,
 * parent and children (token lifecycle), Meta. The SecretID is never shown
 * here (only once, at creation).
 */
export function TokenDetailPage({ id }: { id: string }) {
  useTitle(`Token ${id.slice(0, 8)}`);
  const token = useLoad(() => api().readToken(id), [id]);
  const children = useLoad(() => api().tokenChildren(id), [id]);
  // A renewal answers the renewed token: shown at once, until a newer read of the token.
  const [renewed, setRenewed] = useState<{ id: string; token: AclToken }>();
  const loaded = token.data?.data;
  const t = renewed?.id === id && renewed.token.ModifyIndex >= (loaded?.ModifyIndex ?? 0) ? renewed.token : loaded;
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
                  {t.Global ? ', in every region' : ''}
                  {t.Orphan ? '' : ', and so are its children'}. This cannot be undone.
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
              ['Expires', <span id="token-expires"><Time value={t.ExpirationTime} /></span>],
              ...optionalRow('Max TTL', t.ExplicitMaxTTL, <code>{t.ExplicitMaxTTL}</code>),
              ...optionalRow('Period', t.Period, <code>{t.Period}</code>),
              [
                'Parent',
                t.ParentAccessorID ? (
                  <a class="mono" id="token-parent" href={href(`/tokens/${encodeURIComponent(t.ParentAccessorID)}`)}>
                    {t.ParentAccessorID}
                  </a>
                ) : (
                  <span class="muted">none</span>
                ),
              ],
              ['Orphan', t.Orphan ? 'yes (stays when its parent is revoked)' : 'no (revoked with its parent)'],
              ['Create / modify index', `${t.CreateIndex} / ${t.ModifyIndex}`],
            ]}
          />
          <RenewForm accessor={t.AccessorID} onRenewed={(tok) => setRenewed({ id, token: tok })} />
          <h2>Meta</h2>
          <MetaTable meta={t.Meta} />
          <h2>Children</h2>
          <ErrorBox error={children.error} />
          {children.loading && children.data === undefined && <Loading what="the children" />}
          {children.data && <TokenTable tokens={children.data.data} />}
        </>
      )}
    </section>
  );
}

function optionalRow(label: string, value: string | undefined, shown: ComponentChildren): Array<readonly [string, ComponentChildren]> {
  return value ? [[label, shown] as const] : [];
}

/** A token's free metadata as a key/value table. */
function MetaTable({ meta }: { meta: Readonly<Record<string, string>> | undefined }) {
  const entries = Object.entries(meta ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return <p class="muted">No metadata.</p>;
  return (
    <div class="table-wrap">
      <table id="token-meta">
        <thead>
          <tr>
            <th>Key</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <td>
                <code>{k}</code>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Renews the token's lease (`POST …/renew`, optional Increment); the agent's refusal is shown in its words. */
function RenewForm({ accessor, onRenewed }: { accessor: string; onRenewed: (t: AclToken) => void }) {
  const [increment, setIncrement] = useState('');
  const { submit, busy, error } = useSubmit(async () => {
    const res = await api().renewToken(accessor, increment.trim() ? { Increment: increment.trim() } : {});
    onRenewed(res.data);
  });
  return (
    <form class="search" id="renew-form" onSubmit={submit}>
      <label>
        <span>
          Increment <small class="muted">Go duration, e.g. 1h; empty = the token's TTL</small>
        </span>
        <input name="increment" value={increment} spellcheck={false} onInput={(e) => setIncrement(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={busy}>
        Renew
      </button>
      <ErrorBox error={error} title="Renew failed:" />
    </form>
  );
}
