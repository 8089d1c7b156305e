import { EventEmitter, on } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, RegionLog, StateStore } from '@tollgate/state';
import type { DigestResponse__Output } from '../generated/tollgate/v1/DigestResponse.js';
import type { SnapshotChunk__Output } from '../generated/tollgate/v1/SnapshotChunk.js';
import type { WatchEvent__Output } from '../generated/tollgate/v1/WatchEvent.js';
import { tokenMetadata } from '../grpc/call-auth.js';
import { isServiceError, statusName } from '../grpc/grpc-status.js';
import type { PeerClients } from '../grpc/peer-clients.js';
import { FORWARD_CONNECT_TIMEOUT_MS, backoffDelayMs, isRetryable } from '../grpc/retry.js';
import { timeoutSignal } from '../grpc/timeout-signal.js';
import type { Logger } from '../logger.js';
import { BatchApplier } from './batch-applier.js';
import type { ChangeBatchData } from './change-batch.js';
import { replicationIndexLag, replicationLagSeconds } from './replication-lag.js';
import { authMethodFromWire, bindingRuleFromWire, policyFromWire, roleFromWire, tokenFromWire } from './wire-objects.js';

/** Lifecycle of a replication loop: `new` → `running` → `closing` → `closed`. */
export type ReplicationLoopStatus = 'new' | 'running' | 'closing' | 'closed';

/** What the loop is doing right now. */
export type ReplicationPhase = 'idle' | 'connecting' | 'snapshot' | 'streaming' | 'backoff';

/** Why a replication attempt failed; the `reason` label of `tollgate_replication_errors_total`. */
export type ReplicationErrorReason =
  | 'unreachable'
  | 'permission_denied'
  | 'wrong_region'
  | 'heartbeat_timeout'
  | 'stream_error'
  | 'snapshot_incomplete'
  | 'apply_failed'
  | 'not_configured';

/** Why the follower took a snapshot; the `reason` label of `tollgate_replication_resyncs_total`. */
export type ResyncReason = 'horizon' | 'digest_mismatch';

/**
 * What the loop reports through `events()`, one discriminated union.
 * `applied.sourceIndex` is the follower's durable cursor after the write.
 */
export type ReplicationEvent =
  | { readonly type: 'connected'; readonly peer: string; readonly since: number }
  | { readonly type: 'applied'; readonly sourceIndex: number; readonly changes: number }
  | { readonly type: 'resynced'; readonly reason: ResyncReason; readonly sourceIndex: number; readonly tokens: number; readonly policies: number }
  | { readonly type: 'digest'; readonly result: 'match' | 'mismatch' | 'skipped'; readonly sourceIndex: number }
  | {
      readonly type: 'error';
      readonly reason: ReplicationErrorReason;
      readonly message: string;
      readonly peer: string | undefined;
      readonly retryInMs: number;
    }
  | { readonly type: 'closed' };

/** The loop's state for `/v1/acl/replication` and the metrics. */
export interface ReplicationReport {
  readonly sourceRegion: string;
  readonly status: ReplicationLoopStatus;
  readonly phase: ReplicationPhase;
  readonly peer: string | undefined;
  /** Last time a batch was applied or a heartbeat received (ms since the epoch). */
  readonly lastSuccessMs: number | undefined;
  readonly lastError: { readonly timeMs: number; readonly reason: ReplicationErrorReason; readonly message: string } | undefined;
  /** The authoritative index applied here (the durable cursor). */
  readonly appliedIndex: number;
  /** The highest authoritative index this follower has heard of. */
  readonly sourceIndex: number;
  readonly indexLag: number;
  readonly lagSeconds: number;
  readonly resyncs: number;
  readonly errors: number;
}

/** Counters the loop feeds (prom-client in the agent, nothing in tests). */
export interface ReplicationMetricsSink {
  error(reason: ReplicationErrorReason): void;
  resync(reason: ResyncReason): void;
  applied(changes: number): void;
}

/**
 * What the replication loop needs of this region's state: reads from the
 * agent's store, and `applyReplicated`, which the agent wires to the region
 * log (`EmbeddedRegionLog` with one agent per region; a fenced etcd
 * transaction in HA mode, so only the leader applies and every agent then
 * follows).
 */
