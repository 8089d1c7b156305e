import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import type { RegionLog, StateStore } from '@tollgate/state';
import { WaitTimeoutError } from '../errors.js';
import { timeoutSignal } from '../grpc/timeout-signal.js';
import type { Logger } from '../logger.js';
import type { ResolvedEtcdConfig } from '../config.js';
import { createEtcdClient } from './etcd-client.js';
import { EtcdCompactor } from './etcd-compactor.js';
import { EtcdLayout } from './etcd-layout.js';
import { EtcdRegionLog, type RegionLogObserver } from './etcd-region-log.js';
import { APPLY_WAIT_MS } from './etcd-retry.js';
import type { HaContext, HaStatus } from './ha-context.js';
import { LeaderElection, type LeaderFence, type LeadershipState } from './leader-election.js';
import type { LeaderTasks } from './leader-tasks.js';

/** Options of `HaRuntime.start`. */
export interface HaRuntimeOptions {
  /** `etcd { endpoints, prefix }` of the agent config. */
  readonly etcd: ResolvedEtcdConfig;
  /** The region-wide `acl.encryption_key` (config refuses an etcd block without it). */
  readonly encryptionKey: Buffer;
  /** The agent's state machine, which the etcd region log feeds (through `applyCommitted` / `applySnapshot`). */
  readonly store: StateStore;
  readonly log: Logger;
  /** The agent's leader tasks; this runtime switches them with the leadership. */
  readonly tasks: LeaderTasks;
  readonly observer?: Partial<RegionLogObserver> & { leaderChange?(isLeader: boolean): void };
  /** @default 3 */
  readonly leaderTtlSeconds?: number;
  /** @default 300000 */
  readonly compactionIntervalMs?: number;
}

/**
 * Everything an agent runs in HA mode, wired together: the etcd client, the
 * etcd region log (writes, list + watch, probe), the leader election and the
 * switch that runs the agent's leader tasks only while this agent leads
 * *and* reaches etcd (a leader cut off from etcd stops its work at once; its
 * fenced writes would fail anyway).
 *
 * ```
 * start() ─▶ key check, catch-up ─▶ startElection(http) ─▶ … ─▶ close(): resign, stop watch
 * ```
 */
export class HaRuntime implements HaContext {
  /** Unique per agent process: the election candidate and the writer recorded in `data/rev`. */
  readonly agentId: string;
  readonly #o: HaRuntimeOptions;
  readonly #client: Etcd3;
  readonly #log: EtcdRegionLog;
  #election: LeaderElection | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wasLeading = false;

  /** The region's etcd client (other users of the region's etcd: the OIDC state store). */
  get etcdClient(): Etcd3 {
    return this.#client;
  }

  private constructor(opts: HaRuntimeOptions, agentId: string, client: Etcd3, log: EtcdRegionLog) {
    this.agentId = agentId;
    this.#o = opts;
    this.#client = client;
    this.#log = log;
  }

  /**
   * Connects to etcd and catches up (bounded; a region whose etcd is down
   * starts degraded and serves reads). Leader tasks do not run before
   * `startElection`.
   * @throws ConfigError when the region's data in etcd was sealed under
   *   another key.
   */
  static async start(opts: HaRuntimeOptions): Promise<HaRuntime> {
    const { endpoints, caFile, certFile, keyFile, username, password } = opts.etcd;
    const client = createEtcdClient({ endpoints, caFile, certFile, keyFile, username, password });
    const agentId = randomUUID();
    let runtime: HaRuntime | undefined;
    try {
      const log = await EtcdRegionLog.open({
        client,
        prefix: opts.etcd.prefix,
        store: opts.store,
        secretKey: opts.encryptionKey,
        agentId,
        log: opts.log,
        fence: () => runtime?.fence(),
        maxTxnOps: opts.etcd.maxTxnOps,
        ...(opts.observer ? { observer: opts.observer } : {}),
      });
      runtime = new HaRuntime(opts, agentId, client, log);
      return runtime;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** The fence of this agent's leadership, or `undefined` when it does not lead. */
  fence(): LeaderFence | undefined {
    return this.#election?.fence();
  }

  /** The region log the agent writes through. */
  get regionLog(): RegionLog {
    return this.#log;
  }

  /**
   * Starts campaigning (after the HTTP listener is up, so the leader record
   * carries its address) and registers the etcd compaction leader task.
   */
  startElection(httpAddress: string): void {
    if (this.#election !== undefined) return;
    this.#election = new LeaderElection({
      client: this.#client,
      layout: new EtcdLayout(this.#o.etcd.prefix),
      candidate: { id: this.agentId, http: httpAddress },
      log: this.#o.log,
      ttlSeconds: this.#o.leaderTtlSeconds ?? 3,
      onChange: (s) => this.#reconcile(s),
    });
    this.#o.tasks.add(
      new EtcdCompactor({
        client: this.#client,
        log: this.#o.log,
        revision: () => this.#log.info.etcdIndex,
        intervalMs: this.#o.compactionIntervalMs ?? 300_000,
      }),
    );
    this.#election.start();
    // Reachability changes without an election event: re-check twice a second.
    this.#timer = setInterval(() => this.#reconcile(this.#election?.state), 500);
    this.#timer.unref();
  }

  #reconcile(state: LeadershipState | undefined): void {
    const leading = state?.isLeader === true && this.#log.status === 'open';
    if (leading === this.#wasLeading) return;
    this.#wasLeading = leading;
    this.#o.log.info({ leading, term: state?.term ?? 0 }, leading ? 'running leader tasks' : 'stopped leader tasks');
    this.#o.observer?.leaderChange?.(leading);
    void this.#o.tasks.setLeading(leading);
  }

  async sync(signal?: AbortSignal): Promise<number> {
    const target = await this.#log.readIndex();
    const { store } = this.#o;
    if (store.index() >= target) return store.index();
    const bound = timeoutSignal(APPLY_WAIT_MS, signal);
    let reached: number;
    try {
      reached = await store.waitForIndex(target, bound.signal);
    } finally {
      bound.dispose();
    }
    if (reached < target && !signal?.aborted && this.#o.store.status === 'open') {
      throw new WaitTimeoutError(`this agent has not caught up with its region (applied ${reached}, region at ${target})`);
    }
    return reached;
  }

  lastContactMs(): number {
    return this.#log.info.lastContactMs;
  }

  reachable(): boolean {
    return this.#log.info.reachable;
  }

  status(): HaStatus {
    const info = this.#log.info;
    const election = this.#election?.state;
    return {
      Mode: 'etcd',
      AgentID: this.agentId,
      Endpoints: this.#o.etcd.endpoints,
      Prefix: this.#o.etcd.prefix,
      // Leading = elected *and* reaching etcd: the leader tasks run exactly then.
      IsLeader: this.#wasLeading,
      Term: this.#wasLeading ? (election?.term ?? 0) : 0,
      Leader: election?.leader ? { ID: election.leader.id, HTTPAddr: election.leader.http } : null,
      AppliedIndex: info.appliedIndex,
      EtcdIndex: info.etcdIndex,
      WatchLagSeconds: info.watchLagSeconds,
      Watching: info.watching,
      Reachable: info.reachable,
      LastContactMs: info.lastContactMs,
      Degraded: this.#log.degradedReason ?? null,
      LeaderTasks: this.#o.tasks.running,
    };
  }

  /** Resigns (another agent leads at once), stops following etcd and closes the client. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#o.tasks.setLeading(false);
    await this.#election?.close();
    await this.#log.close();
    this.#client.close();
  }
}
