import { RegionLog, SecretBox } from '@tollgate/state';
import type { Mutation, RegionLogWriteResult, ReplicatedBatch, StateStore } from '@tollgate/state';
import type { Etcd3 } from 'etcd3';
import { ConfigError } from '../errors.js';
import { timeoutSignal } from '../grpc/timeout-signal.js';
import type { Logger } from '../logger.js';
import { EtcdCommitter } from './etcd-commit.js';
import { EtcdHealth } from './etcd-health.js';
import { EtcdLayout } from './etcd-layout.js';
import { ReadIndexBatcher } from './etcd-read-index.js';
import { MAX_TXN_OPS, isUnreachable, unavailable } from './etcd-retry.js';
import type { LeaderFence } from './leader-election.js';
import { RegionFollower } from './region-follower.js';

/** What the HA metrics learn from the region log. */
export interface RegionLogObserver {
  /** A write's transaction lost a compare race and the write is re-planned (once per member of a packed transaction). */
  conflict(): void;
  /** The region was listed again (first start, compaction). */
  relist(): void;
  /** Watched writes were applied; `lagSeconds` = now − their commit time, when known. */
  applied(lagSeconds: number | undefined): void;
}

/** Options of `EtcdRegionLog.open`. */
export interface EtcdRegionLogOptions {
  readonly client: Etcd3;
  /** The region's key prefix, e.g. `/tollgate/global/`. */
  readonly prefix: string;
  /** This agent's state machine, which this log feeds (through `applyCommitted` / `applySnapshot`). */
  readonly store: StateStore;
  /** The region-wide `acl.encryption_key`: seals SecretIDs before they go to etcd. */
  readonly secretKey: Buffer;
  /** Recorded with every write (`data/rev`), for diagnosis. */
  readonly agentId: string;
  readonly log: Logger;
  /** The leader fence for leader-only writes; `undefined` = this agent does not lead. */
  readonly fence: () => LeaderFence | undefined;
  readonly observer?: Partial<RegionLogObserver>;
  /**
   * How long `open` waits for the first catch-up with etcd before it
   * returns anyway (the agent then starts degraded and catches up later).
   * @default 5000
   */
  readonly syncTimeoutMs?: number;
  /**
   * etcd's `--max-txn-ops` (`etcd.max_txn_ops`): the most operations and
   * compares one transaction carries. A user's write (a token revocation
   * with its whole tree) must fit one. @default MAX_TXN_OPS (128, etcd's default)
   */
  readonly maxTxnOps?: number;
}

/** A snapshot of the log's health, for `/v1/agent/ha`, health and metrics. */
export interface EtcdRegionLogInfo {
  readonly reachable: boolean;
  /** Milliseconds since etcd last answered (0 right after an answer). */
  readonly lastContactMs: number;
  /** Whether a watch is established. */
  readonly watching: boolean;
  /** The newest region write revision this agent has heard of. */
  readonly etcdIndex: number;
  /** The store's applied index. */
  readonly appliedIndex: number;
  /** Commit-to-apply delay of the last watched write, in seconds. */
  readonly watchLagSeconds: number;
  readonly degradedReason: string | undefined;
}

/**
 * The region log of an HA region: etcd (DESIGN.md "Region log"; the key
 * layout is in `etcd-layout.ts`). This class wires the parts, one concern
 * per file: `etcd-txn-packing.ts` (plans → transactions), `etcd-commit.ts`
 * (commit, pipelining, lost-race retries), `etcd-read-index.ts` (the
 * batched read barrier), `etcd-health.ts` (probe, key check, reachability)
 * and `region-follower.ts` (list + watch into the store).
 *
 * **Writes.** A mutation is planned with Nomad's rules against this agent's
 * state (`StateStore.planMutation`), then committed as one etcd transaction
 * whose compares assert that every key the plan read is still as the plan
 * saw it: a new token's accessor and secret-hash keys do not exist
 * (`create_revision == 0`, so two agents can never both create them), an
 * updated or deleted object still has the mod revision it had, bootstrap is
 * still undone (or at the reset index given). A failed compare means another
 * agent won a race: this agent catches up to the winner's revision and
 * re-plans (which then yields the winner's outcome: e.g. "ACL bootstrap
 * already done"). The write's index is the transaction's revision, and the
 * call resolves once this agent's own watch has applied it
 * (read-your-writes). Leader-only writes also compare the leader key
 * (fencing). Concurrent user writes are packed into shared transactions,
 * several in flight at once (see `EtcdCommitter`).
 *
 * **Reads** stay on the local store. `readIndex()` is one etcd read of
 * `data/rev`, the revision of the region's last write, shared by every call
 * that arrived before it was sent (`ReadIndexBatcher`): a linearizable read
 * waits until the store has applied it.
 *
 * **Failure.** A probe reads `data/rev` every second. When etcd does not
 * answer, the log is `degraded`: writes fail at once with a 503 naming etcd,
 * reads go on from the store. When etcd answers again, the follower resumes
 * from the store's index and the log is `open` again.
 */
export class EtcdRegionLog extends RegionLog {
  readonly #o: EtcdRegionLogOptions;
  readonly #client: Etcd3;
  readonly #layout: EtcdLayout;
  readonly #store: StateStore;
  readonly #follower: RegionFollower;
  readonly #health: EtcdHealth;
  readonly #reads: ReadIndexBatcher;
  readonly #committer: EtcdCommitter;
  #watching = false;
  #lagSeconds = 0;

