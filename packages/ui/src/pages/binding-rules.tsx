import { useState } from 'preact/hooks';
import type { AclBindingRuleListStub } from '@tollgate/client';
import { api } from '../api';
import { ErrorBox, FilterSearch, Loading, useLoad, useTitle } from '../components';
import { href } from '../router';

/** Binding rules: which logins get which roles or policies, filtered on the agent. */
export function BindingRulesPage() {
  useTitle('Binding rules');
  const [query, setQuery] = useState('');
  const list = useLoad(() => api().listBindingRules(query ? { filter: query } : {}), [query]);
  return (
    <section>
      <div class="title-row">
        <h1>Binding rules</h1>
        <a class="button primary" href={href('/binding-rules/new')}>
          Create binding rule
        </a>
      </div>
      <FilterSearch onSearch={setQuery} example={<code>AuthMethod == "corp-sso"</code>} />
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined && <Loading what="binding rules" />}
      {list.data && <BindingRuleTable rules={list.data.data} />}
    </section>
  );
}

/** A table of binding rules (also an auth method's rules). */
export function BindingRuleTable({ rules }: { rules: readonly AclBindingRuleListStub[] }) {
  if (rules.length === 0) return <p class="muted">No binding rules.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>ID</th>
            <th>Description</th>
            <th>Auth method</th>
            <th>Modify index</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.ID}>
              <td>
                <a class="mono" href={href(`/binding-rules/${encodeURIComponent(r.ID)}`)}>
                  {r.ID}
                </a>
              </td>
              <td>{r.Description || <span class="muted">—</span>}</td>
              <td>
                <a href={href(`/auth-methods/${encodeURIComponent(r.AuthMethod)}`)}>{r.AuthMethod}</a>
              </td>
              <td>{r.ModifyIndex}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
