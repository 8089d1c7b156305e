/** What the follower knows when it is asked for its lag. */
export interface LagInputs {
  readonly nowMs: number;
  /** A Watch stream is open and its heartbeats arrive. */
  readonly connected: boolean;
  /**
   * Source commit time of the oldest change received but not yet durable
   * here (queued or being written); `undefined` when none is waiting.
   */
  readonly oldestPendingCommitMs: number | undefined;
  /**
   * The last moment the follower knew it had every change: a heartbeat
   * arrived with nothing left to apply, or the last waiting change became
   * durable. `undefined` = never (since the loop started).
   */
  readonly lastCaughtUpMs: number | undefined;
  /** When the replication loop started (stands in for `lastCaughtUpMs` until it is known). */
  readonly startedMs: number;
}

/**
 * `tollgate_replication_lag_seconds`: the time since the oldest change not
 * yet applied here was committed at the source; 0 when caught up.
 *
 * - Changes waiting to be applied: now − the oldest one's source commit time.
 * - Streaming, nothing waiting: 0. The source's heartbeats (every ~1 s) say
 *   "you have everything up to index N", so this stays true while idle.
 * - Not streaming (source unreachable, refused token): the follower cannot
 *   see what it misses, so the lag is the time since it last knew it was
 *   caught up — it grows for as long as the outage lasts, which is what an
 *   alert on this metric wants.
 *
 * Source and follower clocks are compared directly: on one machine (the
 * lab) they agree; across hosts NTP skew adds to the figure, and a negative
 * result is clamped to 0.
 */
export function replicationLagSeconds(i: LagInputs): number {
  let since: number;
  if (i.oldestPendingCommitMs !== undefined) since = i.oldestPendingCommitMs;
  else if (i.connected) return 0;
  else since = i.lastCaughtUpMs ?? i.startedMs;
  return Math.max(0, (i.nowMs - since) / 1000);
}

/** `tollgate_replication_index_lag`: authoritative indexes known upstream but not applied here. */
export function replicationIndexLag(sourceIndex: number, appliedIndex: number): number {
  return Math.max(0, sourceIndex - appliedIndex);
}
