import type { FastifyReply } from 'fastify';
import type { StateStore, TableName } from '@tollgate/state';
import type { QueryOptions } from './request.js';

/** A read's answer and the index it reflects. */
export interface IndexedResult<T> {
  readonly index: number;
  readonly data: T;
}

/**
 * Nomad's blocking query (facts §4.1): with `index` > 0, re-run `run` each
 * time the watched table changes until the result's index passes `index` or
 * `wait` (plus up to wait/16 jitter) runs out; a timeout answers 200 with the
 * current data. A client that disconnects ends the wait at once.
 */
export async function blockingQuery<T>(
  store: StateStore,
  reply: FastifyReply,
  q: QueryOptions,
  table: TableName,
  run: () => IndexedResult<T>,
): Promise<IndexedResult<T>> {
  let result = run();
  if (q.index === 0 || result.index > q.index) return result;
  const waitMs = q.waitMs + Math.random() * (q.waitMs / 16);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), waitMs);
  const onClose = (): void => ac.abort();
  // The response's 'close' fires when the client goes away (the request's
  // 'close' fires as soon as its body is read, which is too early).
  reply.raw.once('close', onClose);
  try {
    // A closing store answers waits at once; stop rather than spin.
    while (result.index <= q.index && !ac.signal.aborted && store.status === 'open') {
      await store.waitForTable(table, store.tableIndex(table), ac.signal);
      result = run();
    }
  } finally {
    clearTimeout(timer);
    reply.raw.off('close', onClose);
  }
  return result;
}