export type ReplicaPort = Pick<StateStore, 'status' | 'replicationCursor' | 'globalDigest' | 'waitForReplication'> &
  Pick<RegionLog, 'applyReplicated'>;

/** Options of `ReplicationLoop`. */
export interface ReplicationLoopOptions {
  readonly store: ReplicaPort;
  /** This follower's region. */
  readonly region: string;
  /** The authoritative region replicated from. */
  readonly sourceRegion: string;
  /** RPC addresses (`host:port`) of the source region's agents, tried in turn. */
  readonly peers: readonly string[];
  /** `acl.replication_token`; `undefined` = not configured (the loop reports it and waits). */
  readonly token: string | undefined;
  readonly clients: PeerClients;
  readonly log: Logger;
  readonly metrics?: ReplicationMetricsSink;
  /** How often the digests are compared. @default 30_000 */
  readonly antiEntropyIntervalMs?: number;
  /** A stream silent for this long is considered dead. @default 5_000 */
  readonly heartbeatTimeoutMs?: number;
  /** Deadline of a whole snapshot download. @default 300_000 */
  readonly snapshotTimeoutMs?: number;
  /**
   * The pause before the next attempt, from the attempt number and the
   * failure. @default backoffDelayMs (0.1 s … 5 s; 10 s when not retryable)
   */
  readonly backoffMs?: (attempt: number, failure: ReplicationFailure) => number;
}

/**
 * A `wake()` never ends a backoff pause sooner than this after the failure
 * that began it: however many hints arrive, a follower tries an unreachable
 * source at most this often on their account.
 */
export const WAKE_FLOOR_MS = 250;

/** Batches queued for the applier before the stream is paused. */
const MAX_PENDING_BATCHES = 16;
/** Deadline of one Digest call. */
const DIGEST_TIMEOUT_MS = 5_000;
/** How long anti-entropy waits for the replica to reach the digest's index. */
const DIGEST_CATCH_UP_MS = 2_000;

const noopSink: ReplicationMetricsSink = { error() {}, resync() {}, applied() {} };

/** A failure with a reason, so metrics and logs can tell failures apart. */
class ReplicationFailure extends Error {
  readonly reason: ReplicationErrorReason;
  /** Read by `isRetryable`: a failure caused by a gRPC status inherits its verdict. */
  readonly retryable: boolean;
  constructor(reason: ReplicationErrorReason, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReplicationFailure';
    this.reason = reason;
    this.retryable = options.retryable ?? (options.cause === undefined ? true : isRetryable(options.cause));
  }
}

/**
 * The follower side of replication: keeps this region's copy of the
 * authoritative region's global tokens and policies up to date.
 *
 * ```
 *            ┌──────────────── backoff (isRetryable → 0.1 s … 5 s; refused → 10 s) ◀──────┐
 *            ▼                                                                            │ error
 * start ─▶ connect ─▶ [snapshot if told to resync] ─▶ Watch(since = durable cursor) ─▶ streaming
 *                          ▲                                        │ resync event / digest mismatch
 *                          └────────────────────────────────────────┘
 * ```
 *
 * Guarantees: batches are applied in order and each exactly once (the
 * cursor is stored with the data, and every session resumes from it); an
 * unauthorized, failed or incomplete answer never deletes anything (only a
 * snapshot that arrived whole, end marker and counts included, may reset);
 * the loop never gives up while running.
 *
 * @example
 * const loop = new ReplicationLoop({ store, region: 'eu-west', sourceRegion: 'global', peers, token, clients, log });
 * loop.start();
 * for await (const ev of loop.events()) if (ev.type === 'applied') break;
 * await loop.close();
 */
