import { api } from './api';
import { ErrorBox, Time, useLoad } from './components';
import { PAGES } from './pages';
import { PolicyLinks, RoleLinks } from './pages/links';
import { href, matchRoute, navigate, usePath } from './router';
import { signOut, useSecret } from './session';

/** The shell: header with who-am-I and sign in/out, navigation, the current page. */
export function App() {
  const path = usePath();
  const secret = useSecret();
  const route = path === '/' ? '/tokens' : path;
  let page = null;
  for (const p of PAGES) {
    const params = matchRoute(p.pattern, route);
    if (params) {
      // Keyed by path: a new route starts with fresh page state.
      page = <div key={route}>{p.render(params)}</div>;
      break;
    }
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('/tokens')}>
          Tollgate
        </a>
        <nav aria-label="Main">
          <ul>
            {PAGES.filter((p) => p.nav !== undefined).map((p) => (
              <li key={p.pattern}>
                <a href={href(p.pattern)} aria-current={route === p.pattern || route.startsWith(`${p.pattern}/`) ? 'page' : undefined}>
                  {p.nav}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <WhoAmI secret={secret} />
      </header>
      <main id="main" tabIndex={-1}>
        {page ?? (
          <section>
            <h1>Not found</h1>
            <p>
              No page at <code>{route}</code>. <a href={href('/tokens')}>Tokens</a>
            </p>
          </section>
        )}
      </main>
    </>
  );
}

/** The caller's token (`/v1/acl/token/self`): name, type, policies, roles, expiry. */
function WhoAmI({ secret }: { secret: string | undefined }) {
  const self = useLoad(() => api().readSelfToken(), [secret]);
  const t = self.data?.data;
  return (
    <div class="whoami" aria-live="polite">
      {self.error !== undefined && <ErrorBox error={self.error} />}
      {t && (
        <details>
          <summary data-testid="whoami">
            {secret === undefined ? 'anonymous' : t.Name || t.AccessorID.slice(0, 8)} <span class="badge">{t.Type}</span>
          </summary>
          <div class="whoami-card">
            <div>
              Accessor <code>{t.AccessorID}</code>
            </div>
            <div>
              Policies: {t.Type === 'management' ? 'all (management)' : <PolicyLinks names={t.Policies ?? []} />}
            </div>
            <div>
              Roles: <RoleLinks roles={t.Roles} />
            </div>
            <div>
              Expires: <Time value={t.ExpirationTime} />
            </div>
            <div>Scope: {t.Global ? 'global' : 'local'}</div>
            {parentOf(t) && (
              <div>
                Parent: <a href={href(`/tokens/${encodeURIComponent(parentOf(t)!)}`)}>{parentOf(t)!.slice(0, 8)}</a>
              </div>
            )}
          </div>
        </details>
      )}
      {secret === undefined ? (
        <a class="button primary" href={href('/sign-in')}>
          Sign in
        </a>
      ) : (
        <button
          type="button"
          onClick={() => {
            signOut();
            navigate('/sign-in');
          }}
        >
          Sign out
        </button>
      )}
    </div>
  );
}

/** The token's parent (token leases, issue 13), when the agent sends one. */
function parentOf(t: object): string | undefined {
  const p = (t as { ParentAccessorID?: unknown }).ParentAccessorID;
  return typeof p === 'string' && p !== '' ? p : undefined;
}
