import type { AclPolicyListStub } from '@tollgate/client';
import { api } from '../api';
import { useLoad } from '../components';
import type { TableSpec } from '../list-page';
import { DetailLink, ListPage, orDash } from '../list-page';

const POLICIES: TableSpec<AclPolicyListStub> = {
  what: 'policies',
  key: (p) => p.Name,
  columns: [
    { title: 'Name', cell: (p) => <DetailLink base="/policies" id={p.Name}>{p.Name}</DetailLink> },
    { title: 'Description', cell: (p) => orDash(p.Description) },
    { title: 'Modify index', cell: (p) => p.ModifyIndex },
  ],
};

/** Policies: management sees every policy, other tokens their own. */
export function PoliciesPage() {
  const list = useLoad(() => api().listPolicies(), []);
  return <ListPage title="Policies" create={{ path: '/policies/new', label: 'Create policy' }} spec={POLICIES} list={list} />;
}
