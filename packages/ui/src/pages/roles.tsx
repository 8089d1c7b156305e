import type { AclRoleListStub } from '@tollgate/client';
import { api } from '../api';
import { FilterSearch } from '../components';
import type { TableSpec } from '../list-page';
import { DataTable, DetailLink, ListPage, orDash, useFilteredList } from '../list-page';
import { PolicyLinks } from './links';

const ROLES: TableSpec<AclRoleListStub> = {
  what: 'roles',
  key: (r) => r.ID,
  columns: [
    { title: 'Name', cell: (r) => <DetailLink base="/roles" id={r.ID}>{r.Name}</DetailLink> },
    { title: 'Description', cell: (r) => orDash(r.Description) },
    { title: 'Policies', cell: (r) => <PolicyLinks names={r.Policies.map((p) => p.Name)} /> },
    { title: 'Modify index', cell: (r) => r.ModifyIndex },
  ],
};

/**
 * ACL roles: the list filtered on the server (a go-bexpr `filter`, e.g.
 * `Name contains "ops"`). Management sees every role, other tokens the
 * roles they link to.
 */
export function RolesPage() {
  const [list, search] = useFilteredList((q) => api().listRoles(q));
  const example = (
    <>
      <code>Name contains "ops"</code> or <code>Description contains "deploy"</code>
    </>
  );
  return (
    <ListPage
      title="Roles"
      create={{ path: '/roles/new', label: 'Create role' }}
      spec={ROLES}
      list={list}
      search={<FilterSearch onSearch={search} example={example} />}
    />
  );
}

/** A table of roles (also a policy's "used by roles"). */
export function RoleTable({ roles }: { roles: readonly AclRoleListStub[] }) {
  return <DataTable spec={ROLES} rows={roles} />;
}
