import type { FastifyReply } from 'fastify';
import type { StateStore, TableName } from '@tollgate/state';
import type { QueryOptions } from './request.js';
import { watchClientGone } from './client-gone.js';

/** A read's answer and the index it reflects. */
export interface IndexedResult<T> {
  readonly index: number;
  readonly data: T;
}

/**
 * Nomad's blocking query (facts §4.1): with `index` > 0, re-run `run` each
 * time a watched table changes until the result's index passes `index` or
 * `wait` (plus up to wait/16 jitter) runs out; a timeout answers 200 with the
 * current data. A client that disconnects ends the wait at once.
 *
 * `tables` are every table the answer is computed from (a token's answer
 * shows its roles' current names, so token reads watch `acl_role` too), and
 * `run`'s index must move whenever the answer does.
 */
export async function blockingQuery<T>(
  store: StateStore,
  reply: FastifyReply,
  q: QueryOptions,
  tables: TableName | readonly TableName[],
  run: () => IndexedResult<T>,
): Promise<IndexedResult<T>> {
  let result = run();
  if (q.index === 0 || result.index > q.index) return result;
  const watched: readonly TableName[] = typeof tables === 'string' ? [tables] : tables;
  const waitMs = q.waitMs + Math.random() * (q.waitMs / 16);
  const gone = watchClientGone(reply);
  const waited = new AbortController();
  const timer = setTimeout(() => waited.abort(), waitMs);
  const signal = AbortSignal.any([gone.signal, waited.signal]);
  try {
    // A closing store answers waits at once; stop rather than spin.
    while (result.index <= q.index && !signal.aborted && store.status === 'open') {
      await store.waitForTables(Object.fromEntries(watched.map((t) => [t, store.tableIndex(t)])), signal);
      result = run();
    }
  } finally {
    clearTimeout(timer);
    gone.release();
  }
  return result;
}
