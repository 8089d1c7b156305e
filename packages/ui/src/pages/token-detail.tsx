import { api } from '../api';
import { ConfirmButton, ErrorBox, Facts, Loading, Time, useLoad, useTitle } from '../components';
import { href, navigate } from '../router';
import { PolicyLinks, RoleLinks } from './links';

/**
 * One token: its fields, policies and roles as links, expiry. The SecretID is never
 * shown here (only once, at creation).
 */
export function TokenDetailPage({ id }: { id: string }) {
  useTitle(`Token ${id.slice(0, 8)}`);
  const token = useLoad(() => api().readToken(id), [id]);
  const t = token.data?.data;
  return (
    <section>
      <p class="crumbs">
        <a href={href('/tokens')}>Tokens</a> /
      </p>
      <ErrorBox error={token.error} />
      {token.loading && t === undefined && <Loading what="the token" />}
      {t && (
        <>
          <div class="title-row">
            <h1>{t.Name || '(no name)'}</h1>
            <div class="actions">
              <a class="button" href={href(`/tokens/${encodeURIComponent(t.AccessorID)}/edit`)}>
                Edit
              </a>
              <ConfirmButton
                label="Revoke"
                danger
                confirm="Revoke token"
                question={
                  <>
                    Revoke <strong>{t.Name || t.AccessorID}</strong>? Requests made with it are refused at once
                    {t.Global ? ', in every region' : ''}. This cannot be undone.
                  </>
                }
                onConfirm={async () => {
                  await api().deleteToken(t.AccessorID);
                  navigate('/tokens');
                }}
              />
            </div>
          </div>
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
              ['Create / modify index', `${t.CreateIndex} / ${t.ModifyIndex}`],
            ]}
          />
        </>
      )}
    </section>
  );
}
