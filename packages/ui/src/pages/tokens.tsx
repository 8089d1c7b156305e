import { useState } from 'preact/hooks';
import type { AclTokenListStub } from '@tollgate/client';
import { api } from '../api';
import { ErrorBox, FilterField, Loading, Time, useLoad, useTitle } from '../components';
import { href } from '../router';

const PER_PAGE = 25;

/**
 * Tokens: a paginated list searched on the server — AccessorID `prefix`
 * and a go-bexpr `filter` — never loading every token into the page.
 */
export function TokensPage() {
  useTitle('Tokens');
  const [prefix, setPrefix] = useState('');
  const [filter, setFilter] = useState('');
  const [query, setQuery] = useState({ prefix: '', filter: '' });
  // The next_token of every page seen, so Previous can go back.
  const [pages, setPages] = useState<string[]>(['']);
  const page = pages[pages.length - 1] ?? '';
  const list = useLoad(
    () => api().listTokens({ perPage: PER_PAGE, nextToken: page, prefix: query.prefix || undefined, filter: query.filter || undefined }),
    [page, query.prefix, query.filter],
  );
  const search = (e: Event): void => {
    e.preventDefault();
    setPages(['']);
    setQuery({ prefix: prefix.trim(), filter: filter.trim() });
  };
  const next = list.data?.nextToken;
  return (
    <section>
      <div class="title-row">
        <h1>Tokens</h1>
        <a class="button primary" href={href('/tokens/new')}>
          Create token
        </a>
      </div>
      <form class="search" onSubmit={search} role="search">
        <label>
          Accessor ID prefix
          <input name="prefix" value={prefix} spellcheck={false} onInput={(e) => setPrefix(e.currentTarget.value)} />
        </label>
        <FilterField value={filter} onInput={setFilter} example={<code>Name contains "ci"</code>} />
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined ? <Loading what="tokens" /> : null}
      {list.data && <TokenTable tokens={list.data.data} />}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={pages.length <= 1} onClick={() => setPages(pages.slice(0, -1))}>
          Previous
        </button>
        <span class="muted">Page {pages.length}</span>
        <button type="button" disabled={next === undefined} onClick={() => next !== undefined && setPages([...pages, next])}>
          Next
        </button>
      </nav>
    </section>
  );
}

/** A table of token stubs (also a policy's and a role's "used by" list). */
export function TokenTable({ tokens }: { tokens: readonly AclTokenListStub[] }) {
  if (tokens.length === 0) return <p class="muted">No tokens.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Accessor ID</th>
            <th>Type</th>
            <th>Policies</th>
            <th>Roles</th>
            <th>Scope</th>
            <th>Expires</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.AccessorID}>
              <td>{t.Name || <span class="muted">(no name)</span>}</td>
              <td>
                <a class="mono" href={href(`/tokens/${encodeURIComponent(t.AccessorID)}`)}>
                  {t.AccessorID}
                </a>
              </td>
              <td>{t.Type}</td>
              <td>{(t.Policies ?? []).join(', ') || <span class="muted">—</span>}</td>
              <td>{(t.Roles ?? []).map((r) => r.Name).join(', ') || <span class="muted">—</span>}</td>
              <td>{t.Global ? 'global' : 'local'}</td>
              <td>
                <Time value={t.ExpirationTime} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
