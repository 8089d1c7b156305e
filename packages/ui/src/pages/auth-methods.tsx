import type { AclAuthMethodListStub } from '@tollgate/client';
import { api } from '../api';
import { useLoad } from '../components';
import type { TableSpec } from '../list-page';
import { DetailLink, ListPage, orDash } from '../list-page';

const AUTH_METHODS: TableSpec<AclAuthMethodListStub> = {
  what: 'auth methods',
  key: (m) => m.Name,
  columns: [
    { title: 'Name', cell: (m) => <DetailLink base="/auth-methods" id={m.Name}>{m.Name}</DetailLink> },
    { title: 'Display name', cell: (m) => orDash(m.DisplayName) },
    { title: 'Type', cell: (m) => m.Type },
    { title: 'Default', cell: (m) => (m.Default ? <span class="badge">default</span> : '') },
    { title: 'Modify index', cell: (m) => m.ModifyIndex },
  ],
};

/** Auth methods (JWT, OIDC): every method of the cluster (they are global). */
export function AuthMethodsPage() {
  const list = useLoad(() => api().listAuthMethods(), []);
  return <ListPage title="Auth methods" create={{ path: '/auth-methods/new', label: 'Create auth method' }} spec={AUTH_METHODS} list={list} />;
}
