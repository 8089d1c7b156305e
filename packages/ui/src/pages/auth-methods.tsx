import { api } from '../api';
import { ErrorBox, Loading, useLoad, useTitle } from '../components';
import { href } from '../router';

/** Auth methods (JWT, OIDC): every method of the cluster (they are global). */
export function AuthMethodsPage() {
  useTitle('Auth methods');
  const list = useLoad(() => api().listAuthMethods(), []);
  return (
    <section>
      <div class="title-row">
        <h1>Auth methods</h1>
        <a class="button primary" href={href('/auth-methods/new')}>
          Create auth method
        </a>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined && <Loading what="auth methods" />}
      {list.data?.data.length === 0 && <p class="muted">No auth methods.</p>}
      {list.data && list.data.data.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Display name</th>
                <th>Type</th>
                <th>Default</th>
                <th>Modify index</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((m) => (
                <tr key={m.Name}>
                  <td>
                    <a href={href(`/auth-methods/${encodeURIComponent(m.Name)}`)}>{m.Name}</a>
                  </td>
                  <td>{m.DisplayName || <span class="muted">—</span>}</td>
                  <td>{m.Type}</td>
                  <td>{m.Default ? <span class="badge">default</span> : ''}</td>
                  <td>{m.ModifyIndex}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
