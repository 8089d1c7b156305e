import { once } from 'node:events';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import { FeedHorizonError } from '@tollgate/state';
import type { StateStore } from '@tollgate/state';
import { TokenExpiredError, TollgateError } from '../errors.js';
import type { ChangeBatch } from '../generated/tollgate/v1/ChangeBatch.js';
import type { DigestResponse } from '../generated/tollgate/v1/DigestResponse.js';
import type { ReplicationHandlers } from '../generated/tollgate/v1/Replication.js';
import type { SnapshotChunk } from '../generated/tollgate/v1/SnapshotChunk.js';
import type { SnapshotRequest__Output } from '../generated/tollgate/v1/SnapshotRequest.js';
import type { WatchEvent } from '../generated/tollgate/v1/WatchEvent.js';
import type { WatchRequest__Output } from '../generated/tollgate/v1/WatchRequest.js';
import { requireManagementCall, secretFromMetadata } from '../grpc/call-auth.js';
import type { TokenLookup } from '../grpc/call-auth.js';
import type { Identity } from '../token-resolver.js';
import { grpcError, toGrpcError } from '../grpc/grpc-status.js';
import { loadTollgateProto } from '../grpc/proto-definitions.js';
import { timeoutSignal } from '../grpc/timeout-signal.js';
import { sleep } from '../sleep.js';
import type { Logger } from '../logger.js';
import { FeedStepCache, buildChangeBatches } from './change-batch.js';
import type { ChangeBatchData, FeedStep } from './change-batch.js';
import type { CommitClock } from './commit-clock.js';
import { authMethodToWire, bindingRuleToWire, policyToWire, roleToWire, tokenToWire } from './wire-objects.js';

/** A heartbeat goes out at least this often on an idle stream. */
export const HEARTBEAT_INTERVAL_MS = 1_000;
/**
 * After commits that hold no global change (local tokens written in the
 * authoritative region), a heartbeat tells followers their cursor may move
 * on; at most this often, so local-write bursts do not cost every follower
 * an fsync each.
 */
export const PROGRESS_INTERVAL_MS = 100;
/** Changes read from the feed per step (a step never splits an index). */
const FEED_READ_LIMIT = 5_000;
/** Objects per snapshot chunk. */
const SNAPSHOT_CHUNK_ITEMS = 2_000;

/**
 * What the authoritative side of replication needs from the agent: this
 * region's names, the store it streams from (change feed, snapshot, digest),
 * the token lookup that checks the follower's replication token, and a
 * logger. The agent wires it; tests pass a plain object.
 */
export interface ReplicationSource {
  readonly region: string;
  readonly authoritativeRegion: string;
  /** Whether this region is the authoritative one (only then are calls served). */
  readonly isAuthoritative: boolean;
  readonly store: StateStore;
  readonly tokens: TokenLookup;
  readonly log: Logger;
  /**
   * Encodes a Watch event to its protobuf bytes. Default: the Watch method's
   * own serializer (the generated `WatchEvent` encoding); tests count calls.
   */
  readonly encodeWatchEvent?: WatchEncoder;
}

/** A Watch event's protobuf encoding (what goes on the wire, without gRPC's 5-byte frame header). */
export type WatchEncoder = (event: WatchEvent) => Buffer;

/**
 * A Watch stream's writable side as this service uses it: events as objects
 * (heartbeats, resyncs) or already encoded (change batches, shared by every
 * stream at the same point). `watchServiceDefinition` passes a Buffer through.
 */
type WatchCall = grpc.ServerWritableStream<WatchRequest__Output, WatchEvent | Buffer>;

/** A Watch stream being served, as `/v1/acl/replication` shows it in the authoritative region. */
export interface WatcherInfo {
  readonly region: string;
  readonly peer: string;
  readonly since: number;
  /** Every global change up to this index has been written to the stream. */
  readonly sentIndex: number;
  readonly startedMs: number;
}

interface Watcher {
  info: WatcherInfo;
  readonly abort: AbortController;
  /** The replication token's AccessorID (the stream is bound to it). */
  readonly accessor: string;
  /** Why the token no longer authorizes the stream, once it does not. */
  revoked?: { readonly reason: string; readonly index: number };
  expiryTimer?: NodeJS.Timeout;
}

