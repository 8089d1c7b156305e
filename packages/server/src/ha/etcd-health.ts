import type { SecretBox, StateStore } from '@tollgate/state';
import type { Etcd3, ITxnResponse } from 'etcd3';
import { ConfigError, UnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { sleep } from '../sleep.js';
import type { EtcdLayout } from './etcd-layout.js';
import { PROBE_FAILURES_BEFORE_DEGRADED, PROBE_INTERVAL_MS, isUnreachable, unavailable } from './etcd-retry.js';

/** Plaintext and AAD of the key check value (`keycheck`). */
const KEY_CHECK = 'tollgate-region-key-check';

/** Probe reads in a row that find the store behind etcd before the watch is re-opened. */
const STALLED_PROBES_BEFORE_REWATCH = 3;

/** Options of `EtcdHealth`. */
export interface EtcdHealthOptions {
  readonly client: Etcd3;
  readonly layout: EtcdLayout;
  readonly store: StateStore;
  readonly box: SecretBox;
  readonly log: Logger;
  /** Re-opens the watch (it looks stalled: etcd has newer writes, nothing arrives). */
  readonly restartWatch: () => void;
}

/**
 * Whether an HA agent can use its region's etcd: reachability (every etcd
 * call reports to it; a probe reads `data/rev` every second), the key check
 * (every agent of a region seals SecretIDs under the same key) and a watch
 * that follows. Writes ask `assertWritable`; `/v1/agent/ha` reads the rest.
 *
 * ```
 * reachable ──call failed / 2 probes failed──▶ unreachable ──any answer──▶ reachable
 * ```
 */
export class EtcdHealth {
  readonly #o: EtcdHealthOptions;
  readonly #stop = new AbortController();
  #probe: Promise<void> | undefined;
  #keyChecked = false;
  #unreachableSince: number | undefined;
  #unreachableError: string | undefined;
  #probeFailures = 0;
  #lastContact = 0;
  #etcdIndex = 0;
  #stalledProbes = 0;
  /** Why the follower cannot follow (undecodable data, a foreign data dir), until it applies again. */
  fatal: string | undefined;

  constructor(opts: EtcdHealthOptions) {
    this.#o = opts;
  }

  /** Whether etcd answered last (no failure since). */
  get reachable(): boolean {
    return this.#unreachableSince === undefined;
  }

  /** Milliseconds since etcd last answered (-1 = never). */
  get lastContactMs(): number {
    return this.#lastContact === 0 ? -1 : Date.now() - this.#lastContact;
  }

  /** The newest region write revision this agent has heard of. */
  get etcdIndex(): number {
    return this.#etcdIndex;
  }

  /** Records a region revision seen in an answer of etcd. */
  sawIndex(index: number): void {
    if (index > this.#etcdIndex) this.#etcdIndex = index;
  }

  /** Why writes are refused now, or `undefined`. */
  degradedReason(): string | undefined {
    if (this.#unreachableSince !== undefined) {
      return `etcd unreachable since ${new Date(this.#unreachableSince).toISOString()} (${this.#unreachableError ?? 'no answer'})`;
    }
    if (this.fatal !== undefined) return this.fatal;
    if (!this.#keyChecked) return 'etcd key check pending';
    return undefined;
  }

  /** The 503 of a call made while etcd is unreachable, or `undefined` when it is reachable. */
  unreachableError(what: string): UnavailableError | undefined {
    if (this.#unreachableSince === undefined) return undefined;
    return unavailable(what, new Error(this.#unreachableError ?? 'no answer'));
  }

  /** Throws the 503 a write gets while etcd is unreachable or the region cannot be followed; runs a pending key check. */
  async assertWritable(): Promise<void> {
    if (this.#unreachableSince !== undefined) {
      throw new UnavailableError(
        `etcd unreachable since ${new Date(this.#unreachableSince).toISOString()}: writes are refused; this agent serves reads from its local state (index ${this.#o.store.index()})`,
      );
    }
    if (this.fatal !== undefined) throw new UnavailableError(`this agent cannot follow its region in etcd: ${this.fatal}`);
    if (!this.#keyChecked) await this.checkKey();
  }

  /** etcd answered. */
  markReachable(): void {
    this.#lastContact = Date.now();
    this.#probeFailures = 0;
    if (this.#unreachableSince !== undefined) {
      this.#o.log.info({ downMs: Date.now() - this.#unreachableSince }, 'etcd reachable again');
      this.#unreachableSince = undefined;
      this.#unreachableError = undefined;
    }
  }

  /** A call could not reach etcd: refuse writes until it answers again. */
  markUnreachable(err: unknown): void {
    if (this.#unreachableSince === undefined) {
      this.#unreachableSince = Date.now();
      this.#unreachableError = err instanceof Error ? err.message : String(err);
      this.#o.log.warn({ err: this.#unreachableError }, 'etcd unreachable: refusing writes, serving reads from local state');
    }
  }

  /**
   * Makes sure every agent of the region seals SecretIDs with the same key:
   * the first agent stores a sealed constant, the others must open it.
   * @throws ConfigError when the key differs, or the data dir never followed this etcd.
   */
  async checkKey(): Promise<void> {
    if (this.#keyChecked) return;
    const { client, layout, box, store } = this.#o;
    const sealed = box.seal(KEY_CHECK, KEY_CHECK);
    const k = layout.keyCheck;
    let res: ITxnResponse;
    try {
      res = await client.if(k, 'Create', '==', 0).then(client.put(k).value(sealed)).else(client.get(k)).commit();
    } catch (err) {
      if (isUnreachable(err)) throw unavailable('the key check', err);
      throw err;
    }
    this.markReachable();
    const revision = Number(res.header.revision);
    if (store.index() > revision) {
      // A data dir that never followed this etcd (an embedded agent's, or another cluster's).
      throw new ConfigError(
        `etcd: this agent's state is at index ${store.index()} but the region's etcd is only at revision ${revision}: the data dir was not written by this etcd region (an embedded agent's, or another cluster's); start the agent with an empty data dir`,
      );
    }
    if (!res.succeeded) {
      const stored = res.responses[0]?.response_range?.kvs[0]?.value.toString('utf8') ?? '';
      let ok = false;
      try {
        ok = box.open(stored, KEY_CHECK) === KEY_CHECK;
      } catch {
        ok = false;
      }
      if (!ok) {
        throw new ConfigError(
          `acl.encryption_key: this agent's key differs from the one its region's etcd data (${layout.prefix}) was sealed with; every agent of a region needs the same key`,
        );
      }
    }
    this.#keyChecked = true;
  }

  /** Starts the probe loop. */
  start(): void {
    this.#probe ??= this.#probeLoop();
  }

  /** Stops the probe loop. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#probe;
  }

  /**
   * Every second: is etcd there, and is the watch keeping up? A watch
   * whose stream died silently shows as the store staying behind etcd's
   * last write for several probes; it is then re-opened.
   */
  async #probeLoop(): Promise<void> {
    const { client, layout, store } = this.#o;
    while (!this.#stop.signal.aborted) {
      await sleep(PROBE_INTERVAL_MS, this.#stop.signal);
      if (this.#stop.signal.aborted) break;
      try {
        if (!this.#keyChecked) await this.checkKey();
        const res = await client.get(layout.rev).exec();
        this.markReachable();
        const index = res.kvs[0] === undefined ? 0 : Number(res.kvs[0].mod_revision);
        this.sawIndex(index);
        if (store.index() < index) {
          if (++this.#stalledProbes >= STALLED_PROBES_BEFORE_REWATCH) {
            this.#o.log.warn({ applied: store.index(), etcd: index }, 'etcd watch looks stalled; re-opening it');
            this.#stalledProbes = 0;
            this.#o.restartWatch();
          }
        } else {
          this.#stalledProbes = 0;
        }
      } catch (err) {
        if (err instanceof ConfigError) {
          this.fatal = err.message;
          continue;
        }
        if (!isUnreachable(err) && !(err instanceof UnavailableError)) continue;
        this.#probeFailures++;
        if (this.#probeFailures >= PROBE_FAILURES_BEFORE_DEGRADED || this.#unreachableSince !== undefined) this.markUnreachable(err);
      }
    }
  }
}
