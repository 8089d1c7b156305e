import { planMutation } from './mutation-planner.js';
import { RegionLog, type RegionLogWriteResult } from './region-log.js';
import { planReplicated, type ReplicatedBatch } from './replication-planner.js';
import { commitPlanned, type StateStore } from './state-store.js';
import type { Mutation } from './types.js';

/**
 * The region log of a single-agent region: the agent's own LevelDB. It
 * orders the writes itself — each mutation is planned with Nomad's rules
 * against the state staged so far in its group commit and gets the next
 * region index — and hands the planned entries to the state machine's apply
 * path (`StateStore`'s group-commit queue), which writes each group as one
 * LevelDB batch. The index counter lives in that same atomic batch as the
 * data, and a batch holding a mutation is fsynced before any caller hears
 * back: the store's LevelDB is the durable copy of the log. Replicated
 * batches are not fsynced (the authoritative region holds them; see
 * `PlannedWrite.sync`).
 *
 * The etcd log (`@tollgate/server`, HA) is the other backend: it plans
 * against the same store (`StateStore.planMutation`), commits to etcd, and
 * feeds the committed entries into the same apply path
 * (`StateStore.applyCommitted`).
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
    return this.#store[commitPlanned]({
      operation: 'apply',
      sync: true,
      plan: (staged) => [planMutation(staged, mutation, staged.index + 1)],
    });
  }

  protected _applyReplicated(batch: ReplicatedBatch): Promise<RegionLogWriteResult> {
    return this.#store[commitPlanned]({
      operation: 'applyReplicated',
      sync: false,
      plan: (staged, log) => [planReplicated(staged, batch, staged.index + 1, log)],
    });
  }

  protected _readIndex(): Promise<number> {
    // Every acknowledged write is already in the store: its index is current.
    return Promise.resolve(this.#store.index());
  }

  protected _close(): Promise<void> {
    return Promise.resolve();
  }

  protected _degradedReason(): string | undefined {
    // The store's own (a failed commit) is reported by the store.
    return undefined;
  }
}
