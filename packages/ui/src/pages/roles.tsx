import { useState } from 'preact/hooks';
import type { AclRoleListStub } from '@tollgate/client';
import { api } from '../api';
import { ErrorBox, FilterSearch, Loading, useLoad, useTitle } from '../components';
import { href } from '../router';
import { PolicyLinks } from './links';

/**
 * ACL roles: the list filtered on the server (a go-bexpr `filter`, e.g.
 * `Name contains "ops"`). Management sees every role, other tokens the
 * roles they link to.
 */
export function RolesPage() {
  useTitle('Roles');
  const [query, setQuery] = useState('');
  const list = useLoad(() => api().listRoles(query ? { filter: query } : {}), [query]);
  return (
    <section>
      <div class="title-row">
        <h1>Roles</h1>
        <a class="button primary" href={href('/roles/new')}>
          Create role
        </a>
      </div>
      <FilterSearch
        onSearch={setQuery}
        example={
          <>
            <code>Name contains "ops"</code> or <code>Description contains "deploy"</code>
          </>
        }
      />
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined && <Loading what="roles" />}
      {list.data && <RoleTable roles={list.data.data} />}
    </section>
  );
}

/** A table of roles (also a policy's "used by roles"). */
export function RoleTable({ roles }: { roles: readonly AclRoleListStub[] }) {
  if (roles.length === 0) return <p class="muted">No roles.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Description</th>
            <th>Policies</th>
            <th>Modify index</th>
          </tr>
        </thead>
        <tbody>
          {roles.map((r) => (
            <tr key={r.ID}>
              <td>
                <a href={href(`/roles/${encodeURIComponent(r.ID)}`)}>{r.Name}</a>
              </td>
              <td>{r.Description || <span class="muted">—</span>}</td>
              <td>
                <PolicyLinks names={r.Policies.map((p) => p.Name)} />
              </td>
              <td>{r.ModifyIndex}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
