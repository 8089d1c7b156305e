import type { ReplicatedBatch, WriteResult } from '@tollgate/state';
import { changeCount, hasChanges, mergeBatches, toReplicatedBatch } from './change-batch.js';
import type { ChangeBatchData } from './change-batch.js';

/**
 * Changes one store write takes at most; batches queued beyond it go into
 * the next write. A catch-up queues many full batches: merging all of them
 * makes one huge write whose planning garbage outlives the young
 * generation, and measured slower than writes of this size.
 */
export const MAX_MERGED_CHANGES = 8_192;

/** The part of the store the applier writes to. */
export interface ReplicaStore {
  applyReplicated(batch: ReplicatedBatch): Promise<WriteResult>;
  replicationCursor(): number;
}

/** Callbacks of a `BatchApplier`. */
export interface BatchApplierHooks {
  /** A merged batch is durable (`changes` = upserts + deletes in it). */
  onApplied?(batch: ChangeBatchData, changes: number): void;
  /** The store refused or failed a batch; the applier stops taking batches. */
  onFailed?(err: unknown): void;
}

/**
 * Applies the batches of one Watch stream in order, one store write at a
 * time: while a write is being made durable, the batches that arrive queue
 * and are then merged into the next write (`mergeBatches`), so a burst costs
 * a few fsyncs instead of one per batch, and the stream keeps being read.
 *
 * Order and exactly-once: batches are applied in the order pushed; a batch
 * whose index is not above everything pushed before is dropped (a
 * duplicate); the store refuses a cursor that goes backwards. After a
 * failure nothing more is applied: the session ends and the next one
 * resumes from the store's durable cursor.
 */
export class BatchApplier {
  readonly #store: ReplicaStore;
  readonly #hooks: BatchApplierHooks;
  #pending: ChangeBatchData[] = [];
  #inFlight: ChangeBatchData | undefined;
  #running: Promise<void> | undefined;
  #failure: unknown;
  #failed = false;
  #stopped = false;
  #lastQueued: number;
  #waiters: Array<() => void> = [];

  constructor(store: ReplicaStore, hooks: BatchApplierHooks = {}) {
    this.#store = store;
    this.#hooks = hooks;
    this.#lastQueued = store.replicationCursor();
  }

  /** The first failure (`undefined` while healthy). */
  get failure(): unknown {
    return this.#failed ? this.#failure : undefined;
  }

  /** Batches queued and not yet being written. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** The highest index pushed (or applied before this applier existed). */
  get lastQueuedIndex(): number {
    return this.#lastQueued;
  }

  /** Source commit time of the oldest change not yet durable, if any. */
  get oldestPendingCommitMs(): number | undefined {
    if (this.#inFlight !== undefined && hasChanges(this.#inFlight)) return this.#inFlight.commitTimeMs;
    for (const b of this.#pending) if (hasChanges(b)) return b.commitTimeMs;
    return undefined;
  }

  /**
   * Queues a batch (a heartbeat's progress is a batch without changes).
   * Returns `false` when it was dropped: a duplicate, or the applier has
   * failed or stopped.
   */
  push(batch: ChangeBatchData): boolean {
    if (this.#failed || this.#stopped || batch.index <= this.#lastQueued) return false;
    this.#lastQueued = batch.index;
    this.#pending.push(batch);
    this.#running ??= this.#drain();
    return true;
  }

  /** Resolves once fewer than `max` batches are queued (or the applier failed/stopped): backpressure. */
  async waitForRoom(max: number): Promise<void> {
    while (this.#pending.length >= max && !this.#failed && !this.#stopped && this.#running !== undefined) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Resolves once every batch pushed so far is durable (or the applier failed). */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Drops the queued batches and waits for the write in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = [];
    await this.flush();
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** The queued batches of the next write: all, or as many as fit `MAX_MERGED_CHANGES` (at least one). */
  #take(): ChangeBatchData[] {
    let changes = 0;
    let n = 0;
    for (const b of this.#pending) {
      const c = changeCount(b);
      if (n > 0 && changes + c > MAX_MERGED_CHANGES) break;
      changes += c;
      n++;
    }
    return this.#pending.splice(0, n);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#failed && !this.#stopped) {
        const batch = mergeBatches(this.#take());
        this.#inFlight = batch;
        this.#wake();
        try {
          // A progress entry at or below the durable cursor would only rewrite it.
          if (hasChanges(batch) || batch.index > this.#store.replicationCursor()) {
            await this.#store.applyReplicated(toReplicatedBatch(batch));
          }
          this.#hooks.onApplied?.(batch, changeCount(batch));
        } catch (err) {
          this.#failed = true;
          this.#failure = err;
          this.#pending = [];
          this.#hooks.onFailed?.(err);
        } finally {
          this.#inFlight = undefined;
        }
      }
    } finally {
      this.#running = undefined;
      this.#wake();
    }
  }
}
