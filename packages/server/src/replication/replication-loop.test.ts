import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { StateStore } from '@tollgate/state';
import type { ACLToken } from '@tollgate/state';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientTokenFixture } from '@tollgate/testkit';
import { withEmbeddedLog, type LoggedStore } from '@tollgate/testkit/region-log';
import type { ReplicationHandlers } from '../generated/tollgate/v1/Replication.js';
import { grpcError } from '../grpc/grpc-status.js';
import { GrpcServer } from '../grpc/grpc-server.js';
import { PeerClients } from '../grpc/peer-clients.js';
import { loadTollgateProto } from '../grpc/proto-definitions.js';
import { AgentMetrics } from '../metrics.js';
import { bootstrapToken } from '../tokens.js';
import { ReplicationLoop, WAKE_FLOOR_MS } from './replication-loop.js';
import type { ReplicationEvent } from './replication-loop.js';
import { serveReplicationSource } from './replication-source.test-helper.js';
import { tokenToWire } from './wire-objects.js';

/**
 * The replication loop against a real gRPC server on loopback: the real
 * ReplicationService over a store with a tiny change-feed horizon (to force
 * a snapshot resync), and hand-written misbehaving services (to prove that
 * a refused or incomplete answer never deletes anything).
 */

const KEY = randomBytes(32);
const log = pino({ level: 'silent' });
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function store(opts: { changeFeedHorizon?: number } = {}): Promise<LoggedStore> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-repl-'));
  const s = await StateStore.open({ path: dir, secretKey: KEY, ...opts });
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cleanup.push(() => s.close());
  return withEmbeddedLog(s);
}

function globalToken(name = 'g'): ACLToken {
  return clientTokenFixture(['p'], { Name: name, Global: true });
}

async function serve(handlers: ReplicationHandlers, definition: ServiceDefinition = loadTollgateProto().tollgate.v1.Replication.service): Promise<string> {
  const server = new GrpcServer({ host: '127.0.0.1', port: 0, log, metrics: new AgentMetrics('global') });
  server.addService(definition, handlers);
  const addr = await server.listen();
  cleanup.push(() => server.close());
  return addr;
}

/** The real authoritative side over `source`. */
async function authoritative(source: StateStore): Promise<string> {
  return (await serveReplicationSource(source, { log, cleanup })).addr;
}

function loop(replica: LoggedStore, peer: string, token: string, extra: { antiEntropyIntervalMs?: number } = {}): ReplicationLoop {
  const clients = new PeerClients();
  const l = new ReplicationLoop({ store: replica, region: 'eu-west', sourceRegion: 'global', peers: [peer], token, clients, log, ...extra });
  cleanup.push(() => clients.close());
  cleanup.push(() => l.close());
  return l;
}

async function next(l: ReplicationLoop, match: (e: ReplicationEvent) => boolean, timeoutMs = 10_000): Promise<ReplicationEvent> {
  for await (const e of l.events(AbortSignal.timeout(timeoutMs))) if (match(e)) return e;
  throw new Error('event did not come');
}