export class ReplicationLoop {
  readonly #o: Required<Omit<ReplicationLoopOptions, 'token' | 'metrics'>> & Pick<ReplicationLoopOptions, 'token'>;
  readonly #metrics: ReplicationMetricsSink;
  readonly #events = new EventEmitter();
  readonly #stop = new AbortController();
  #status: ReplicationLoopStatus = 'new';
  #phase: ReplicationPhase = 'idle';
  #run: Promise<void> | undefined;
  #peerIndex = 0;
  #peer: string | undefined;
  #needResync: ResyncReason | undefined;
  #applier: BatchApplier | undefined;
  #connected = false;
  #startedMs = Date.now();
  #lastSuccessMs: number | undefined;
  #lastCaughtUpMs: number | undefined;
  #lastError: ReplicationReport['lastError'];
  #sourceIndex = 0;
  #resyncs = 0;
  #errors = 0;
  /** Ends the current backoff pause early; set only while pausing after a retryable failure. */
  #wakeBackoff: (() => void) | undefined;

  constructor(opts: ReplicationLoopOptions) {
    if (opts.peers.length === 0) throw new RangeError(`peers: no RPC address for region "${opts.sourceRegion}"`);
    this.#o = {
      antiEntropyIntervalMs: 30_000,
      heartbeatTimeoutMs: 5_000,
      snapshotTimeoutMs: 300_000,
      backoffMs: backoffDelayMs,
      ...opts,
      log: opts.log.child({ component: 'replication', source_region: opts.sourceRegion }),
    };
    this.#metrics = opts.metrics ?? noopSink;
    // Many concurrent `events()` consumers (tests, status pages) are fine.
    this.#events.setMaxListeners(0);
  }

  get status(): ReplicationLoopStatus {
    return this.#status;
  }

  /** Starts replicating in the background. Throws if already started. */
  start(): void {
    if (this.#status !== 'new') throw new Error(`cannot start a replication loop that is ${this.#status}`);
    this.#status = 'running';
    this.#startedMs = Date.now();
    this.#sourceIndex = this.#o.store.replicationCursor();
    this.#run = this.#loop();
  }

  /**
   * Stops: cancels the stream, lets the store write in progress finish (so
   * the durable cursor matches what was applied) and resolves. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#status === 'new') {
      this.#status = 'closed';
      this.#emit({ type: 'closed' });
      return;
    }
    this.#status = 'closing';
    this.#stop.abort();
    await this.#run;
    this.#status = 'closed';
    this.#phase = 'idle';
    this.#emit({ type: 'closed' });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * The loop's events from now on, as an async iterable. Safe to `break`
   * out of; ends after the `closed` event or when `signal` aborts. Events
   * are buffered per consumer, so a slow consumer costs memory, not
   * replication speed.
   */
  async *events(signal?: AbortSignal): AsyncGenerator<ReplicationEvent, void, undefined> {
    if (this.#status === 'closed') return;
    try {
      for await (const [ev] of on(this.#events, 'event', signal ? { signal } : {})) {
        yield ev as ReplicationEvent;
        if ((ev as ReplicationEvent).type === 'closed') return;
      }
    } catch (err) {
      if ((err as { name?: string }).name !== 'AbortError') throw err;
    }
  }

  /**
   * A hint that the source region may be reachable again: a reader here
   * waits for an authoritative index this region has not applied, or a
   * call forwarded to the source just succeeded. Ends a backoff pause
   * early (never sooner than `WAKE_FLOOR_MS` after the failure that began
   * it), so a follower is back within milliseconds of being needed instead
   * of after up to 5 s of backoff. Does nothing while connected, and after
   * a failure that will not heal by itself (a refused or missing token).
   */
  wake(): void {
    this.#wakeBackoff?.();
  }

  /** The loop's state now (lag computed at this instant). */
  report(now: number = Date.now()): ReplicationReport {
    const appliedIndex = this.#o.store.status === 'open' ? this.#o.store.replicationCursor() : 0;
    const sourceIndex = Math.max(this.#sourceIndex, appliedIndex);
    return {
      sourceRegion: this.#o.sourceRegion,
      status: this.#status,
      phase: this.#phase,
      peer: this.#peer,
      lastSuccessMs: this.#lastSuccessMs,
      lastError: this.#lastError,
      appliedIndex,
      sourceIndex,
      indexLag: replicationIndexLag(sourceIndex, appliedIndex),
      lagSeconds:
        this.#status === 'closed'
          ? 0
          : replicationLagSeconds({
              nowMs: now,
              connected: this.#connected,
              oldestPendingCommitMs: this.#applier?.oldestPendingCommitMs,
              lastCaughtUpMs: this.#lastCaughtUpMs,
              startedMs: this.#startedMs,
            }),
      resyncs: this.#resyncs,
      errors: this.#errors,
    };
  }

  #emit(ev: ReplicationEvent): void {
    this.#events.emit('event', ev);
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    const log = this.#o.log;
    let attempt = 0;
    while (!signal.aborted) {
      const peer = this.#o.peers[this.#peerIndex % this.#o.peers.length]!;
      this.#peer = peer;
      try {
        if (this.#o.token === undefined || this.#o.token === '') {
          throw new ReplicationFailure('not_configured', 'acl.replication_token is not set: cannot replicate from the authoritative region', {
            retryable: false,
          });
        }
        this.#phase = 'connecting';
        await this.#connect(peer, signal);
        if (this.#needResync !== undefined) {
          await this.#snapshot(peer, this.#needResync, signal);
          this.#needResync = undefined;
          attempt = 0;
        }
        await this.#watch(peer, signal, () => {
          attempt = 0;
        });
        // A session that ends without an error was asked to resync: go on at once.
      } catch (err) {
        this.#connected = false;
        if (signal.aborted) break;
        const failure = classify(err, this.#o.sourceRegion, peer);
        const retryInMs = this.#o.backoffMs(attempt++, failure);
        this.#errors++;
        this.#lastError = { timeMs: Date.now(), reason: failure.reason, message: failure.message };
        this.#metrics.error(failure.reason);
        // A refused token is logged at error level: it needs an operator.
        const level = failure.reason === 'permission_denied' || failure.reason === 'not_configured' ? 'error' : 'warn';
        log[level]({ reason: failure.reason, peer, retryInMs }, `replication failed: ${failure.message}`);
        this.#emit({ type: 'error', reason: failure.reason, message: failure.message, peer, retryInMs });
        // The next attempt goes to the next peer of the region.
        this.#peerIndex++;
        this.#phase = 'backoff';
        await this.#pause(retryInMs, failure.retryable, signal);
      }
    }
    this.#connected = false;
  }

  /** The backoff pause: `ms`, or less when `wake()` is called and `wakeable`. */
  async #pause(ms: number, wakeable: boolean, signal: AbortSignal): Promise<void> {
    const began = Date.now();
    const early = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    if (wakeable) {
      this.#wakeBackoff = () => {
        this.#wakeBackoff = undefined; // one wake per pause
        timer = setTimeout(() => early.abort(), Math.max(0, began + WAKE_FLOOR_MS - Date.now()));
      };
    }
    try {
      await delay(ms, undefined, { signal: AbortSignal.any([signal, early.signal]) }).catch(() => undefined);
    } finally {
      this.#wakeBackoff = undefined;
      clearTimeout(timer);
    }
  }

  async #connect(peer: string, signal: AbortSignal): Promise<void> {
    // This loop's backoff (and `wake`) decides when to try again: `connect`
    // dials now, not after grpc-js' own reconnect backoff (up to 2 s).
    try {
      await this.#o.clients.connect(peer, FORWARD_CONNECT_TIMEOUT_MS, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new ReplicationFailure('unreachable', `authoritative region "${this.#o.sourceRegion}" unreachable at ${peer}`, { cause: err });
    }
  }

  /**
   * One Watch session. Resolves when the source asked for a resync or the
   * digests disagreed (the caller then snapshots); rejects on any failure.
   */
  async #watch(peer: string, signal: AbortSignal, onProgress: () => void): Promise<void> {
    const { store, log } = this.#o;
    const since = store.replicationCursor();
    const client = this.#o.clients.replication(peer);
    // A Watch has no deadline: it is meant to last. Its liveness is the
    // heartbeat watchdog below, and `signal` cancels it.
    const call = client.Watch({ since, region: this.#o.region }, tokenMetadata(this.#o.token ?? ''));
    let stopReason: 'resync' | 'watchdog' | 'apply' | undefined;
    const cancel = (reason: typeof stopReason): void => {
      stopReason ??= reason;
      call.cancel();
    };
    const onAbort = (): void => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    const applier = new BatchApplier(store, {
      onApplied: (batch, changes) => this.#onApplied(batch, changes, onProgress),
      onFailed: () => cancel('apply'),
    });
    this.#applier = applier;
    let watchdog = setTimeout(() => cancel('watchdog'), this.#o.heartbeatTimeoutMs);
    const antiEntropy = setInterval(() => {
      void this.#antiEntropy(peer, signal).then((mismatch) => {
        if (mismatch) cancel('resync');
      });
    }, this.#o.antiEntropyIntervalMs);
    let first = true;
    try {
      for await (const raw of call) {
        const ev = raw as WatchEvent__Output;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => cancel('watchdog'), this.#o.heartbeatTimeoutMs);
        if (first) {
          first = false;
          this.#connected = true;
          this.#phase = 'streaming';
          log.info({ peer, since }, 'replication stream open');
          this.#emit({ type: 'connected', peer, since });
        }
        if (ev.event === 'batch' && ev.batch) {
          const b = ev.batch;
          const batch: ChangeBatchData = {
            firstIndex: b.first_index,
            index: b.index,
            commitTimeMs: b.commit_time_ms,
            upsertTokens: b.upsert_tokens.map(tokenFromWire),
            deleteTokens: b.delete_tokens,
            upsertPolicies: b.upsert_policies.map(policyFromWire),
            deletePolicies: b.delete_policies,
            upsertRoles: b.upsert_roles.map(roleFromWire),
            deleteRoles: b.delete_roles,
            upsertAuthMethods: b.upsert_auth_methods.map(authMethodFromWire),
            deleteAuthMethods: b.delete_auth_methods,
            upsertBindingRules: b.upsert_binding_rules.map(bindingRuleFromWire),
            deleteBindingRules: b.delete_binding_rules,
          };
          this.#sourceIndex = Math.max(this.#sourceIndex, batch.index);
          applier.push(batch);
          await applier.waitForRoom(MAX_PENDING_BATCHES);
        } else if (ev.event === 'heartbeat' && ev.heartbeat) {
          const { index, time_ms: timeMs } = ev.heartbeat;
          this.#sourceIndex = Math.max(this.#sourceIndex, index);
          this.#lastSuccessMs = Date.now();
          // Everything up to `index` has been sent: the cursor may move there.
          applier.push({ firstIndex: index, index, commitTimeMs: timeMs, upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
          if (applier.oldestPendingCommitMs === undefined) this.#lastCaughtUpMs = Date.now();
          onProgress();
        } else if (ev.event === 'resync' && ev.resync) {
          log.warn({ peer, since, horizon: ev.resync.horizon }, `replication resync required: ${ev.resync.reason}`);
          stopReason = 'resync';
          this.#needResync = 'horizon';
          break;
        }
      }
      // Everything received is complete and ordered: apply it before leaving.
      await applier.flush();
      if (applier.failure !== undefined) throw applyFailure(applier.failure);
      if (stopReason === undefined) {
        throw new ReplicationFailure('stream_error', `authoritative region "${this.#o.sourceRegion}" ended the replication stream`);
      }
    } catch (err) {
      if (signal.aborted) throw err;
      await applier.flush();
      if (applier.failure !== undefined) throw applyFailure(applier.failure);
      if (stopReason === 'watchdog') {
        throw new ReplicationFailure(
          'heartbeat_timeout',
          `no heartbeat from authoritative region "${this.#o.sourceRegion}" (${peer}) for ${this.#o.heartbeatTimeoutMs} ms`,
        );
      }
      // A cancel we asked for (resync after a digest mismatch) is not an error.
      if (stopReason === 'resync') return;
      throw err;
    } finally {
      clearTimeout(watchdog);
      clearInterval(antiEntropy);
      signal.removeEventListener('abort', onAbort);
      call.cancel();
      this.#connected = false;
      await applier.stop();
      if (this.#applier === applier) this.#applier = undefined;
    }
  }

  #onApplied(batch: ChangeBatchData, changes: number, onProgress: () => void): void {
    const now = Date.now();
    this.#lastSuccessMs = now;
    if (this.#applier?.oldestPendingCommitMs === undefined) this.#lastCaughtUpMs = now;
    if (changes > 0) {
      this.#metrics.applied(changes);
      this.#emit({ type: 'applied', sourceIndex: batch.index, changes });
    }
    onProgress();
  }

  /**
   * Fetches a complete snapshot and applies it as a reset. Nothing is
   * applied unless the stream ended OK after its end marker and the counts
   * match; a refused or broken call throws and leaves the replica as it is.
   */
  async #snapshot(peer: string, reason: ResyncReason, signal: AbortSignal): Promise<void> {
    const { store, log } = this.#o;
    this.#phase = 'snapshot';
    log.info({ peer, reason }, 'replication resync: fetching a snapshot');
    const client = this.#o.clients.replication(peer);
    const call = client.Snapshot({ region: this.#o.region }, tokenMetadata(this.#o.token ?? ''), {
      deadline: Date.now() + this.#o.snapshotTimeoutMs,
    });
    const onAbort = (): void => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    let header: { index: number } | undefined;
    let end:
      | { token_count: number; policy_count: number; role_count: number; auth_method_count: number; binding_rule_count: number; digest: string }
      | undefined;
    const tokens: ACLToken[] = [];
    const policies: ACLPolicy[] = [];
    const roles: ACLRole[] = [];
    const authMethods: ACLAuthMethod[] = [];
    const bindingRules: ACLBindingRule[] = [];
    try {
      for await (const raw of call) {
        const chunk = raw as SnapshotChunk__Output;
        if (end !== undefined) throw new ReplicationFailure('snapshot_incomplete', 'snapshot sent data after its end marker');
        if (chunk.chunk === 'header' && chunk.header) {
          header = { index: chunk.header.index };
        } else if (chunk.chunk === 'items' && chunk.items) {
          if (header === undefined) throw new ReplicationFailure('snapshot_incomplete', 'snapshot sent items before its header');
          for (const t of chunk.items.tokens) tokens.push(tokenFromWire(t));
          for (const p of chunk.items.policies) policies.push(policyFromWire(p));
          for (const r of chunk.items.roles) roles.push(roleFromWire(r));
          for (const m of chunk.items.auth_methods) authMethods.push(authMethodFromWire(m));
          for (const r of chunk.items.binding_rules) bindingRules.push(bindingRuleFromWire(r));
        } else if (chunk.chunk === 'end' && chunk.end) {
          end = chunk.end;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (header === undefined || end === undefined) {
      throw new ReplicationFailure('snapshot_incomplete', 'snapshot stream ended without its header or end marker; nothing applied');
    }
    if (end.auth_method_count !== authMethods.length || end.binding_rule_count !== bindingRules.length) {
      throw new ReplicationFailure(
        'snapshot_incomplete',
        `snapshot announced ${end.auth_method_count} auth methods and ${end.binding_rule_count} binding rules but carried ${authMethods.length} and ${bindingRules.length}; nothing applied`,
      );
    }
    if (end.token_count !== tokens.length || end.policy_count !== policies.length || end.role_count !== roles.length) {
      throw new ReplicationFailure(
        'snapshot_incomplete',
        `snapshot announced ${end.token_count} tokens, ${end.policy_count} policies and ${end.role_count} roles but carried ${tokens.length}, ${policies.length} and ${roles.length}; nothing applied`,
      );
    }
    try {
      await store.applyReplicated({
        sourceIndex: header.index,
        upsertTokens: tokens,
        deleteTokens: [],
        upsertPolicies: policies,
        deletePolicies: [],
        upsertRoles: roles,
        deleteRoles: [],
        upsertAuthMethods: authMethods,
        deleteAuthMethods: [],
        upsertBindingRules: bindingRules,
        deleteBindingRules: [],
        reset: true,
      });
    } catch (err) {
      throw applyFailure(err);
    }
    this.#sourceIndex = Math.max(this.#sourceIndex, header.index);
    this.#lastSuccessMs = Date.now();
    this.#resyncs++;
    this.#metrics.resync(reason);
    if (store.replicationCursor() === header.index && store.globalDigest() !== end.digest) {
      // Same objects, different digest: the two sides hash differently
      // (mixed versions). Logged loudly; another resync would not help.
      log.error({ index: header.index }, 'replica digest differs from the snapshot digest after a resync');
    }
    log.info({ index: header.index, tokens: tokens.length, policies: policies.length, reason }, 'replication resync applied');
    this.#emit({ type: 'resynced', reason, sourceIndex: header.index, tokens: tokens.length, policies: policies.length });
  }

  /**
   * Anti-entropy: compares this replica's digest with the source's at the
   * same index. Returns `true` on a mismatch (and marks a resync). Skipped
   * (no verdict) when the replica cannot be compared at the source's index
   * — it moved past it, or did not reach it within `DIGEST_CATCH_UP_MS` —
   * which happens under constant writes; the next round tries again.
   */
  async #antiEntropy(peer: string, signal: AbortSignal): Promise<boolean> {
    const { store, log } = this.#o;
    let res: DigestResponse__Output;
    let onAbort: (() => void) | undefined;
    try {
      res = await new Promise<DigestResponse__Output>((resolve, reject) => {
        const call: grpc.ClientUnaryCall = this.#o.clients
          .replication(peer)
          .Digest({}, tokenMetadata(this.#o.token ?? ''), { deadline: Date.now() + DIGEST_TIMEOUT_MS }, (err, value) => {
            if (err || value === undefined) reject(err ?? new Error('empty digest answer'));
            else resolve(value);
          });
        onAbort = () => call.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } catch (err) {
      if (!signal.aborted) log.warn({ peer, err: (err as Error).message }, 'anti-entropy digest call failed');
      return false;
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
    if (store.status !== 'open') return false;
    if (store.replicationCursor() < res.index) {
      const bound = timeoutSignal(DIGEST_CATCH_UP_MS, signal);
      try {
        await store.waitForReplication(res.index, bound.signal);
      } finally {
        bound.dispose();
      }
    }
    if (store.status !== 'open' || store.replicationCursor() !== res.index) {
      this.#emit({ type: 'digest', result: 'skipped', sourceIndex: res.index });
      return false;
    }
    // Same tick as the cursor check: the digest is of the state at res.index.
    if (store.globalDigest() === res.digest) {
      this.#emit({ type: 'digest', result: 'match', sourceIndex: res.index });
      return false;
    }
    log.warn({ index: res.index }, 'anti-entropy: replica differs from the authoritative region; resyncing');
    this.#emit({ type: 'digest', result: 'mismatch', sourceIndex: res.index });
    this.#needResync = 'digest_mismatch';
    return true;
  }
}

function applyFailure(err: unknown): ReplicationFailure {
  return new ReplicationFailure('apply_failed', `applying replicated changes failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** Names a failure for logs and metrics; gRPC statuses keep their details. */
function classify(err: unknown, sourceRegion: string, peer: string): ReplicationFailure {
  if (err instanceof ReplicationFailure) return err;
  if (isServiceError(err)) {
    const details = err.details || err.message;
    switch (err.code) {
      case GrpcStatus.PERMISSION_DENIED:
      case GrpcStatus.UNAUTHENTICATED:
        return new ReplicationFailure('permission_denied', `replication token refused by region "${sourceRegion}": ${details}`, { cause: err });
      case GrpcStatus.FAILED_PRECONDITION:
        return new ReplicationFailure('wrong_region', `peer ${peer} cannot serve replication: ${details}`, { cause: err });
      case GrpcStatus.UNAVAILABLE:
        return new ReplicationFailure('unreachable', `authoritative region "${sourceRegion}" unavailable at ${peer}: ${details}`, { cause: err });
      default:
        return new ReplicationFailure('stream_error', `replication stream from ${peer} failed: ${statusName(err.code)}: ${details}`, { cause: err });
    }
  }
  return new ReplicationFailure('stream_error', `replication from ${peer} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
