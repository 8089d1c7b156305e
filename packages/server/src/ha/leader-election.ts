import { Election } from 'etcd3';
import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from '../logger.js';
import type { EtcdLayout } from './etcd-layout.js';
import { sleep } from '../sleep.js';
import { backoffMs } from './etcd-retry.js';

/** Who an agent is, as it campaigns (and as `/v1/agent/ha` shows the leader). */
export interface Candidate {
  /** Unique per agent process. */
  readonly id: string;
  /** The agent's HTTP address. */
  readonly http: string;
}

/** This agent's view of its region's leadership. */
export interface LeadershipState {
  readonly isLeader: boolean;
  /**
   * While leading: the create revision of this agent's leader key — a
   * fencing token that grows with every new leadership. 0 otherwise.
   */
  readonly term: number;
  /** The current leader as observed in etcd; `undefined` when none or unknown. */
  readonly leader: Candidate | undefined;
}

/** The compare a leader-only write carries: the leader key still exists with this create revision. */
export interface LeaderFence {
  readonly key: string;
  readonly createRevision: number;
}

/** Options of `LeaderElection`. */
export interface LeaderElectionOptions {
  readonly client: Etcd3;
  readonly layout: EtcdLayout;
  readonly candidate: Candidate;
  readonly log: Logger;
  /**
   * Lease TTL of the leader key: how long a crashed leader keeps the
   * leadership before another agent takes over.
   * @default 3
   */
  readonly ttlSeconds?: number;
  /** Called after every change of `state`. */
  readonly onChange?: (state: LeadershipState) => void;
}

/** How often the current leader is read (for status only; fencing does not depend on it). */
const OBSERVE_INTERVAL_MS = 1000;

/** The election's name under the region prefix (`<prefix>election/leader/<lease>`). */
const ELECTION = 'leader';

/**
 * Leader election for an HA region, on etcd leases in the key layout of
 * etcd3's `Election` (whose `leader()` reads who leads): each agent
 * campaigns with a key bound to its lease (etcd3 `Lease`, kept alive every
 * TTL/3); the oldest key leads. A leader that crashes stops renewing its
 * lease, etcd deletes its key after the TTL and the next candidate leads;
 * one that shuts down revokes its lease and hands over at once.
 *
 * Leadership is advisory for scheduling (who runs GC and replication), and
 * binding for writes: leader-only writes compare that this agent's leader
 * key still exists with the create revision it had when elected (`fence()`),
 * so a deposed leader — paused, partitioned, its lease expired — cannot
 * write, even before it notices.
 *
 * ```
 * candidate ──elected──▶ leader ──lease lost / close()──▶ candidate (new campaign, backoff)
 * ```
 */
export class LeaderElection {
  readonly #o: LeaderElectionOptions;
  readonly #election: Election;
  readonly #electionPrefix: string;
  readonly #ttl: number;
  readonly #stop = new AbortController();
  #state: LeadershipState = { isLeader: false, term: 0, leader: undefined };
  #fence: LeaderFence | undefined;
  #loops: Promise<void>[] = [];

  constructor(opts: LeaderElectionOptions) {
    this.#o = opts;
    this.#ttl = opts.ttlSeconds ?? 3;
    this.#election = opts.client.namespace(opts.layout.prefix).election(ELECTION, this.#ttl);
    // The key layout of etcd3's Election, so `Election.leader()` reads our keys.
    this.#electionPrefix = `${opts.layout.prefix}${Election.prefix}/${ELECTION}/`;
  }

  /** The current state (see `LeadershipState`). */
  get state(): LeadershipState {
    return this.#state;
  }

  /** The fence for a leader-only write, or `undefined` when this agent does not lead. */
  fence(): LeaderFence | undefined {
    return this.#fence;
  }

  /** Starts campaigning and observing in the background. */
  start(): void {
    if (this.#loops.length > 0) return;
    this.#loops = [this.#campaignLoop(), this.#observeLoop()];
  }

  /**
   * Stops campaigning. A leader resigns (revokes its lease), so another
   * agent takes over at once instead of after the TTL.
   */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#loops);
  }

  #set(patch: Partial<LeadershipState>): void {
    const next = { ...this.#state, ...patch };
    const changed =
      next.isLeader !== this.#state.isLeader ||
      next.term !== this.#state.term ||
      next.leader?.id !== this.#state.leader?.id;
    this.#state = next;
    if (changed) this.#o.onChange?.(next);
  }

