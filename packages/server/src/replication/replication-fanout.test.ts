import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { StateStore } from '@tollgate/state';
import { clientTokenFixture, until } from '@tollgate/testkit';
import { withEmbeddedLog, type LoggedStore } from '@tollgate/testkit/region-log';
import type { ACLToken } from '@tollgate/state';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../generated/tollgate/v1/WatchEvent.js';
import type { WatchEvent__Output } from '../generated/tollgate/v1/WatchEvent.js';
import { tokenMetadata } from '../grpc/call-auth.js';
import { loadTollgateProto } from '../grpc/proto-definitions.js';
import { bootstrapToken } from '../tokens.js';
import { FeedStepCache } from './change-batch.js';
import type { ReplicationService } from './replication-service.js';
import { serveReplicationSource } from './replication-source.test-helper.js';

/**
 * Encode once, fan out: the authoritative side encodes a change batch once
 * and writes the same bytes to every Watch stream at the same point. Real
 * store, real gRPC on loopback; the followers are raw gRPC clients that keep
 * each frame's bytes, so "the same bytes" is checked as it goes on the wire.
 */

const KEY = randomBytes(32);
const log = pino({ level: 'silent' });
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

const watchMethod = loadTollgateProto().tollgate.v1.Replication.service.Watch;

function globalToken(name: string): ACLToken {
  return clientTokenFixture(['p'], { Name: name, Global: true });
}

interface Source {
  store: LoggedStore;
  addr: string;
  service: ReplicationService;
  root: ACLToken;
  /** Every batch event the service encoded, in order. */
  encodedBatches: WatchEvent[];
}

/** An authoritative store with a root token, served by a ReplicationService whose encoder is counted. */
async function source(): Promise<Source> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-fanout-'));
  const store = withEmbeddedLog(await StateStore.open({ path: dir, secretKey: KEY }));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cleanup.push(() => store.close());
  const root = bootstrapToken(new Date());
  await store.apply({ type: 'bootstrap', token: root, resetIndex: undefined });
  const encodedBatches: WatchEvent[] = [];
  const { addr, service } = await serveReplicationSource(store, {
    log,
    cleanup,
    encodeWatchEvent: (ev) => {
      if (ev.batch !== undefined) encodedBatches.push(ev);
      return watchMethod.responseSerialize(ev);
    },
  });
  return { store, addr, service, root, encodedBatches };
}

interface RawFollower {
  /** The batch frames received, as bytes on the wire (protobuf, without gRPC's frame header). */
  batches: Buffer[];
  /** The same, decoded. */
  decoded: WatchEvent__Output[];
  heartbeats: number;
}

/** A Watch stream from `since` whose frames are kept as raw bytes. */
function watch(src: Source, since: number, region: string): RawFollower {
  const client = new grpc.Client(src.addr, grpc.credentials.createInsecure());
  cleanup.push(() => client.close());
  const call = client.makeServerStreamRequest<{ since: number; region: string }, Buffer>(
    '/tollgate.v1.Replication/Watch',
    (req) => watchMethod.requestSerialize(req),
    (bytes) => bytes,
    { since, region },
    tokenMetadata(src.root.SecretID),
  );
  cleanup.push(() => call.cancel());
  call.on('error', () => {}); // cancelled at clean-up
  const f: RawFollower = { batches: [], decoded: [], heartbeats: 0 };
  call.on('data', (bytes: Buffer) => {
    const ev = watchMethod.responseDeserialize(bytes) as WatchEvent__Output;
    if (ev.event === 'batch') {
      f.batches.push(bytes);
      f.decoded.push(ev);
    } else if (ev.event === 'heartbeat') {
      f.heartbeats++;
    }
  });
  return f;
}

/** Waits until every stream from `regions` has sent everything up to the store's index. */
async function allAt(src: Source, regions: string[]): Promise<void> {
  const index = src.store.index();
  await until(async () => {
    const ws = src.service.watchers().filter((w) => regions.includes(w.region));
    return ws.length === regions.length && ws.every((w) => w.sentIndex === index) ? true : undefined;
  });
}

const names = (ev: WatchEvent__Output | undefined): string[] => (ev?.batch?.upsert_tokens ?? []).map((t) => t.name);

