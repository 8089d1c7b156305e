import type { Campaign, Election, Etcd3 } from 'etcd3';
import type { Logger } from '../logger.js';
import type { EtcdLayout } from './etcd-layout.js';
import { backoffMs, sleep } from './etcd-retry.js';

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
 * Leader election for an HA region with etcd3's `Election`: each agent
 * campaigns with a lease-bound key; the oldest key leads. A leader that
 * crashes stops renewing its lease, etcd deletes its key after the TTL and
 * the next candidate leads.
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
  readonly #stop = new AbortController();
  #state: LeadershipState = { isLeader: false, term: 0, leader: undefined };
  #fence: LeaderFence | undefined;
  #campaign: Campaign | undefined;
  #loops: Promise<void>[] = [];
  #endCampaign: (() => void) | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.#o = opts;
    this.#election = opts.client.namespace(opts.layout.prefix).election(ELECTION, opts.ttlSeconds ?? 3);
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
    this.#endCampaign?.();
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
      const campaign = this.#election.campaign(JSON.stringify(this.#o.candidate));
      this.#campaign = campaign;
      try {
        await new Promise<void>((resolve, reject) => {
          this.#endCampaign = resolve;
          // The listener stays for the campaign's life: etcd3 may emit more than once.
          campaign.on('error', reject);
          campaign.on('elected', () => {
            void this.#onElected(campaign).then(() => {
              failures = 0;
            }, reject);
          });
        });
      } catch (err) {
        if (!this.#stop.signal.aborted) {
          this.#o.log.warn({ err: String(err) }, this.#fence ? 'lost the region leadership' : 'leader campaign failed; retrying');
        }
      }
      this.#fence = undefined;
      this.#set({ isLeader: false, term: 0 });
      // Revokes the lease: our key disappears now rather than at the TTL.
      await campaign.resign().catch(() => undefined);
      if (!this.#stop.signal.aborted) await sleep(backoffMs(failures++, 200, 3000), this.#stop.signal);
    }
  }

  async #onElected(campaign: Campaign): Promise<void> {
    const key = await campaign.getCampaignKey();
    const res = await this.#o.client.get(key).exec();
    const kv = res.kvs[0];
    if (kv === undefined) throw new Error('the leader key vanished right after the election');
    if (this.#campaign !== campaign || this.#stop.signal.aborted) return;
    this.#fence = { key, createRevision: Number(kv.create_revision) };
    this.#o.log.info({ term: this.#fence.createRevision }, 'elected region leader');
    this.#set({ isLeader: true, term: this.#fence.createRevision, leader: this.#o.candidate });
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