/** Longest single timer (setTimeout's limit); a later expiry re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The authoritative side of `tollgate.v1.Replication`: Watch, Snapshot,
 * Digest. Every call needs a management token (the follower's replication
 * token); a non-authoritative agent answers FAILED_PRECONDITION.
 *
 * ```
 * Watch(since) ─▶ feed step(since) ─▶ frames ─▶ [wait for a commit or a heartbeat tick] ─┐
 *                       ▲                                                                  │
 *                       └──────────────────────────────────────────────────────────────────┘
 *   FeedHorizonError ─▶ one `resync` event, stream ends OK
 * ```
 *
 * A feed step (changesSince → batches → protobuf bytes) is built once per
 * (cursor, store index) and its bytes are written to every stream at that
 * point: N followers cost one read and one encoding of each batch, plus
 * N writes.
 */
export class ReplicationService {
  readonly #ctx: ReplicationSource;
  readonly #clock: CommitClock;
  readonly #encode: WatchEncoder;
  /** Encoded feed steps at the store's current index, shared by every stream reading from the same cursor. */
  readonly #steps = new FeedStepCache<Buffer>();
  readonly #watchers = new Set<Watcher>();
  readonly #secrets = new WeakMap<Watcher, string>();
  #closed = false;
  #stopWatchingTokens: (() => void) | undefined;

  readonly #onWatchersChange: () => void;

  /** @param onWatchersChange called when a follower's Watch stream opens or ends (status pages block on it). */
  constructor(ctx: ReplicationSource, clock: CommitClock, onWatchersChange: () => void = () => {}) {
    this.#ctx = ctx;
    this.#clock = clock;
    this.#encode = ctx.encodeWatchEvent ?? loadTollgateProto().tollgate.v1.Replication.service.Watch.responseSerialize;
    this.#onWatchersChange = onWatchersChange;
  }