  async #campaignLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      const lease = this.#o.client.lease(this.#ttl);
      try {
        await this.#campaign(lease, () => {
          failures = 0;
        });
      } catch (err) {
        if (!this.#stop.signal.aborted) {
          this.#o.log.warn({ err: String(err) }, this.#fence ? 'lost the region leadership' : 'leader campaign failed; retrying');
        }
      }
      this.#fence = undefined;
      this.#set({ isLeader: false, term: 0 });
      // Revoking deletes our key now rather than at the TTL: the next candidate leads at once.
      await lease.revoke().catch(() => undefined);
      if (!this.#stop.signal.aborted) await sleep(backoffMs(failures++, 200, 3000), this.#stop.signal);
    }
  }

  /**
   * One campaign on one lease, etcd's election recipe (as in etcd3's
   * `Campaign` and the Go client's `concurrency.Election`): put our key
   * `<election>/<lease id>` bound to the lease; we lead once no key with a
   * lower create revision is left, waiting for the deletion of the one just
   * before ours. Returns when `close()` is called; throws when the lease is
   * lost (the leadership with it).
   *
   * Written on etcd3's `Lease` rather than its `Campaign`, because a
   * resigned `Campaign` leaves its predecessor watch attached, which keeps
   * a closed agent's process alive; here every watch is ours to cancel.
   */
  async #campaign(lease: Lease, onElected: () => void): Promise<void> {
    const { client, candidate } = this.#o;
    const lost = new Promise<never>((_, reject) => lease.once('lost', reject));
    lost.catch(() => undefined);
    const stopped = new Promise<void>((resolve) => {
      if (this.#stop.signal.aborted) resolve();
      this.#stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const key = this.#electionPrefix + (await Promise.race([lease.grant(), lost]));
    const res = await client
      .if(key, 'Create', '==', 0)
      .then(client.put(key).value(JSON.stringify(candidate)).lease(await lease.grant()))
      .else(client.get(key))
      .commit();
    const createRevision = res.succeeded ? Number(res.header.revision) : Number(res.responses[0]!.response_range.kvs[0]!.create_revision);
    // Wait for every older candidate to go, newest first.
    for (;;) {
      if (this.#stop.signal.aborted) return;
      const older = await client
        .getAll()
        .prefix(this.#electionPrefix)
        .maxCreateRevision(String(createRevision - 1))
        .sort('Create', 'Descend')
        .limit(1)
        .exec();
      const before = older.kvs[0];
      if (before === undefined) break;
      await Promise.race([this.#deleted(before.key.toString(), older.header.revision), lost, stopped]);
    }
    if (this.#stop.signal.aborted) return;
    this.#fence = { key, createRevision };
    this.#o.log.info({ term: createRevision }, 'elected region leader');
    this.#set({ isLeader: true, term: createRevision, leader: candidate });
    onElected();
    await Promise.race([lost, stopped]);
  }

  /** Resolves once `key` is deleted after `revision` (or the watch breaks: the caller re-checks). */
  #deleted(key: string, revision: string): Promise<void> {
    const watcher = this.#o.client.watch().key(key).startRevision(String(Number(revision) + 1)).watcher();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        watcher.removeAllListeners();
        watcher.on('error', () => undefined);
        void watcher.cancel().catch(() => undefined);
        this.#stop.signal.removeEventListener('abort', done);
        resolve();
      };
      watcher.on('delete', done);
      watcher.on('error', done);
      watcher.on('disconnected', done);
      this.#stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Polls who leads (the oldest key of the election) every second. etcd3's
   * `ElectionObserver` is not used: it watches the leader key from the
   * revision it was last modified at, which etcd compacts away in a
   * long-lived region, and then fails on every retry (and its `cancel()`
   * can wait forever on the cancelled watch).
   */
  async #observeLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        const value = await this.#election.leader();
        failures = 0;
        this.#set({ leader: parseCandidate(value) });
        await sleep(OBSERVE_INTERVAL_MS, this.#stop.signal);
      } catch (err) {
        this.#o.log.debug({ err: String(err) }, 'reading the region leader failed; retrying');
        await sleep(backoffMs(failures++, 200, 3000), this.#stop.signal);
      }
    }
  }
}

function parseCandidate(value: string | undefined): Candidate | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as Partial<Candidate>;
    if (typeof v.id === 'string' && typeof v.http === 'string') return { id: v.id, http: v.http };
  } catch {
    // a foreign value: unknown leader
  }
  return undefined;
}
