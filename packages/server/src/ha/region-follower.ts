import type { Etcd3, IKeyValue, IWatchResponse } from 'etcd3';
import type { CommitEntry, SecretBox, StateStore, TableName } from '@tollgate/state';
import type { Logger } from '../logger.js';
import { decodeEvents, decodeSnapshot, type EtcdLayout } from './etcd-layout.js';
import { sleep } from '../sleep.js';
import { backoffMs, isCompacted } from './etcd-retry.js';
import { hasErrorCode } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** Keys per page when listing a region (relist), so no response grows unbounded. */
const LIST_PAGE = 1000;

/** What the follower reports to its owner (the region log). */
export interface FollowerEvents {
  /** A watch is established (true) or lost (false). */
  onWatching(watching: boolean): void;
  /** Entries up to `index` are applied; `committedAtMs` is the newest commit time among them, if known. */
  onApplied(index: number, committedAtMs: number | undefined): void;
  /** The region was listed again (first start or after compaction). */
  onRelist(index: number): void;
  /** The follow loop failed and will retry; `fatal` errors (undecodable data) keep it degraded. */
  onError(err: unknown, fatal: boolean): void;
}

/** Options of `RegionFollower`. */
export interface RegionFollowerOptions {
  readonly client: Etcd3;
  readonly layout: EtcdLayout;
  readonly store: StateStore;
  readonly box: SecretBox;
  readonly log: Logger;
  readonly events: FollowerEvents;
}

/**
 * Follows one region's etcd data into the agent's `StateStore`: list +
 * watch from the store's index, one `CommitEntry` per etcd revision.
 *
 * ```
 *   ┌──────────────── relist (store empty, or revisions compacted) ───────────┐
 *   ▼                                                                         │
 * start ─▶ watch from store.index()+1 ─▶ events ─▶ applyCommitted ─▶ …        │
 *               │  disconnected / apply failed: backoff, resume from index ──┘ (watch again)
 *               └─ cancelled by etcd (compaction) ─────────────────────────────┘
 * ```
 *
 * The resume point is always the store's own index (stored atomically with
 * the data), never etcd3's internal watch revision: etcd3 advances its
 * revision to the response header on (re)connect, which can skip events
 * that were still being sent when the stream broke. So this class cancels
 * the etcd3 watcher on any disconnect and opens a new one itself.
 */
export class RegionFollower {
  readonly #o: RegionFollowerOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #needRelist = false;
  #listed = false;
  /** Kicked to end the current watch early (stall detected, or close). */
  #kick: (() => void) | undefined;