  /**
   * A stream is bound to its token: every commit that touches a streaming
   * token's AccessorID (delete, update) re-checks it, synchronously, in the
   * commit's own listener — before any stream can read that commit from the
   * feed. A token no longer valid and management ends its stream with
   * PERMISSION_DENIED, and nothing from that commit on is sent.
   */
  #watchTokens(): void {
    if (this.#stopWatchingTokens !== undefined) return;
    this.#stopWatchingTokens = this.#ctx.store.onCommit((changes) => {
      if (this.#watchers.size === 0) return;
      for (const c of changes) {
        if (c.table !== 'acl_token') continue;
        for (const w of this.#watchers) {
          if (w.accessor !== c.key || w.revoked !== undefined) continue;
          const why = this.#stillAuthorized(w);
          if (why !== undefined) this.#revoke(w, why, c.index);
        }
      }
    });
  }

  /** undefined when the watcher's token still authorizes replication; otherwise why not. */
  #stillAuthorized(w: Watcher): string | undefined {
    const secret = this.#secrets.get(w) ?? '';
    let id: Identity;
    try {
      id = this.#ctx.tokens.resolve(secret);
    } catch (err) {
      return `replication token ${w.accessor} ${err instanceof TokenExpiredError ? 'expired' : 'was deleted'}`;
    }
    if (!id.acl.isManagement) return `replication token ${w.accessor} is no longer a management token`;
    return undefined;
  }

  /** Ends `w` with PERMISSION_DENIED; no change at or after `index` is sent. */
  #revoke(w: Watcher, reason: string, index: number): void {
    w.revoked = { reason, index };
    if (w.expiryTimer !== undefined) clearTimeout(w.expiryTimer);
    w.abort.abort();
  }

  /** Arms a timer that ends the stream when the token's ExpirationTime passes. */
  #armExpiry(w: Watcher, expiresAtMs: number): void {
    const delay = expiresAtMs - Date.now();
    w.expiryTimer = setTimeout(
      () => {
        if (w.revoked !== undefined || w.abort.signal.aborted) return;
        if (Date.now() < expiresAtMs) return this.#armExpiry(w, expiresAtMs);
        // Nothing committed from now on may reach the stream.
        this.#revoke(w, `replication token ${w.accessor} expired`, this.#ctx.store.index() + 1);
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
    w.expiryTimer.unref();
  }

  /** The Watch streams being served now. */
  watchers(): WatcherInfo[] {
    return [...this.#watchers].map((w) => w.info);
  }

  /**
   * The service to register (`server.addService(definition, handlers)`):
   * `tollgate.v1.Replication` with Watch's serializer passing pre-encoded
   * frames through. The handlers need this definition; with the plain one a
   * change batch would not be encoded.
   */
  service(): { definition: grpc.ServiceDefinition; handlers: ReplicationHandlers } {
    return { definition: watchServiceDefinition(), handlers: this.#handlers() };
  }

  #handlers(): ReplicationHandlers {
    return {
      // The call writes Buffers too: the definition from service() lets them through.
      Watch: (call) => void this.#watch(call as unknown as WatchCall),
      Snapshot: (call) => void this.#snapshot(call),
      Digest: (call, callback) => {
        try {
          this.#admit(call.metadata);
          const store = this.#ctx.store;
          callback(null, digestOf(store));
        } catch (err) {
          callback(toGrpcError(err));
        }
      },
    };
  }

  /**
   * Ends every Watch stream with UNAVAILABLE (followers reconnect, to this
   * agent once it is back or to another peer) and refuses new ones.
   */
  close(): void {
    this.#closed = true;
    this.#stopWatchingTokens?.();
    for (const w of this.#watchers) w.abort.abort();
  }

  #admit(md: grpc.Metadata): Identity {
    const { region, authoritativeRegion } = this.#ctx;
    if (this.#closed) throw new TollgateError('TOLLGATE_AGENT_DRAINING', `agent in region "${region}" is shutting down`);
    if (!this.#ctx.isAuthoritative) {
      throw new TollgateError(
        'TOLLGATE_NOT_AUTHORITATIVE',
        `region "${region}" is not the authoritative region (authoritative region is "${authoritativeRegion}")`,
      );
    }
    return requireManagementCall(md, this.#ctx.tokens, 'replication token', region);
  }

  async #watch(call: WatchCall): Promise<void> {
    const since = call.request.since;
    const region = call.request.region || 'unknown';
    const log = this.#ctx.log.child({ component: 'replication-source', follower: region, peer: call.getPeer() });
    let id: Identity;
    try {
      id = this.#admit(call.metadata);
      if (!Number.isSafeInteger(since) || since < 0) throw new TollgateError('TOLLGATE_INVALID_ARGUMENT', 'since must be a non-negative integer');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'replication watch refused');
      call.emit('error', toGrpcError(err));
      return;
    }
    const watcher: Watcher = {
      info: { region, peer: call.getPeer(), since, sentIndex: since, startedMs: Date.now() },
      abort: new AbortController(),
      accessor: id.token.AccessorID,
    };
    this.#secrets.set(watcher, secretFromMetadata(call.metadata));
    const signal = watcher.abort.signal;
    const onCancel = (): void => watcher.abort.abort();
    call.once('cancelled', onCancel);
    this.#watchTokens();
    this.#watchers.add(watcher);
    this.#onWatchersChange();
    if (id.token.ExpirationTime !== null) this.#armExpiry(watcher, Date.parse(id.token.ExpirationTime));
    log.info({ since }, 'replication watch started');
    try {
      const outcome = await this.#stream(call, since, signal, watcher, (sent) => {
        watcher.info = { ...watcher.info, sentIndex: sent };
      });
      if (watcher.revoked !== undefined && !call.cancelled) {
        this.#endRevoked(call, watcher, log);
      } else if (outcome === 'resync') {
        log.info({ since }, 'follower is behind the change-feed horizon; told it to resync');
        call.end();
      } else if (!call.cancelled) {
        // Aborted by close(): the agent is draining.
        call.emit('error', grpcError(GrpcStatus.UNAVAILABLE, `agent in region "${this.#ctx.region}" is shutting down`));
      }
    } catch (err) {
      if (call.cancelled) {
        // The follower went away; nothing to answer.
      } else if (watcher.revoked !== undefined) {
        this.#endRevoked(call, watcher, log);
      } else if (signal.aborted) {
        call.emit('error', grpcError(GrpcStatus.UNAVAILABLE, `agent in region "${this.#ctx.region}" is shutting down`));
      } else {
        log.error({ err }, 'replication watch failed');
        call.emit('error', toGrpcError(err));
      }
    } finally {
      call.off('cancelled', onCancel);
      if (watcher.expiryTimer !== undefined) clearTimeout(watcher.expiryTimer);
      this.#watchers.delete(watcher);
      this.#onWatchersChange();
      log.info({ sent: watcher.info.sentIndex }, 'replication watch ended');
    }
  }

  #endRevoked(call: WatchCall, w: Watcher, log: Logger): void {
    const { reason, index } = w.revoked!;
    log.warn({ accessor: w.accessor, revokedAtIndex: index, sent: w.info.sentIndex }, `replication watch ended: ${reason}`);
    call.emit('error', grpcError(GrpcStatus.PERMISSION_DENIED, `Permission denied: ${reason} (region "${this.#ctx.region}")`));
  }

  /**
   * The next step of a stream whose cursor is `sent`: the global changes
   * after it (at most FEED_READ_LIMIT), cut into batches and encoded, and
   * the index the stream's cursor reaches once they are sent. Encoded once
   * per (cursor, store index): every follower at the same point gets the
   * same bytes, and the same read of the feed. A stream whose token was
   * revoked at `revokedAt` gets a step of its own that stops before it, or
   * undefined when nothing before it is left.
   * @throws FeedHorizonError when `sent` is behind the change-feed horizon.
   */
  #feedStep(sent: number, revokedAt: number | undefined): FeedStep<Buffer> | undefined {
    const store = this.#ctx.store;
    const index = store.index();
    if (revokedAt === undefined) {
      const hit = this.#steps.get(index, sent);
      if (hit !== undefined) return hit;
    }
    let changes = store.changesSince(sent, { globalOnly: true, limit: FEED_READ_LIMIT });
    // Read in the same tick as the feed: every global change up to
    // `through` is in `changes` (unless the read was cut by the limit).
    const truncated = changes.length >= FEED_READ_LIMIT;
    let through = truncated ? changes[changes.length - 1]!.index : index;
    // Belt and braces: a revocation is seen by the commit listener before
    // any read of its commit, and aborts the loop; should a read still
    // reach past it, nothing from the revocation on goes out.
    if (revokedAt !== undefined) {
      changes = changes.filter((c) => c.index < revokedAt);
      through = Math.min(through, revokedAt - 1);
      if (changes.length === 0) return undefined;
    }
    const batches = buildChangeBatches(changes, store, (i) => this.#clock.timeOf(i));
    // The last batch also covers the non-global indexes after it, so the
    // follower's cursor reaches `through` without a heartbeat.
    const frames = batches.map((b, i) => this.#encode({ batch: batchToWire(i === batches.length - 1 ? { ...b, index: through } : b) }));
    const step = { frames, through, truncated };
    if (revokedAt === undefined && frames.length > 0) this.#steps.set(index, sent, step);
    return step;
  }

  /**
   * Streams until `signal` aborts; returns 'resync' when `since` is behind
   * the horizon. Never sends a change at or after the index at which the
   * watcher's token was revoked.
   */
  async #stream(
    call: WatchCall,
    since: number,
    signal: AbortSignal,
    watcher: Watcher,
    onSent: (index: number) => void,
  ): Promise<'resync' | 'aborted'> {
    const store = this.#ctx.store;
    if (since > store.index()) {
      // The follower has seen indexes this region never reached: this
      // region's state was rebuilt. Only a snapshot can reconcile them.
      await write(call, { resync: { reason: `follower cursor ${since} is ahead of the authoritative index ${store.index()}`, horizon: 0 } }, signal);
      return 'resync';
    }
    let sent = since;
    let lastHeartbeatMs = 0;
    while (!signal.aborted) {
      let step;
      try {
        step = this.#feedStep(sent, watcher.revoked?.index);
      } catch (err) {
        if (!(err instanceof FeedHorizonError)) throw err;
        await write(call, { resync: { reason: err.message, horizon: err.floorIndex } }, signal);
        return 'resync';
      }
      // Revoked, and nothing before the revocation is left to send.
      if (step === undefined) break;
      const { frames, through } = step;
      if (frames.length > 0) {
        for (const frame of frames) await write(call, frame, signal);
        // A batch proves liveness as well as a heartbeat does.
        lastHeartbeatMs = Date.now();
        sent = through;
        onSent(sent);
        if (step.truncated) continue;
      }
      const now = Date.now();
      const progressDue = through > sent && now - lastHeartbeatMs >= PROGRESS_INTERVAL_MS;
      if (progressDue || now - lastHeartbeatMs >= HEARTBEAT_INTERVAL_MS) {
        await write(call, { heartbeat: { index: through, time_ms: now } }, signal);
        lastHeartbeatMs = now;
        sent = through;
        onSent(sent);
      }
      // Sleep until the next commit, the next heartbeat, or (with progress
      // pending) the end of the progress interval.
      const waitMs =
        through > sent
          ? Math.max(1, PROGRESS_INTERVAL_MS - (Date.now() - lastHeartbeatMs))
          : Math.max(1, HEARTBEAT_INTERVAL_MS - (Date.now() - lastHeartbeatMs));
      if (through > sent) {
        await sleep(waitMs, signal);
      } else {
        const bound = timeoutSignal(waitMs, signal);
        try {
          await store.waitForIndex(through + 1, bound.signal);
        } finally {
          bound.dispose();
        }
      }
    }
    return 'aborted';
  }

  async #snapshot(call: grpc.ServerWritableStream<SnapshotRequest__Output, SnapshotChunk>): Promise<void> {
    const region = call.request.region || 'unknown';
    const log = this.#ctx.log.child({ component: 'replication-source', follower: region, peer: call.getPeer() });
    const ac = new AbortController();
    call.once('cancelled', () => ac.abort());
    try {
      this.#admit(call.metadata);
      const store = this.#ctx.store;
      // One synchronous read: objects, index and digest describe the same state.
      const snap = store.globalSnapshot();
      const index = store.index();
      const digest = store.globalDigest();
      log.info(
        { index, tokens: snap.tokens.length, policies: snap.policies.length, roles: snap.roles.length },
        'sending replication snapshot',
      );
      await write(call, { header: { index, time_ms: Date.now() } }, ac.signal);
      for (let i = 0; i < snap.policies.length; i += SNAPSHOT_CHUNK_ITEMS) {
        await write(call, { items: { policies: snap.policies.slice(i, i + SNAPSHOT_CHUNK_ITEMS).map(policyToWire) } }, ac.signal);
      }
      for (let i = 0; i < snap.roles.length; i += SNAPSHOT_CHUNK_ITEMS) {
        await write(call, { items: { roles: snap.roles.slice(i, i + SNAPSHOT_CHUNK_ITEMS).map(roleToWire) } }, ac.signal);
      }
      for (let i = 0; i < snap.authMethods.length; i += SNAPSHOT_CHUNK_ITEMS) {
        await write(call, { items: { auth_methods: snap.authMethods.slice(i, i + SNAPSHOT_CHUNK_ITEMS).map(authMethodToWire) } }, ac.signal);
      }
      for (let i = 0; i < snap.bindingRules.length; i += SNAPSHOT_CHUNK_ITEMS) {
        await write(call, { items: { binding_rules: snap.bindingRules.slice(i, i + SNAPSHOT_CHUNK_ITEMS).map(bindingRuleToWire) } }, ac.signal);
      }
      for (let i = 0; i < snap.tokens.length; i += SNAPSHOT_CHUNK_ITEMS) {
        await write(call, { items: { tokens: snap.tokens.slice(i, i + SNAPSHOT_CHUNK_ITEMS).map(tokenToWire) } }, ac.signal);
      }
      await write(
        call,
        {
          end: {
            token_count: snap.tokens.length,
            policy_count: snap.policies.length,
            role_count: snap.roles.length,
            auth_method_count: snap.authMethods.length,
            binding_rule_count: snap.bindingRules.length,
            digest,
          },
        },
        ac.signal,
      );
      call.end();
    } catch (err) {
      if (call.cancelled || ac.signal.aborted) return;
      log.warn({ err: (err as Error).message }, 'replication snapshot refused or failed');
      call.emit('error', toGrpcError(err));
    }
  }
}