describe('ReplicationLoop', () => {
  it('resyncs from a snapshot when its cursor is behind the change-feed horizon, deleting what is gone upstream', async () => {
    const source = await store({ changeFeedHorizon: 5 });
    const root = bootstrapToken(new Date());
    await source.apply({ type: 'bootstrap', token: root, resetIndex: undefined });
    const kept = globalToken('kept');
    await source.apply({ type: 'token-upsert', tokens: [kept] });
    // The replica once had a global token the source has since deleted.
    const gone = globalToken('gone');
    const replica = await store();
    await replica.applyReplicated({ sourceIndex: 1, upsertTokens: [{ ...gone, ModifyIndex: 1 }], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
    const local = { ...globalToken('local'), Global: false };
    await replica.apply({ type: 'token-upsert', tokens: [local] });
    // Push the source's feed past its horizon so index 1 can no longer be served.
    for (let i = 0; i < 12; i++) await source.apply({ type: 'policy-upsert', policies: [{ Name: `p${i}`, Description: '', Rules: '', Hash: 'h', CreateIndex: 0, ModifyIndex: 0 }] });
    // The prune runs in the background after a commit: wait for it, however slow.
    await vi.waitFor(() => expect(() => source.changesSince(1, { globalOnly: true })).toThrow(/no longer holds/), { timeout: 10_000, interval: 10 });

    const l = loop(replica, await authoritative(source), root.SecretID);
    const resynced = next(l, (e) => e.type === 'resynced');
    l.start();
    expect(await resynced).toMatchObject({ reason: 'horizon', sourceIndex: source.index(), tokens: 2, policies: 12 });
    expect(replica.tokenByAccessor(gone.AccessorID)).toBeUndefined();
    expect(replica.tokenBySecret(kept.SecretID)?.Name).toBe('kept');
    expect(replica.tokenByAccessor(local.AccessorID)).toBeDefined(); // local tokens are never touched
    expect(replica.globalDigest()).toBe(source.globalDigest());
    // …and then streams live changes from the snapshot's index.
    const later = globalToken('later');
    const applied = next(l, (e) => e.type === 'applied');
    await source.apply({ type: 'token-upsert', tokens: [later] });
    await applied;
    expect(replica.tokenBySecret(later.SecretID)?.Name).toBe('later');
    expect(l.report()).toMatchObject({ resyncs: 1, appliedIndex: source.index(), indexLag: 0 });
  });

  it('applies nothing from a snapshot stream that ends without its end marker', async () => {
    const replica = await store();
    const mine = globalToken('mine');
    await replica.applyReplicated({ sourceIndex: 3, upsertTokens: [mine], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
    const peer = await serve({
      Watch: (call) => {
        call.write({ resync: { reason: 'test', horizon: 10 } });
        call.end();
      },
      Snapshot: (call) => {
        // A header and some items, then the stream just ends: no `end` chunk.
        call.write({ header: { index: 50, time_ms: Date.now() } });
        call.write({ items: { tokens: [tokenToWire({ ...globalToken('other'), ModifyIndex: 40 })] } });
        call.end();
      },
      Digest: (_call, cb) => cb(grpcError(GrpcStatus.UNIMPLEMENTED, 'no')),
    });
    const l = loop(replica, peer, 'any');
    const err = next(l, (e) => e.type === 'error');
    l.start();
    expect(await err).toMatchObject({ reason: 'snapshot_incomplete' });
    expect(replica.tokenByAccessor(mine.AccessorID)).toBeDefined();
    expect(replica.replicationCursor()).toBe(3);
    expect(replica.tokenCount()).toBe(1);
  });

  it('applies nothing when the snapshot is refused, however the refusal looks', async () => {
    const replica = await store();
    const mine = globalToken('mine');
    await replica.applyReplicated({ sourceIndex: 3, upsertTokens: [mine], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
    const peer = await serve({
      Watch: (call) => {
        call.write({ resync: { reason: 'test', horizon: 10 } });
        call.end();
      },
      Snapshot: (call) => {
        // An empty but well-formed start, then PERMISSION_DENIED.
        call.write({ header: { index: 99, time_ms: Date.now() } });
        call.emit('error', grpcError(GrpcStatus.PERMISSION_DENIED, 'replication token must be a management token'));
      },
      Digest: (_call, cb) => cb(grpcError(GrpcStatus.UNIMPLEMENTED, 'no')),
    });
    const l = loop(replica, peer, 'client-secret');
    const err = next(l, (e) => e.type === 'error');
    l.start();
    expect(await err).toMatchObject({ reason: 'permission_denied', retryInMs: 10_000 });
    expect(replica.tokenByAccessor(mine.AccessorID)).toBeDefined();
    expect(replica.replicationCursor()).toBe(3);
    expect(l.report().lastError?.message).toMatch(/must be a management token/);
  });

  it('treats a silent stream as dead after the heartbeat timeout and reconnects', async () => {
    const replica = await store();
    let watches = 0;
    const peer = await serve({
      Watch: () => {
        watches++; // never writes, never ends
      },
      Snapshot: (call) => call.end(),
      Digest: (_call, cb) => cb(grpcError(GrpcStatus.UNIMPLEMENTED, 'no')),
    });
    const clients = new PeerClients();
    const l = new ReplicationLoop({ store: replica, region: 'eu-west', sourceRegion: 'global', peers: [peer], token: 't', clients, log, heartbeatTimeoutMs: 200 });
    cleanup.push(() => clients.close());
    cleanup.push(() => l.close());
    const err = next(l, (e) => e.type === 'error');
    l.start();
    expect(await err).toMatchObject({ reason: 'heartbeat_timeout' });
    await next(l, (e) => e.type === 'error');
    expect(watches).toBeGreaterThanOrEqual(2);
    expect(l.report().lagSeconds).toBeGreaterThan(0);
  });

  it('ends a backoff pause early on wake(), but not sooner than the floor after the failure, and only once per pause', async () => {
    const replica = await store();
    // A peer that refuses connections: every attempt fails as unreachable (retryable).
    const gone = await serve({ Watch: () => undefined, Snapshot: (call) => call.end(), Digest: (_c, cb) => cb(grpcError(GrpcStatus.UNIMPLEMENTED, 'no')) });
    await cleanup.pop()!(); // closes that server: its port now refuses
    const retried: string[] = [];
    const clients = new (class extends PeerClients {
      override retryNow(address: string): void {
        retried.push(address);
        super.retryNow(address);
      }
    })();
    const l = new ReplicationLoop({ store: replica, region: 'eu-west', sourceRegion: 'global', peers: [gone], token: 't', clients, log, backoffMs: () => 600_000 });
    cleanup.push(() => clients.close());
    cleanup.push(() => l.close());
    const errors: Array<{ at: number; reason: string }> = [];
    void (async () => {
      for await (const e of l.events()) if (e.type === 'error') errors.push({ at: Date.now(), reason: e.reason });
    })();
    const first = next(l, (e) => e.type === 'error');
    l.start();
    await first;
    expect(l.report().phase).toBe('backoff');
    // When the loop failed (set before its pause began; the events' own
    // stamps are taken later, by this test's consumer).
    const failedAt = l.report().lastError!.timeMs;
    // Without a wake the next attempt would be ten minutes away.
    const second = next(l, (e) => e.type === 'error');
    l.wake();
    l.wake();
    await second;
    expect(errors).toHaveLength(2);
    expect(errors[1]!.at - failedAt).toBeGreaterThanOrEqual(WAKE_FLOOR_MS - 5);
    expect(errors.every((e) => e.reason === 'unreachable')).toBe(true);
    // Each attempt is made now, not after grpc-js' own reconnect backoff.
    expect(retried).toEqual([gone, gone]);
    // The two wakes bought one attempt: the loop is pausing again.
    await new Promise((r) => setTimeout(r, WAKE_FLOOR_MS * 2));
    expect(errors).toHaveLength(2);
    expect(l.report().phase).toBe('backoff');
  });

  it('does not wake from a pause after a failure that will not heal by itself', async () => {
    const replica = await store();
    const clients = new PeerClients();
    const l = new ReplicationLoop({ store: replica, region: 'eu-west', sourceRegion: 'global', peers: ['127.0.0.1:1'], token: undefined, clients, log });
    cleanup.push(() => clients.close());
    cleanup.push(() => l.close());
    let errors = 0;
    void (async () => {
      for await (const e of l.events()) if (e.type === 'error') errors++;
    })();
    const first = next(l, (e) => e.type === 'error');
    l.start();
    await first;
    l.wake();
    await new Promise((r) => setTimeout(r, WAKE_FLOOR_MS * 3));
    expect(errors).toBe(1);
    expect(l.report().phase).toBe('backoff');
  });

  it('reports a missing replication token and closes cleanly', async () => {
    const replica = await store();
    const clients = new PeerClients();
    const l = new ReplicationLoop({ store: replica, region: 'eu-west', sourceRegion: 'global', peers: ['127.0.0.1:1'], token: undefined, clients, log });
    cleanup.push(() => clients.close());
    const err = next(l, (e) => e.type === 'error');
    l.start();
    expect(await err).toMatchObject({ reason: 'not_configured', retryInMs: 10_000 });
    const closed = next(l, (e) => e.type === 'closed');
    await l.close();
    await closed;
    expect(l.status).toBe('closed');
    await l.close(); // idempotent
    expect(() => l.start()).toThrow(/closed/);
  });
});