  /** Logs and counts a value whose MAC failed (edited in etcd); it was left out. */
  readonly #refused = (table: TableName, id: string): void => {
    this.#o.store.reportRefusedRecord(table, id, 'its integrity check (MAC) failed: the value was edited in etcd', 'etcd');
  };

  constructor(opts: RegionFollowerOptions) {
    this.#o = opts;
  }

  /** Starts following in the background. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Ends the current watch and opens a new one from the store's index (the
   * owner calls this when the watch looks stalled: etcd has newer writes
   * than the store, but nothing arrives).
   */
  restartWatch(): void {
    this.#kick?.();
  }

  /** Stops following and waits for the loop to end. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#kick?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        if (this.#needRelist || (!this.#listed && this.#o.store.index() === 0)) {
          await this.#relist();
          this.#needRelist = false;
        }
        this.#listed = true;
        await this.#watch(() => {
          failures = 0;
        });
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        if (isCompacted(err)) {
          this.#o.log.info(
            { from: this.#o.store.index() + 1, reason: err instanceof Error ? err.message : String(err) },
            'etcd cancelled the watch (compacted history); listing the region again',
          );
          this.#needRelist = true;
          continue;
        }
        const fatal = hasErrorCode(err, 'TOLLGATE_HA_UNDECODABLE');
        this.#o.events.onError(err, fatal);
        // Undecodable data will not fix itself quickly; do not spin on it.
        await sleep(fatal ? 5000 : backoffMs(failures++), this.#stop.signal);
      }
    }
  }

  /** Lists `data/` page by page at one revision and applies it as a snapshot. */
  async #relist(): Promise<void> {
    const { client, layout, store, box } = this.#o;
    const kvs: IKeyValue[] = [];
    let revision: string | undefined;
    let from = layout.data;
    const end = `${layout.data.slice(0, -1)}0`; // '/' + 1 = '0': the end of the data/ range
    for (;;) {
      let q = client.getAll().inRange({ start: from, end }).limit(LIST_PAGE).sort('Key', 'Ascend');
      if (revision !== undefined) q = q.revision(revision);
      const res = await q.exec();
      revision ??= res.header.revision;
      kvs.push(...res.kvs);
      if (!res.more || res.kvs.length === 0) break;
      // Continue just after the last key of this page.
      from = `${res.kvs[res.kvs.length - 1]!.key.toString()}\u0000`;
    }
    const snapshot = decodeSnapshot(layout, kvs, Number(revision), box, this.#refused);
    if (snapshot.index < store.index()) {
      // The local store is ahead of this etcd: it followed another cluster
      // (etcd wiped and recreated?). Refuse rather than go back in time.
      throw Object.assign(
        new Error(
          `this agent's state is at index ${store.index()} but etcd is only at revision ${snapshot.index}: the data dir follows another etcd cluster; remove <data_dir>/server/state to resynchronize`,
        ),
        { code: 'TOLLGATE_HA_UNDECODABLE' satisfies ErrorCode },
      );
    }
    await store.applySnapshot(snapshot);
    this.#o.events.onRelist(snapshot.index);
    this.#o.events.onApplied(store.index(), undefined);
  }

  /**
   * One watch from the store's index + 1 until it breaks. Resolves when
   * kicked, rejects with the reason it broke.
   */
  #watch(onConnected: () => void): Promise<void> {
    const { client, layout, store, box, events } = this.#o;
    const from = store.index() + 1;
    const watcher = client.watch().prefix(layout.data).startRevision(String(from)).watcher();
    // Entries decoded but not yet applied. While one apply is in flight,
    // later responses pile up here and go to the store together: one
    // LevelDB batch for all of them (group commit across watch responses).
    let pending: CommitEntry[] = [];
    let pendingCommittedAt: number | undefined;
    let applying: Promise<void> = Promise.resolve();
    let broken = false;

    return new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown): void => {
        if (broken) return;
        broken = true;
        this.#kick = undefined;
        events.onWatching(false);
        watcher.removeAllListeners();
        // Keep a no-op error listener: etcd3 may still emit on a cancelled watcher.
        watcher.on('error', () => undefined);
        void watcher.cancel().catch(() => undefined);
        // Let queued applies settle before the next watch reads store.index().
        void applying.then(() => (err === undefined ? resolve() : reject(err)));
      };
      this.#kick = () => finish();
      if (this.#stop.signal.aborted) return finish();
      watcher.on('connected', () => {
        events.onWatching(true);
        onConnected();
      });
      watcher.on('disconnected', (err: Error) => finish(err));
      watcher.on('error', (err: Error) => finish(err));
      watcher.on('data', (res: IWatchResponse) => {
        if (broken || res.events.length === 0) return;
        let decoded;
        try {
          decoded = decodeEvents(layout, res.events, box, this.#refused);
        } catch (err) {
          finish(err);
          return;
        }
        const flushNow = pending.length === 0;
        pending.push(...decoded.entries);
        if (decoded.committedAtMs !== undefined) pendingCommittedAt = Math.max(pendingCommittedAt ?? 0, decoded.committedAtMs);
        // A flush is already queued behind the apply in flight; it takes these too.
        if (!flushNow) return;
        applying = applying.then(async () => {
          const entries = pending;
          const committedAtMs = pendingCommittedAt;
          pending = [];
          pendingCommittedAt = undefined;
          if (broken || entries.length === 0) return;
          try {
            const { index } = await store.applyCommitted(entries);
            events.onApplied(index, committedAtMs);
          } catch (err) {
            this.#o.log.error({ err, from: entries[0]?.index }, 'applying watched etcd changes failed; resuming from the stored index');
            finish(err);
          }
        });
      });
    });
  }
}