/** The Digest answer: computed in one tick, so index and digest agree. */
function digestOf(store: StateStore): DigestResponse {
  return { index: store.index(), digest: store.globalDigest(), time_ms: Date.now() };
}

function batchToWire(b: ChangeBatchData): ChangeBatch {
  return {
    first_index: b.firstIndex,
    index: b.index,
    commit_time_ms: b.commitTimeMs,
    upsert_tokens: b.upsertTokens.map(tokenToWire),
    delete_tokens: [...b.deleteTokens],
    upsert_policies: b.upsertPolicies.map(policyToWire),
    delete_policies: [...b.deletePolicies],
    upsert_roles: (b.upsertRoles ?? []).map(roleToWire),
    delete_roles: [...(b.deleteRoles ?? [])],
    upsert_auth_methods: (b.upsertAuthMethods ?? []).map(authMethodToWire),
    delete_auth_methods: [...(b.deleteAuthMethods ?? [])],
    upsert_binding_rules: (b.upsertBindingRules ?? []).map(bindingRuleToWire),
    delete_binding_rules: [...(b.deleteBindingRules ?? [])],
  };
}

let watchDefinition: grpc.ServiceDefinition | undefined;

/**
 * `tollgate.v1.Replication` with a Watch serializer that writes a Buffer as
 * it is (an event encoded once for every stream) and encodes anything else.
 */
export function watchServiceDefinition(): grpc.ServiceDefinition {
  if (watchDefinition === undefined) {
    const base = loadTollgateProto().tollgate.v1.Replication.service;
    const encode = base.Watch.responseSerialize;
    watchDefinition = {
      ...base,
      Watch: { ...base.Watch, responseSerialize: (event: WatchEvent | Buffer) => (Buffer.isBuffer(event) ? event : encode(event)) },
    };
  }
  return watchDefinition;
}

/** Writes one message, waiting for 'drain' when the stream's buffer is full (backpressure). */
async function write<T>(call: grpc.ServerWritableStream<unknown, T>, msg: T, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason;
  if (!call.write(msg)) await once(call, 'drain', { signal });
}
