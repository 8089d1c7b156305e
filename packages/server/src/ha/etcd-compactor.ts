import type { Etcd3 } from 'etcd3';
import type { Logger } from '../logger.js';
import type { LeaderTask } from './leader-tasks.js';

/** Options of `EtcdCompactor`. */
export interface EtcdCompactorOptions {
  readonly client: Etcd3;
  readonly log: Logger;
  /** The current etcd revision (the region log's newest known write). */
  readonly revision: () => number;
  /**
   * How often the leader compacts, and how much history survives: each run
   * compacts to the revision seen one interval earlier, so an agent that is
   * behind by less than an interval can still resume its watch (one that is
   * further behind lists the region again).
   * @default 300000 (5 minutes)
   */
  readonly intervalMs?: number;
}

/**
 * The region's change-feed clean-up in HA mode, a leader task: etcd keeps
 * every revision until compacted, and the region's writes are its
 * revisions, so without this the etcd database grows without bound. Like
 * etcd's own periodic auto-compaction, but run once per region (by the
 * leader) and aware of the data revision the agents follow.
 */
export class EtcdCompactor implements LeaderTask {
  readonly name = 'etcd-compaction';
  readonly #o: EtcdCompactorOptions;
  #timer: NodeJS.Timeout | undefined;
  #previous = 0;
  #running: Promise<number> | undefined;

  constructor(opts: EtcdCompactorOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#previous = this.#o.revision();
    this.#timer = setInterval(() => {
      this.#running ??= this.compactOnce().finally(() => {
        this.#running = undefined;
      });
    }, this.#o.intervalMs ?? 300_000);
    this.#timer.unref();
  }

  /**
   * Compacts to the revision remembered at the previous run and remembers
   * the current one. Returns the revision compacted to (0 = nothing to do).
   */
  async compactOnce(): Promise<number> {
    const target = this.#previous;
    this.#previous = this.#o.revision();
    if (target <= 1) return 0;
    try {
      await this.#o.client.kv.compact({ revision: String(target), physical: false });
      this.#o.log.info({ revision: target }, 'compacted etcd history');
      return target;
    } catch (err) {
      // Compacting to a revision that is already compacted (another leader
      // did it) is an error in etcd and harmless here.
      this.#o.log.debug({ err: String(err), revision: target }, 'etcd compaction skipped');
      return 0;
    }
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