describe('encode once, fan out', () => {
  it('writes one encoding of a batch, byte for byte, to every stream at the same point', async () => {
    const src = await source();
    const a = watch(src, src.store.index(), 'eu-west');
    const b = watch(src, src.store.index(), 'us-east');
    // Both streams are live (their first heartbeat is out) before the commit.
    await until(async () => (a.heartbeats > 0 && b.heartbeats > 0 ? true : undefined));
    await allAt(src, ['eu-west', 'us-east']);

    const t1 = globalToken('one');
    await src.store.apply({ type: 'token-upsert', tokens: [t1] });
    await until(async () => (a.batches.length === 1 && b.batches.length === 1 ? true : undefined));
    expect(a.batches[0]!.equals(b.batches[0]!)).toBe(true);
    expect(names(a.decoded[0])).toEqual(['one']);
    expect(a.decoded[0]!.batch!.index).toBe(src.store.index());
    expect(src.encodedBatches).toHaveLength(1);

    // A delete fans out the same way.
    await src.store.apply({ type: 'token-delete', accessors: [t1.AccessorID] });
    await until(async () => (a.batches.length === 2 && b.batches.length === 2 ? true : undefined));
    expect(a.batches[1]!.equals(b.batches[1]!)).toBe(true);
    expect(a.decoded[1]!.batch!.delete_tokens).toEqual([t1.AccessorID]);
    expect(src.encodedBatches).toHaveLength(2);
  });

  it('gives a stream that is behind its own batches from its cursor, then shares once it has caught up', async () => {
    const src = await source();
    const start = src.store.index();
    const t1 = globalToken('one');
    const t2 = globalToken('two');
    await src.store.apply({ type: 'token-upsert', tokens: [t1] });
    const mid = src.store.index();
    await src.store.apply({ type: 'token-upsert', tokens: [t2] });

    const live = watch(src, src.store.index(), 'eu-west');
    const behind = watch(src, start, 'us-east');
    const halfway = watch(src, mid, 'ap-south');
    // Each stream behind gets everything after its own cursor, and nothing before it.
    await until(async () => (behind.batches.length > 0 && halfway.batches.length > 0 ? true : undefined));
    expect(behind.decoded.flatMap(names).sort()).toEqual(['one', 'two']);
    expect(behind.decoded.at(-1)!.batch!.index).toBe(src.store.index());
    expect(halfway.decoded.flatMap(names)).toEqual(['two']);
    expect(halfway.decoded[0]!.batch!.first_index).toBeGreaterThan(mid);
    expect(live.batches).toHaveLength(0);
    await allAt(src, ['eu-west', 'us-east', 'ap-south']);

    // All three at the same point now: the next batch is encoded once, sent three times.
    const encodedBefore = src.encodedBatches.length;
    const received = [live, behind, halfway].map((f) => f.batches.length);
    const t3 = globalToken('three');
    await src.store.apply({ type: 'token-upsert', tokens: [t3] });
    await until(async () => ([live, behind, halfway].every((f, i) => f.batches.length === received[i]! + 1) ? true : undefined));
    const frames = [live, behind, halfway].map((f) => f.batches.at(-1)!);
    expect(frames[1]!.equals(frames[0]!)).toBe(true);
    expect(frames[2]!.equals(frames[0]!)).toBe(true);
    expect(names(live.decoded.at(-1))).toEqual(['three']);
    expect(src.encodedBatches.length - encodedBefore).toBe(1);
  });

  it('still encodes heartbeats and resyncs given as objects (the Watch serializer passes only Buffers through)', async () => {
    const src = await source();
    // A cursor ahead of the source: one resync event, encoded from its object.
    const client = new grpc.Client(src.addr, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());
    const events: WatchEvent__Output[] = [];
    const call = client.makeServerStreamRequest<{ since: number; region: string }, WatchEvent__Output>(
      '/tollgate.v1.Replication/Watch',
      (req) => watchMethod.requestSerialize(req),
      (bytes) => watchMethod.responseDeserialize(bytes) as WatchEvent__Output,
      { since: src.store.index() + 10, region: 'eu-west' },
      tokenMetadata(src.root.SecretID),
    );
    call.on('data', (ev: WatchEvent__Output) => events.push(ev));
    await new Promise<void>((resolve, reject) => {
      call.on('end', resolve);
      call.on('error', reject);
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.event).toBe('resync');
    expect(events[0]!.resync!.reason).toMatch(/ahead of the authoritative index/);
  });
});

describe('FeedStepCache', () => {
  const step = (through: number) => ({ frames: [Buffer.from([through])], through, truncated: false });

  it('keeps a step per cursor at one store index, and forgets them all once the index moves', () => {
    const cache = new FeedStepCache<Buffer>();
    cache.set(10, 4, step(10));
    cache.set(10, 7, step(10));
    expect(cache.get(10, 4)?.through).toBe(10);
    expect(cache.get(10, 7)).toBeDefined();
    expect(cache.get(10, 8)).toBeUndefined();
    expect(cache.size).toBe(2);
    // A commit: what was read at index 10 no longer describes the store.
    expect(cache.get(11, 4)).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set(11, 10, step(11));
    expect(cache.get(11, 10)?.through).toBe(11);
  });
});
