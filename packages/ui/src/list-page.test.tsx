// @vitest-environment happy-dom
import type { ComponentChild, ComponentChildren } from 'preact';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { Loaded } from './components';
import { useLoad } from './components';
import type { TableSpec } from './list-page';
import { DataTable, DetailLink, ListPage, orDash, useFilteredList } from './list-page';

interface Thing {
  readonly id: string;
  readonly name: string;
  readonly note: string;
}

const THINGS: TableSpec<Thing> = {
  what: 'things',
  key: (t) => t.id,
  columns: [
    { title: 'Name', cell: (t) => <DetailLink base="/things" id={t.id}>{t.name}</DetailLink> },
    { title: 'Note', cell: (t) => orDash(t.note) },
  ],
};

const rows: Thing[] = [
  { id: 'a/1', name: 'alpha', note: 'first' },
  { id: 'b', name: 'beta', note: '' },
];

/** A load the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

let root: HTMLElement | undefined;
function mount(node: ComponentChild): HTMLElement {
  root = document.createElement('div');
  document.body.append(root);
  const el = root;
  // act: effects (the load, the document title) run before the test looks.
  void act(() => render(node, el));
  return el;
}
afterEach(() => {
  if (root) render(null, root);
  root?.remove();
  root = undefined;
});

function loaded(state: Partial<Loaded<{ data: readonly Thing[] }>>): Loaded<{ data: readonly Thing[] }> {
  return { data: undefined, error: undefined, loading: false, reload: () => undefined, ...state };
}

const page = (list: Loaded<{ data: readonly Thing[] }>, extra?: { search?: ComponentChildren; children?: ComponentChildren }) => (
  <ListPage title="Things" create={{ path: '/things/new', label: 'Create thing' }} spec={THINGS} list={list} search={extra?.search}>
    {extra?.children}
  </ListPage>
);

/** Lets pending loads answer and their renders and effects run. */
const settled = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));

const texts = (el: ParentNode, selector: string) => [...el.querySelectorAll(selector)].map((e) => e.textContent);

describe('ListPage', () => {
  it('shows the title, the Create link and "Loading …" (a status) until the first answer, and no table', () => {
    const el = mount(page(loaded({ loading: true })));
    expect(el.querySelector('h1')?.textContent).toBe('Things');
    expect(document.title).toBe('Things · Tollgate');
    const create = el.querySelector('.title-row a.button.primary');
    expect(create?.getAttribute('href')).toBe('#/things/new');
    expect(create?.textContent).toBe('Create thing');
    expect(el.querySelector('[role="status"]')?.textContent).toBe('Loading things…');
    expect(el.querySelector('table')).toBeNull();
    expect(el.querySelector('[role="alert"]')).toBeNull();
  });

  it('shows the error as an alert, not "Loading …" nor an empty list', () => {
    const el = mount(page(loaded({ error: new Error('agent unreachable') })));
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('agent unreachable');
    expect(el.querySelector('[role="status"]')).toBeNull();
    expect(el.textContent).not.toContain('No things.');
  });

  it('says "No things." for an empty list, without a table', () => {
    const el = mount(page(loaded({ data: { data: [] } })));
    expect(texts(el, 'p.muted')).toEqual(['No things.']);
    expect(el.querySelector('table')).toBeNull();
    expect(el.querySelector('[role="status"]')).toBeNull();
  });

  it('shows one row per item under the declared column headers, with links to each detail page', () => {
    const el = mount(page(loaded({ data: { data: rows } })));
    expect(texts(el, 'thead th')).toEqual(['Name', 'Note']);
    const trs = el.querySelectorAll('tbody tr');
    expect(trs).toHaveLength(2);
    expect(texts(trs[0]!, 'td')).toEqual(['alpha', 'first']);
    expect(trs[0]!.querySelector('a')?.getAttribute('href')).toBe('#/things/a%2F1');
    // An empty value is a muted dash.
    expect(trs[1]!.querySelector('td:nth-child(2) span.muted')?.textContent).toBe('—');
    expect(el.querySelector('.table-wrap > table')).not.toBeNull();
  });

  it('keeps the rows it has while it reloads (no "Loading …" flash)', () => {
    const el = mount(page(loaded({ data: { data: rows }, loading: true })));
    expect(el.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(el.querySelector('[role="status"]')).toBeNull();
  });

  it('puts the search form above the list and its children (a pager) below it', () => {
    const el = mount(page(loaded({ data: { data: rows } }), { search: <form role="search" />, children: <nav aria-label="Pages" /> }));
    const order = [...el.querySelector('section')!.children].map((c) => c.tagName.toLowerCase());
    expect(order).toEqual(['div', 'form', 'div', 'nav']);
  });

  it('goes from "Loading …" to the rows, and to the error, as a real load settles', async () => {
    const ok = deferred<{ data: Thing[] }>();
    const Loader = ({ load }: { load: () => Promise<{ data: Thing[] }> }) => page(useLoad(load, []));
    const el = mount(<Loader load={() => ok.promise} />);
    expect(el.querySelector('[role="status"]')?.textContent).toBe('Loading things…');
    await act(async () => ok.resolve({ data: rows }));
    expect(el.querySelectorAll('tbody tr')).toHaveLength(2);
    expect(el.querySelector('[role="status"]')).toBeNull();

    render(null, el);
    const bad = deferred<{ data: Thing[] }>();
    void act(() => render(<Loader load={() => bad.promise} />, el));
    await act(async () => bad.reject(new Error('403 Permission denied')));
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('403 Permission denied');
    expect(el.querySelector('[role="status"]')).toBeNull();
    expect(el.querySelector('table')).toBeNull();
  });
});

describe('DataTable', () => {
  it('says "No …." for no rows (a used-by list too)', () => {
    const el = mount(<DataTable spec={THINGS} rows={[]} />);
    expect(el.innerHTML).toBe('<p class="muted">No things.</p>');
  });
});

describe('useFilteredList', () => {
  it('loads without a filter first, then with the searched one', async () => {
    const seen: Array<{ filter?: string }> = [];
    let search: (filter: string) => void = () => undefined;
    const Probe = () => {
      const [list, onSearch] = useFilteredList(async (q) => {
        seen.push(q);
        return { data: rows.filter((r) => q.filter === undefined || r.name === q.filter) };
      });
      search = onSearch;
      return page(list);
    };
    const el = mount(<Probe />);
    await settled(); // the first load's answer
    expect(seen).toEqual([{}]);
    expect(el.querySelectorAll('tbody tr')).toHaveLength(2);
    await act(() => search('beta'));
    await settled();
    expect(seen).toEqual([{}, { filter: 'beta' }]);
    expect(texts(el, 'tbody td:first-child')).toEqual(['beta']);
    // Clearing the search goes back to no filter at all (not `filter=""`).
    await act(() => search(''));
    expect(seen.at(-1)).toEqual({});
  });
});
