import { InvalidArgumentError, RegionLogClosedError } from './errors.js';
import type { ReplicatedBatch } from './replication-planner.js';
import type { Mutation } from './types.js';

/**
 * Where a region log is in its life:
 *
 * ```
 * open ⇄ degraded ──close()──▶ closing ──▶ closed
 * ```
 *
 * `degraded`: the log cannot take writes right now (HA: etcd unreachable)
 * but the state machine it feeds still serves reads; it returns to `open` by
 * itself when the cause goes away.
 */
export type RegionLogStatus = 'open' | 'degraded' | 'closing' | 'closed';

/** Options of `RegionLog.apply` / `applyReplicated`. */
export interface RegionLogWriteOptions {
  /**
   * A write only the region's leader may make (expired-token GC, follower
   * replication). In HA mode the write carries the leader's fence and is
   * refused once this agent no longer leads, so a deposed leader cannot
   * write; with one agent per region it always leads. `applyReplicated` is
   * always leader-only.
   * @default false
   */
  readonly leaderOnly?: boolean;
}

/** The result of a write: the region index it was committed at. */
export interface RegionLogWriteResult {
  readonly index: number;
}

/**
 * The contract of a region log: where a region's writes are ordered and made
 * durable (DESIGN.md "Region log"). Two backends implement it and pass the
 * same conformance suite (`@tollgate/testkit/region-log`):
 *
 * - `EmbeddedRegionLog` — the agent's own LevelDB `StateStore`, group-committed
 *   (one agent per region);
 * - `EtcdRegionLog` (in `@tollgate/server`) — etcd transactions; every agent
 *   of the region follows etcd into its own `StateStore`.
 *
 * Either way a write resolves only once it is durable *and* visible in the
 * local state machine (read-your-writes on the agent that took it), and its
 * index is the index the state machine stores on the objects it changed.
 *
 * Public methods validate and check the lifecycle; backends implement the
 * `_`-prefixed hooks (as abstract-level does).
 */
export abstract class RegionLog {
  #closing: Promise<void> | undefined;
  #closed = false;

  /** Where the log is in its lifecycle; see `RegionLogStatus`. */
  get status(): RegionLogStatus {
    if (this.#closed) return 'closed';
    if (this.#closing !== undefined) return 'closing';
    return this._degradedReason() === undefined ? 'open' : 'degraded';
  }

  /** Why the log is `degraded`, or `undefined` when it is not. */
  get degradedReason(): string | undefined {
    return this.#closing === undefined ? this._degradedReason() : undefined;
  }

  /**
   * Commits one mutation at a new region index, with Nomad's semantics (see
   * `Mutation`), and resolves once it is durable and applied locally.
   * @throws (rejects) the state machine's coded errors for a refused write
   *   (`TOLLGATE_NOT_FOUND`, `TOLLGATE_CONFLICT`, `TOLLGATE_BOOTSTRAP`, …);
   *   `RegionLogClosedError` after `close()`; backend errors (HA: etcd
   *   unreachable, no longer leader).
   */
  apply(mutation: Mutation, opts: RegionLogWriteOptions = {}): Promise<RegionLogWriteResult> {
    if (this.#closing !== undefined) return Promise.reject(new RegionLogClosedError('apply'));
    if (typeof mutation !== 'object' || mutation === null) {
      return Promise.reject(new InvalidArgumentError('mutation must be an object'));
    }
    return this._apply(mutation, opts.leaderOnly === true);
  }

  /**
   * Applies a batch replicated from the authoritative region, with the
   * replication cursor in the same atomic write (see
   * `StateStore.applyReplicated` for the rules). Always leader-only.
   */
  applyReplicated(batch: ReplicatedBatch): Promise<RegionLogWriteResult> {
    if (this.#closing !== undefined) return Promise.reject(new RegionLogClosedError('applyReplicated'));
    if (typeof batch !== 'object' || batch === null) {
      return Promise.reject(new InvalidArgumentError('batch must be an object'));
    }
    return this._applyReplicated(batch);
  }

  /**
   * The index a read must see to be linearizable now: every write
   * acknowledged before this call is at or below it. Embedded: the store's
   * index. HA: one etcd read of the region's last write revision.
   */
  readIndex(): Promise<number> {
    if (this.#closing !== undefined) return Promise.reject(new RegionLogClosedError('readIndex'));
    return this._readIndex();
  }

  /**
   * Stops taking writes and releases what the backend holds (HA: the watch
   * and etcd connections). It does not close the `StateStore` it feeds.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this._close().finally(() => {
      this.#closed = true;
    });
    return this.#closing;
  }

  /** `await using log = …` closes it on scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  protected abstract _apply(mutation: Mutation, leaderOnly: boolean): Promise<RegionLogWriteResult>;
  protected abstract _applyReplicated(batch: ReplicatedBatch): Promise<RegionLogWriteResult>;
  protected abstract _readIndex(): Promise<number>;
  protected abstract _close(): Promise<void>;
  /** Why writes cannot be taken now; `undefined` when they can. */
  protected abstract _degradedReason(): string | undefined;
}
