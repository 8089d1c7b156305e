import { RegionLog, type RegionLogWriteResult } from './region-log.js';
import type { ReplicatedBatch } from './replication-planner.js';
import type { StateStore } from './state-store.js';
import type { Mutation } from './types.js';

/**
 * The region log of a single-agent region: the agent's own `StateStore`,
 * whose group-committed LevelDB batches order and persist the writes (the
 * index counter lives in the same atomic batch as the data). This is exactly
 * the behaviour of `StateStore.apply`; the wrapper only gives it the
 * `RegionLog` shape the agent writes through.
 *
 * The only agent of its region always leads, so `leaderOnly` changes
 * nothing. Closing the log does not close the store (the agent owns both).
 *
 * ```ts
 * const log = new EmbeddedRegionLog(store);
 * const { index } = await log.apply({ type: 'policy-delete', names: ['old'] });
 * ```
 */
export class EmbeddedRegionLog extends RegionLog {
  readonly #store: StateStore;

  constructor(store: StateStore) {
    super();
    this.#store = store;
  }

  protected _apply(mutation: Mutation): Promise<RegionLogWriteResult> {
    return this.#store.apply(mutation);
  }

  protected _applyReplicated(batch: ReplicatedBatch): Promise<RegionLogWriteResult> {
    return this.#store.applyReplicated(batch);
  }

  protected _readIndex(): Promise<number> {
    // Every acknowledged write is already in the store: its index is current.
    return Promise.resolve(this.#store.index());
  }

  protected _close(): Promise<void> {
    return Promise.resolve();
  }

  protected _degradedReason(): string | undefined {
    return undefined;
  }
}
