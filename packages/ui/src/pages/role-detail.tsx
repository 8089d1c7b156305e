import { api } from '../api';
import { DetailTitle, ErrorBox, Facts, Loading, useLoad, useTitle } from '../components';
import { href, navigate } from '../router';
import { PolicyLinks } from './links';
import { TokenTable } from './tokens';
import { tokensWithRole } from './used-by';

/** A role: its policies as links, and the tokens that link to it. */
export function RoleDetailPage({ id }: { id: string }) {
  const role = useLoad(() => api().readRole(id), [id]);
  const users = useLoad(() => tokensWithRole(id), [id]);
  const r = role.data?.data;
  useTitle(`Role ${r?.Name ?? id.slice(0, 8)}`);
  return (
    <section>
      <p class="crumbs">
        <a href={href('/roles')}>Roles</a> /
      </p>
      <ErrorBox error={role.error} />
      {role.loading && r === undefined && <Loading what="the role" />}
      {r && (
        <>
          <DetailTitle
            title={r.Name}
            editPath={`/roles/${encodeURIComponent(r.ID)}/edit`}
            remove={{
              label: 'Delete',
              confirm: 'Delete role',
              question: (
                <>
                  Delete role <strong>{r.Name}</strong>? Tokens linked to it lose what its policies grant, in every region.
                </>
              ),
              onConfirm: async () => {
                await api().deleteRole(r.ID);
                navigate('/roles');
              },
            }}
          />
          <Facts
            rows={[
              ['ID', <code>{r.ID}</code>],
              ['Description', r.Description || <span class="muted">—</span>],
              ['Policies', <PolicyLinks names={r.Policies.map((p) => p.Name)} />],
              ['Create / modify index', `${r.CreateIndex} / ${r.ModifyIndex}`],
            ]}
          />
        </>
      )}
      <h2>Used by tokens</h2>
      <ErrorBox error={users.error} title="Tokens:" />
      {users.data && <TokenTable tokens={users.data} />}
    </section>
  );
}
