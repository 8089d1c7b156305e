import { api } from '../api';
import { ErrorBox, Loading, useLoad, useTitle } from '../components';
import { href } from '../router';

/** Policies: management sees every policy, other tokens their own. */
export function PoliciesPage() {
  useTitle('Policies');
  const list = useLoad(() => api().listPolicies(), []);
  return (
    <section>
      <div class="title-row">
        <h1>Policies</h1>
        <a class="button primary" href={href('/policies/new')}>
          Create policy
        </a>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined && <Loading what="policies" />}
      {list.data?.data.length === 0 && <p class="muted">No policies.</p>}
      {list.data && list.data.data.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Description</th>
                <th>Modify index</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((p) => (
                <tr key={p.Name}>
                  <td>
                    <a href={href(`/policies/${encodeURIComponent(p.Name)}`)}>{p.Name}</a>
                  </td>
                  <td>{p.Description || <span class="muted">—</span>}</td>
                  <td>{p.ModifyIndex}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
