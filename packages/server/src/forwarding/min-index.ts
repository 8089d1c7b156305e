import type { StateStore } from '@tollgate/state';
import { BadRequestError, WaitTimeoutError } from '../errors.js';
import { timeoutSignal } from '../grpc/timeout-signal.js';

/**
 * The consistency token header: a request carrying `X-Tollgate-Min-Index: N`
 * is answered only once this region has applied the authoritative region's
 * index N (or times out with 504). N is what a write answered in
 * `X-Nomad-Index`, in any region: forwarded writes answer with the
 * authoritative index.
 */
export const MIN_INDEX_HEADER = 'x-tollgate-min-index';

/** Parses the header; `undefined` when absent. @throws BadRequestError (400) for anything but a decimal integer. */
export function parseMinIndex(raw: string | string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || !/^\s*\d{1,15}\s*$/.test(v)) {
    throw new BadRequestError('Invalid X-Tollgate-Min-Index header: expected a decimal index');
  }
  return Number(v);
}

/** What `awaitAuthoritativeIndex` needs to know about the agent. */
export interface MinIndexContext {
  readonly store: StateStore;
  readonly isAuthoritative: boolean;
  readonly config: { readonly region: string; readonly server: { readonly authoritativeRegion: string } };
  /**
   * A follower's hint to its replication loop that it is needed now: ends a
   * backoff pause early (`ReplicationLoop.wake`, rate-limited there).
   */
  wakeReplication?(): void;
}

/**
 * Resolves once this region has applied authoritative index `minIndex`:
 * in the authoritative region its own index, in a follower its replication
 * cursor.
 * @throws WaitTimeoutError (504) after `timeoutMs`, naming both regions and
 *   the index reached.
 */
export async function awaitAuthoritativeIndex(ctx: MinIndexContext, minIndex: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const { store } = ctx;
  const current = (): number => (ctx.isAuthoritative ? store.index() : store.replicationCursor());
  if (current() >= minIndex) return;
  // Someone holds an index this follower lacks (often: the authoritative
  // region answered it a moment ago), so the source is likely back: do not
  // let a backoff pause outlast the wait.
  if (!ctx.isAuthoritative) ctx.wakeReplication?.();
  const bound = timeoutSignal(timeoutMs, signal);
  let reached: number;
  try {
    reached = ctx.isAuthoritative ? await store.waitForIndex(minIndex, bound.signal) : await store.waitForReplication(minIndex, bound.signal);
  } finally {
    bound.dispose();
  }
  if (reached >= minIndex) return;
  const { region, server } = ctx.config;
  if (ctx.isAuthoritative) {
    throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for index ${minIndex} in region "${region}" (index is ${reached})`);
  }
  throw new WaitTimeoutError(
    `timed out after ${timeoutMs} ms waiting for region "${region}" to replicate index ${minIndex} from authoritative region "${server.authoritativeRegion}" (replicated through ${reached})`,
  );
}
