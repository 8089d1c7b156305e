import type { AclBindingRuleListStub } from '@tollgate/client';
import { api } from '../api';
import { FilterSearch } from '../components';
import type { TableSpec } from '../list-page';
import { DataTable, DetailLink, ListPage, orDash, useFilteredList } from '../list-page';

const BINDING_RULES: TableSpec<AclBindingRuleListStub> = {
  what: 'binding rules',
  key: (r) => r.ID,
  columns: [
    { title: 'ID', cell: (r) => <DetailLink base="/binding-rules" id={r.ID} mono>{r.ID}</DetailLink> },
    { title: 'Description', cell: (r) => orDash(r.Description) },
    { title: 'Auth method', cell: (r) => <DetailLink base="/auth-methods" id={r.AuthMethod}>{r.AuthMethod}</DetailLink> },
    { title: 'Modify index', cell: (r) => r.ModifyIndex },
  ],
};

/** Binding rules: which logins get which roles or policies, filtered on the agent. */
export function BindingRulesPage() {
  const [list, search] = useFilteredList((q) => api().listBindingRules(q));
  return (
    <ListPage
      title="Binding rules"
      create={{ path: '/binding-rules/new', label: 'Create binding rule' }}
      spec={BINDING_RULES}
      list={list}
      search={<FilterSearch onSearch={search} example={<code>AuthMethod == "corp-sso"</code>} />}
    />
  );
}

/** A table of binding rules (also an auth method's rules). */
export function BindingRuleTable({ rules }: { rules: readonly AclBindingRuleListStub[] }) {
  return <DataTable spec={BINDING_RULES} rows={rules} />;
}
