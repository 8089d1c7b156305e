import type { TableName } from './types.js';

/**
 * The metrics port of the state store: a few callbacks the server binds to
 * prom-client (histograms/counters). Every method is optional when passed to
 * `StateStore.open`; missing ones default to no-ops.
 */
export interface StoreMetrics {
  /**
   * One LevelDB batch was written and made visible. `batchSize` is the number
   * of writes (mutations or replicated batches) group-committed in it,
   * `seconds` the wall time of the synced batch write.
   */
  observeCommit(batchSize: number, seconds: number): void;
  /** A write was refused by validation (`code` is the error's code). */
  observeRejected(code: string): void;
  /** A batch write failed; every write in it was rejected. */
  observeCommitFailure(batchSize: number): void;
  /** `entries` change-feed entries were pruned in the background. */
  observePrune(entries: number): void;
  /**
   * A stored record failed its integrity check and was refused (`source`:
   * `disk` for this store's LevelDB, or what an external log reports, e.g. `etcd`).
   */
  observeRecordRefused(table: TableName, source: string): void;
}

const discard = (): void => {};

/** Metrics that record nothing; the default. */
export const noopStoreMetrics: StoreMetrics = Object.freeze({
  observeCommit: discard,
  observeRejected: discard,
  observeCommitFailure: discard,
  observePrune: discard,
  observeRecordRefused: discard,
});

/**
 * Fills the methods a caller left out with no-ops. Methods are bound, so a
 * class instance (whose methods live on its prototype) works too.
 */
export function resolveStoreMetrics(metrics: Partial<StoreMetrics> | undefined): StoreMetrics {
  if (metrics === undefined) return noopStoreMetrics;
  return {
    observeCommit: metrics.observeCommit?.bind(metrics) ?? discard,
    observeRejected: metrics.observeRejected?.bind(metrics) ?? discard,
    observeCommitFailure: metrics.observeCommitFailure?.bind(metrics) ?? discard,
    observePrune: metrics.observePrune?.bind(metrics) ?? discard,
    observeRecordRefused: metrics.observeRecordRefused?.bind(metrics) ?? discard,
  };
}
