import {
  EtcdError,
  EtcdLeaseInvalidError,
  EtcdPermissionDeniedError,
  GRPCAlreadyExistsError,
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCNotFoundError,
  GRPCOutOfRangeError,
  GRPCResourceExhastedError,
  GRPCUnauthenticatedError,
} from 'etcd3';
import { UnavailableError } from '../errors.js';
import { jitteredBackoffMs } from '../backoff.js';

/**
 * Every retry and failure decision of the HA code, in one place (STYLE.md
 * habit 5). Units are in the names.
 */

/** How often the region log checks that etcd answers (and how fast it notices it is back). */
export const PROBE_INTERVAL_MS = 1000;
/** Consecutive failed probes before an agent calls itself degraded (one failed write does it at once). */
export const PROBE_FAILURES_BEFORE_DEGRADED = 2;
/** First and largest pause between attempts to re-establish the watch or re-campaign. */
export const RECONNECT_BACKOFF_MIN_MS = 100;
export const RECONNECT_BACKOFF_MAX_MS = 2000;
/**
 * A write whose compare failed (another agent changed a key it read) is
 * re-planned after catching up; this many attempts, then the caller gets a
 * 503 and may retry. Lost races are rare: keys are per object.
 */
export const WRITE_CONFLICT_ATTEMPTS = 8;
/** How long a write waits for this agent's own watch to apply it (read-your-writes). */
export const APPLY_WAIT_MS = 10_000;
/**
 * etcd's default `--max-txn-ops`: most compares, and most operations, in one
 * transaction. Leader-only writes larger than this (GC of thousands of
 * expired tokens, a big replication batch) are split; their steps are
 * idempotent.
 */
export const MAX_TXN_OPS = 128;
/** Most value bytes per transaction, under etcd's default 1.5 MiB request limit. */
export const MAX_TXN_BYTES = 1024 * 1024;

/** Backoff for attempt `n` (0-based) of reaching etcd: `jitteredBackoffMs` between `minMs` and `maxMs`. */
export function backoffMs(n: number, minMs = RECONNECT_BACKOFF_MIN_MS, maxMs = RECONNECT_BACKOFF_MAX_MS): number {
  return jitteredBackoffMs(n, { initialMs: minMs, maxMs });
}

/**
 * Errors that are etcd's answer to the request (it was received and
 * refused), as opposed to errors of reaching etcd at all. Anything else —
 * UNAVAILABLE, deadline exceeded, cancelled, a broken connection — means
 * etcd could not be reached and, for a write, that the outcome is unknown.
 */
const ETCD_ANSWERS = [
  EtcdError,
  EtcdLeaseInvalidError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCFailedPreconditionError,
  GRPCResourceExhastedError,
  EtcdPermissionDeniedError,
  GRPCUnauthenticatedError,
  GRPCNotFoundError,
  GRPCAlreadyExistsError,
] as const;

/** Whether `err` means etcd could not be reached (see `ETCD_ANSWERS`). */
export function isUnreachable(err: unknown): boolean {
  return !ETCD_ANSWERS.some((cls) => err instanceof cls);
}

/** Whether `err` says the revision asked for was compacted away (relist instead). */
export function isCompacted(err: unknown): boolean {
  if (err instanceof GRPCOutOfRangeError) return /compacted/i.test(err.message);
  // etcd3 reports a watch cancelled by the server (etcd cancels a watch
  // whose start revision was compacted) as `EtcdError: Watcher canceled: …`
  // and drops the compact_revision; treat every cancellation as one.
  return err instanceof EtcdError && /Watcher canceled/.test(err.message);
}

/** The 503 a caller gets when etcd cannot be reached; `what` names the operation. */
export function unavailable(what: string, cause: unknown): UnavailableError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const err = new UnavailableError(`etcd unreachable: ${what} failed (${detail}); this agent serves reads from its local state but refuses writes until etcd is back`);
  (err as { cause?: unknown }).cause = cause;
  return err;
}

