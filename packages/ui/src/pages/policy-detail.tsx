import { api } from '../api';
import { DetailTitle, ErrorBox, Facts, Loading, useLoad, useTitle } from '../components';
import { HclView } from '../hcl-highlight';
import { href, navigate } from '../router';
import { RoleTable } from './roles';
import { TokenTable } from './tokens';
import { rolesWithPolicy, tokensWithPolicy } from './used-by';

/** A policy: its rules highlighted, and the tokens and roles that use it. */
export function PolicyDetailPage({ name }: { name: string }) {
  useTitle(`Policy ${name}`);
  const policy = useLoad(() => api().readPolicy(name), [name]);
  const users = useLoad(() => tokensWithPolicy(name), [name]);
  const roles = useLoad(() => rolesWithPolicy(name), [name]);
  const p = policy.data?.data;
  return (
    <section>
      <p class="crumbs">
        <a href={href('/policies')}>Policies</a> /
      </p>
      <ErrorBox error={policy.error} />
      {policy.loading && p === undefined && <Loading what="the policy" />}
      {p && (
        <>
          <DetailTitle
            title={p.Name}
            editPath={`/policies/${encodeURIComponent(p.Name)}/edit`}
            remove={{
              label: 'Delete',
              confirm: 'Delete policy',
              question: (
                <>
                  Delete policy <strong>{p.Name}</strong>? Tokens that name it lose what it grants, in every region.
                </>
              ),
              onConfirm: async () => {
                await api().deletePolicy(p.Name);
                navigate('/policies');
              },
            }}
          />
          <Facts
            rows={[
              ['Description', p.Description || <span class="muted">—</span>],
              ['Create / modify index', `${p.CreateIndex} / ${p.ModifyIndex}`],
            ]}
          />
          <h2>Rules</h2>
          <HclView text={p.Rules} label={`Rules of ${p.Name}`} />
        </>
      )}
      <h2>Used by tokens</h2>
      <ErrorBox error={users.error} title="Tokens:" />
      {users.data && <TokenTable tokens={users.data} />}
      <h2>Used by roles</h2>
      <ErrorBox error={roles.error} title="Roles:" />
      {roles.data && <RoleTable roles={roles.data} />}
    </section>
  );
}
