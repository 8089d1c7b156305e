import { useState } from 'preact/hooks';
import type { AclTokenListStub } from '@tollgate/client';
import { api } from '../api';
import { FilterField, Time, useLoad } from '../components';
import type { TableSpec } from '../list-page';
import { DataTable, DetailLink, ListPage, orDash } from '../list-page';

const PER_PAGE = 25;

const TOKENS: TableSpec<AclTokenListStub> = {
  what: 'tokens',
  key: (t) => t.AccessorID,
  columns: [
    { title: 'Name', cell: (t) => t.Name || <span class="muted">(no name)</span> },
    { title: 'Accessor ID', cell: (t) => <DetailLink base="/tokens" id={t.AccessorID} mono>{t.AccessorID}</DetailLink> },
    { title: 'Type', cell: (t) => t.Type },
    { title: 'Policies', cell: (t) => orDash((t.Policies ?? []).join(', ')) },
    { title: 'Roles', cell: (t) => orDash((t.Roles ?? []).map((r) => r.Name).join(', ')) },
    { title: 'Scope', cell: (t) => (t.Global ? 'global' : 'local') },
    { title: 'Expires', cell: (t) => <Time value={t.ExpirationTime} /> },
  ],
};

/**
 * Tokens: a paginated list searched on the server — AccessorID `prefix`
 * and a go-bexpr `filter` — never loading every token into the page.
 */
export function TokensPage() {
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
  const searchForm = (
    <form class="search" onSubmit={search} role="search">
      <label>
        Accessor ID prefix
        <input name="prefix" value={prefix} spellcheck={false} onInput={(e) => setPrefix(e.currentTarget.value)} />
      </label>
      <FilterField value={filter} onInput={setFilter} example={<code>Name contains "ci"</code>} />
      <button type="submit">Search</button>
    </form>
  );
  return (
    <ListPage title="Tokens" create={{ path: '/tokens/new', label: 'Create token' }} spec={TOKENS} list={list} search={searchForm}>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={pages.length <= 1} onClick={() => setPages(pages.slice(0, -1))}>
          Previous
        </button>
        <span class="muted">Page {pages.length}</span>
        <button type="button" disabled={next === undefined} onClick={() => next !== undefined && setPages([...pages, next])}>
          Next
        </button>
      </nav>
    </ListPage>
  );
}

/** A table of token stubs (also a policy's and a role's "used by" list). */
export function TokenTable({ tokens }: { tokens: readonly AclTokenListStub[] }) {
  return <DataTable spec={TOKENS} rows={tokens} />;
}
