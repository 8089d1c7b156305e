import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Loaded } from './components';
import { ErrorBox, Loading, useLoad, useTitle } from './components';
import { href } from './router';

/** One column of a list table: its header and what a row shows in it. */
export interface Column<T> {
  readonly title: string;
  readonly cell: (row: T) => ComponentChildren;
}

/**
 * What a table of one object type shows, declared once per type and used
 * by its list page and wherever else such rows are listed (a policy's
 * "used by"). `what` names the rows in the plural: "Loading roles…",
 * "No roles."; `key` tells rows apart.
 */
export interface TableSpec<T> {
  readonly what: string;
  readonly key: (row: T) => string;
  readonly columns: readonly Column<T>[];
}

/** `rows` as a table with the columns of `spec`, or "No {what}." when there are none. */
export function DataTable<T>({ spec, rows }: { spec: TableSpec<T>; rows: readonly T[] }) {
  if (rows.length === 0) return <p class="muted">{`No ${spec.what}.`}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {spec.columns.map((c) => (
              <th key={c.title}>{c.title}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={spec.key(row)}>
              {spec.columns.map((c) => (
                <td key={c.title}>{c.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * An object type's list page: the title with its Create link, an optional
 * search form, the API's error, "Loading …" until the first answer (a
 * reload keeps the rows it has), the table, and `children` below it (a pager).
 */
export function ListPage<T>(props: {
  title: string;
  create: { readonly path: string; readonly label: string };
  spec: TableSpec<T>;
  list: Loaded<{ readonly data: readonly T[] }>;
  search?: ComponentChildren;
  children?: ComponentChildren;
}) {
  useTitle(props.title);
  const { list, spec } = props;
  return (
    <section>
      <div class="title-row">
        <h1>{props.title}</h1>
        <a class="button primary" href={href(props.create.path)}>
          {props.create.label}
        </a>
      </div>
      {props.search}
      <ErrorBox error={list.error} />
      {list.loading && list.data === undefined && <Loading what={spec.what} />}
      {list.data && <DataTable spec={spec} rows={list.data.data} />}
      {props.children}
    </section>
  );
}

/**
 * A list searched on the agent with a go-bexpr `filter` (none until the
 * first search): the load, and the search callback for a `FilterSearch`.
 */
export function useFilteredList<T>(load: (query: { filter?: string }) => Promise<T>): [Loaded<T>, (filter: string) => void] {
  const [filter, setFilter] = useState('');
  const list = useLoad(() => load(filter ? { filter } : {}), [filter]);
  return [list, setFilter];
}

/** A value, or a muted dash where it is empty. */
export function orDash(value: ComponentChildren) {
  return value || <span class="muted">—</span>;
}

/** The link to an object's detail page, `/base/<id>` (the id URL-encoded). */
export function DetailLink({ base, id, mono, children }: { base: string; id: string; mono?: boolean; children: ComponentChildren }) {
  return (
    <a class={mono ? 'mono' : undefined} href={href(`${base}/${encodeURIComponent(id)}`)}>
      {children}
    </a>
  );
}
