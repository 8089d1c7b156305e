import { status as GrpcStatus } from '@grpc/grpc-js';
import { jitteredBackoffMs } from '../backoff.js';
import type { ErrorCode } from '../errors.js';

/**
 * Every retry decision between regions lives here: which failures are worth
 * trying again (on another peer, or after a pause) and how long to pause.
 * Forwarding and the replication loop both use it, so they cannot drift
 * apart.
 */

/** First pause after a failed replication session. */
export const RETRY_INITIAL_BACKOFF_MS = 100;
/**
 * Longest pause between replication attempts for a retryable failure. Nomad
 * waits a fixed 30 s; Tollgate's lag target (p99 ≤ 100 ms) and "catch up
 * after the authoritative region is back" want a follower back within a few
 * seconds of the region returning.
 */
export const RETRY_MAX_BACKOFF_MS = 5_000;
/**
 * Pause after a failure that will not heal by itself (a refused replication
 * token, a misconfigured peer). Replication still retries — an operator may
 * fix the token upstream without restarting the follower — but slowly, so
 * the logs and the authoritative region are not flooded.
 */
export const RETRY_NOT_RETRYABLE_BACKOFF_MS = 10_000;
/** Growth factor of the exponential backoff. */
export const RETRY_BACKOFF_MULTIPLIER = 2;
/**
 * How long a forwarded request may spend getting a connection to one peer
 * before the next peer (or a 503) is tried. Short on purpose: a region that
 * is down must fail fast, not after a 30 s TCP timeout.
 */
export const FORWARD_CONNECT_TIMEOUT_MS = 2_000;
/**
 * Deadline of a forwarded request that is not a blocking query: the
 * authoritative write itself, plus (for a request forwarded to another
 * follower) that follower's own forward and replica wait (5 s by default).
 * A write takes milliseconds; 10 s bounds how long a hung (not down)
 * authoritative region can hold a caller before the 5xx naming it.
 */
export const FORWARD_CALL_TIMEOUT_MS = 10_000;
/** Extra deadline granted to a forwarded blocking query beyond its `wait` (+1/16 jitter). */
export const FORWARD_BLOCKING_SLACK_MS = 5_000;

/** What kind of operation failed; it decides which failures may be retried. */
export interface RetryContext {
  /**
   * `true` when running the operation twice has the same effect as once
   * (reads, replication streams). A non-idempotent write (token create,
   * bootstrap) is retried only when it certainly never reached a peer.
   * @default true
   */
  readonly idempotent?: boolean;
}

/**
 * A peer could not be connected to (refused, or not within the connect
 * deadline): the request was never sent, so it is always safe to try
 * another peer.
 */
export class PeerConnectError extends Error {
  readonly code: ErrorCode = 'TOLLGATE_PEER_CONNECT';
  readonly address: string;
  constructor(address: string, message: string, options?: { cause?: unknown }) {
    super(`cannot connect to ${address}: ${message}`, options);
    this.name = 'PeerConnectError';
    this.address = address;
  }
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE, // peer down, connection refused or dropped
  GrpcStatus.RESOURCE_EXHAUSTED, // peer overloaded or a message over its limit while it restarts
  GrpcStatus.ABORTED,
  GrpcStatus.DEADLINE_EXCEEDED, // a hung peer; another one (or a later try) may answer
  // The peer went away mid-stream (a draining agent cancels its streams).
  // Callers check their own AbortSignal first: a cancel they asked for is
  // never retried.
  GrpcStatus.CANCELLED,
  // grpc-js reports an HTTP/2 stream reset by a dying peer as INTERNAL.
  GrpcStatus.INTERNAL,
  GrpcStatus.UNKNOWN,
]);

/**
 * Whether `err` is worth retrying. `true` for transport failures (peer down,
 * connection reset, overloaded, deadline); `false` for answers that another
 * try would only repeat: PERMISSION_DENIED / UNAUTHENTICATED (a refused
 * token), INVALID_ARGUMENT, FAILED_PRECONDITION (a peer of the wrong region),
 * UNIMPLEMENTED, NOT_FOUND.
 *
 * For a non-idempotent operation only a `PeerConnectError` is retryable:
 * an UNAVAILABLE after the request was sent may hide a write that was made,
 * and making it twice (two bootstraps, two tokens) is worse than a 503.
 */
export function isRetryable(err: unknown, ctx: RetryContext = {}): boolean {
  if (err instanceof PeerConnectError) return true;
  if (ctx.idempotent === false) return false;
  // An error that already knows (a replication failure that wraps the real
  // cause, a missing replication token) decides for itself.
  const own = (err as { retryable?: unknown } | null)?.retryable;
  if (typeof own === 'boolean') return own;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'number') {
    // Not a gRPC status: a local failure (store closed, bad data). Retrying
    // after a pause is the replication loop's only sensible move.
    return true;
  }
  return RETRYABLE_STATUSES.has(code);
}

/**
 * The pause before attempt `attempt` (0-based count of failures so far):
 * exponential from `RETRY_INITIAL_BACKOFF_MS` up to `RETRY_MAX_BACKOFF_MS`,
 * with "full jitter" (a uniform draw in [delay/2, delay]) so that several
 * followers do not reconnect in lock-step when the authoritative region
 * returns; `RETRY_NOT_RETRYABLE_BACKOFF_MS` for a failure `isRetryable`
 * rejects.
 *
 * @param random injectable for tests; @default Math.random
 */
export function backoffDelayMs(attempt: number, err: unknown, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  if (!isRetryable(err)) return RETRY_NOT_RETRYABLE_BACKOFF_MS;
  return jitteredBackoffMs(attempt, { initialMs: RETRY_INITIAL_BACKOFF_MS, maxMs: RETRY_MAX_BACKOFF_MS, multiplier: RETRY_BACKOFF_MULTIPLIER }, random);
}