  private constructor(opts: EtcdRegionLogOptions) {
    super();
    this.#o = opts;
    this.#client = opts.client;
    this.#layout = new EtcdLayout(opts.prefix);
    this.#store = opts.store;
    const box = new SecretBox(opts.secretKey);
    const health = new EtcdHealth({
      client: opts.client,
      layout: this.#layout,
      store: opts.store,
      box,
      log: opts.log,
      restartWatch: () => this.#follower.restartWatch(),
    });
    this.#health = health;
    this.#reads = new ReadIndexBatcher({ fetch: () => this.#fetchRevision() });
    this.#committer = new EtcdCommitter({
      client: opts.client,
      layout: this.#layout,
      store: opts.store,
      box,
      agentId: opts.agentId,
      maxTxnOps: opts.maxTxnOps ?? MAX_TXN_OPS,
      health,
      readIndex: () => this._readIndex(),
      fence: opts.fence,
      onConflict: () => opts.observer?.conflict?.(),
    });
    this.#follower = new RegionFollower({
      client: opts.client,
      layout: this.#layout,
      store: opts.store,
      box,
      log: opts.log,
      events: {
        onWatching: (w) => {
          this.#watching = w;
          if (w) health.markReachable();
        },
        onApplied: (index, committedAtMs) => {
          health.fatal = undefined;
          health.sawIndex(index);
          const lag = committedAtMs === undefined ? undefined : Math.max(0, Date.now() - committedAtMs) / 1000;
          if (lag !== undefined) this.#lagSeconds = lag;
          this.#o.observer?.applied?.(lag);
        },
        onRelist: (index) => {
          this.#o.log.info({ index }, 'listed the region from etcd');
          this.#o.observer?.relist?.();
        },
        onError: (err, fatal) => {
          const message = err instanceof Error ? err.message : String(err);
          if (fatal) {
            if (health.fatal !== message) this.#o.log.error({ err: message }, 'cannot follow the region in etcd');
            health.fatal = message;
          } else {
            this.#o.log.warn({ err: message }, 'etcd watch broke; resuming from the stored index');
            if (isUnreachable(err)) health.markUnreachable(err);
          }
        },
      },
    });
  }

  /**
   * Opens the log: checks that this agent's `acl.encryption_key` is the
   * region's, starts following etcd and probing it, and waits (up to
   * `syncTimeoutMs`) until the store has caught up with etcd. When etcd is
   * unreachable it returns anyway, degraded, and catches up later.
   * @throws ConfigError when etcd holds data sealed under another key.
   */
  static async open(opts: EtcdRegionLogOptions): Promise<EtcdRegionLog> {
    const log = new EtcdRegionLog(opts);
    try {
      await log.#health.checkKey();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      log.#health.markUnreachable(err);
      opts.log.warn({ err: String(err) }, 'etcd is unreachable at start; serving reads from the local state until it answers');
    }
    log.#follower.start();
    log.#health.start();
    if (log.#health.reachable) {
      const bound = timeoutSignal(opts.syncTimeoutMs ?? 5000);
      try {
        const target = await log._readIndex();
        await opts.store.waitForIndex(target, bound.signal);
      } catch {
        // Degraded start; the probe and the follower recover by themselves.
      } finally {
        bound.dispose();
      }
    }
    return log;
  }

  /** Health and progress, for status endpoints and metrics. */
  get info(): EtcdRegionLogInfo {
    return {
      reachable: this.#health.reachable,
      lastContactMs: this.#health.lastContactMs,
      watching: this.#watching,
      etcdIndex: Math.max(this.#health.etcdIndex, this.#store.index()),
      appliedIndex: this.#store.index(),
      watchLagSeconds: this.#lagSeconds,
      degradedReason: this.degradedReason,
    };
  }

  protected _apply(mutation: Mutation, leaderOnly: boolean): Promise<RegionLogWriteResult> {
    return this.#committer.write(() => this.#store.planMutation(mutation), mutation, leaderOnly);
  }

  protected _applyReplicated(batch: ReplicatedBatch): Promise<RegionLogWriteResult> {
    return this.#committer.write(() => this.#store.planReplicated(batch), undefined, true);
  }

  /**
   * The revision of the region's last write (`data/rev`), from an etcd read
   * sent after this call (see `ReadIndexBatcher`).
   */
  protected _readIndex(): Promise<number> {
    const down = this.#health.unreachableError('the read-index lookup');
    if (down !== undefined) return Promise.reject(down);
    return this.#reads.read();
  }

  async #fetchRevision(): Promise<number> {
    let res;
    try {
      res = await this.#client.get(this.#layout.rev).exec();
    } catch (err) {
      if (isUnreachable(err)) this.#health.markUnreachable(err);
      throw unavailable('the read-index lookup', err);
    }
    this.#health.markReachable();
    const kv = res.kvs[0];
    const index = kv === undefined ? 0 : Number(kv.mod_revision);
    this.#health.sawIndex(index);
    return index;
  }

  protected _degradedReason(): string | undefined {
    return this.#health.degradedReason();
  }

  protected async _close(): Promise<void> {
    await this.#follower.close();
    await this.#health.close();
  }
}
