import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { StateStore } from '@tollgate/state';
import { withEmbeddedLog, type LoggedStore } from '@tollgate/testkit/region-log';
import type { ACLToken } from '@tollgate/state';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerClients } from '../grpc/peer-clients.js';
import { bootstrapToken } from '../tokens.js';
import { ReplicationLoop } from './replication-loop.js';
import { serveReplicationSource } from './replication-source.test-helper.js';

/**
 * Catch-up of a new follower from an authoritative region holding many
 * tokens, over real gRPC into a real LevelDB: through the change feed and
 * through a snapshot; the replica then holds exactly the authoritative
 * region's global objects, resolves every secret (also after a reopen from
 * disk), keeps every SecretID sealed at rest, and a catch-up stopped half
 * way resumes from the durable cursor to the same state.
 */

const log = pino({ level: 'silent' });
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** Enough tokens for several replication batches, few enough for a quick unit test. */
const TOKENS = 3_000;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-catchup-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(path: string, secretKey: Buffer, opts: { changeFeedHorizon?: number } = {}): Promise<LoggedStore> {
  const s = await StateStore.open({ path, secretKey, ...opts });
  cleanup.push(() => s.close());
  return withEmbeddedLog(s);
}

function token(i: number, global: boolean): ACLToken {
  return {
    AccessorID: randomUUID(),
    SecretID: randomUUID(),
    Name: `t${i}`,
    Type: 'client',
    Policies: [`p${i % 3}`],
    Global: global,
    Hash: randomBytes(32).toString('base64'),
    CreateTime: '2026-01-01T00:00:00Z',
    ExpirationTime: i % 7 === 0 ? '2099-01-01T00:00:00Z' : null,
    ExpirationTTL: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    ...(i % 5 === 0 ? { Meta: { team: `n${i}` } } : {}),
  };
}

/**
 * An authoritative store with `TOKENS` global tokens (one write each, as
 * the API makes them), three policies, a role, local tokens that must not
 * travel, and a deleted global token. Returns it with every global secret.
 */
async function authoritativeStore(opts: { changeFeedHorizon?: number; tokens?: number } = {}): Promise<{ source: LoggedStore; root: ACLToken; secrets: string[] }> {
  const source = await open(await tempDir(), randomBytes(32), { changeFeedHorizon: opts.changeFeedHorizon });
  const count = opts.tokens ?? TOKENS;
  const root = bootstrapToken(new Date());
  await source.apply({ type: 'bootstrap', token: root, resetIndex: undefined });
  await source.apply({
    type: 'policy-upsert',
    policies: [0, 1, 2].map((i) => ({ Name: `p${i}`, Description: '', Rules: 'namespace "default" { policy = "read" }', Hash: 'aA==', CreateIndex: 0, ModifyIndex: 0 })),
  });
  await source.apply({
    type: 'role-upsert',
    roles: [{ ID: randomUUID(), Name: 'readers', Description: '', Policies: [{ Name: 'p1' }], Hash: 'aA==', CreateIndex: 0, ModifyIndex: 0 }],
  });
  const secrets: string[] = [root.SecretID];
  // 25 tokens per write (one index each), written concurrently: a quick fill.
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i += 25) {
    const tokens = Array.from({ length: Math.min(25, count - i) }, (_, j) => token(i + j, (i + j) % 50 !== 0));
    for (const t of tokens) if (t.Global) secrets.push(t.SecretID);
    writes.push(source.apply({ type: 'token-upsert', tokens }));
  }
  await Promise.all(writes);
  const gone = token(-1, true);
  await source.apply({ type: 'token-upsert', tokens: [gone] });
  await source.apply({ type: 'token-delete', accessors: [gone.AccessorID] });
  return { source, root, secrets };
}

async function serve(source: LoggedStore): Promise<string> {
  return (await serveReplicationSource(source, { log, cleanup })).addr;
}

function loop(replica: LoggedStore, peer: string, token: string): ReplicationLoop {
  const clients = new PeerClients();
  const l = new ReplicationLoop({ store: replica, region: 'eu-west', sourceRegion: 'global', peers: [peer], token, clients, log });
  cleanup.push(() => clients.close());
  cleanup.push(() => l.close());
  return l;
}

async function caughtUp(replica: LoggedStore, index: number): Promise<void> {
  await replica.waitForReplication(index, AbortSignal.timeout(120_000));
}

/** The global objects of a store, without the indexes each region assigns itself. */
function globalState(s: StateStore): unknown {
  const strip = <T extends object>(o: T): Omit<T, 'CreateIndex' | 'ModifyIndex' | 'SourceIndex'> => {
    const { CreateIndex: _c, ModifyIndex: _m, SourceIndex: _s, ...rest } = o as T & { CreateIndex: number; ModifyIndex: number; SourceIndex?: number };
    return rest;
  };
  return {
    tokens: s
      .listTokens()
      .filter((t) => t.Global)
      .map((t) => strip({ ...t }))
      .sort((a, b) => (a.AccessorID < b.AccessorID ? -1 : 1)),
    policies: s.listPolicies().map((p) => strip({ ...p })),
    roles: s.listRoles().map((r) => strip({ ...r })),
  };
}

/** Every value in the LevelDB at `path`, as text. */
async function rawValues(path: string): Promise<string> {
  const db = new Level<string, string>(path);
  const parts: string[] = [];
  for await (const v of db.values()) parts.push(v);
  await db.close();
  return parts.join('\n');
}

async function expectSameAsSource(replica: StateStore, source: LoggedStore, secrets: readonly string[]): Promise<void> {
  expect(replica.replicationCursor()).toBe(source.index());
  expect(globalState(replica)).toEqual(globalState(source));
  expect(replica.globalDigest()).toBe(source.globalDigest());
  const unresolved = secrets.filter((s) => replica.tokenBySecret(s) === undefined);
  expect(unresolved).toEqual([]);
  // Local tokens of the authoritative region never travel.
  expect(replica.tokenCount()).toBe(secrets.length);
}

/** Closes `replica`; no SecretID in clear on disk; reopened (every MAC checked), the same state. */
async function expectSealedAndReopens(replica: StateStore, dir: string, key: Buffer, source: LoggedStore, secrets: readonly string[]): Promise<void> {
  await replica.close();
  const raw = await rawValues(dir);
  expect(raw.length).toBeGreaterThan(secrets.length * 36);
  expect(secrets.filter((s) => raw.includes(s))).toEqual([]);
  const again = await open(dir, key);
  await again.whenVerified();
  await expectSameAsSource(again, source, secrets);
}

describe('catch-up of a new follower', () => {
  /** A new follower catches up from `source`; checks the state, closes, checks it at rest and reopened. Returns its resyncs. */
  async function catchUpAndCheck(a: Awaited<ReturnType<typeof authoritativeStore>>): Promise<number> {
    const dir = await tempDir();
    const key = randomBytes(32);
    const replica = await open(dir, key);
    const l = loop(replica, await serve(a.source), a.root.SecretID);
    l.start();
    await caughtUp(replica, a.source.index());
    await expectSameAsSource(replica, a.source, a.secrets);
    await l.close();
    await expectSealedAndReopens(replica, dir, key, a.source, a.secrets);
    return l.report().resyncs;
  }

  it('through the change feed: exactly the global objects, every secret resolves, sealed at rest and after a reopen', async () => {
    expect(await catchUpAndCheck(await authoritativeStore())).toBe(0);
  }, 120_000);

  it('through a snapshot when the feed no longer reaches back: the same state', async () => {
    const a = await authoritativeStore({ changeFeedHorizon: 100 });
    // The feed prune runs in the background after a commit: wait for it, however slow.
    await vi.waitFor(() => expect(() => a.source.changesSince(0, { globalOnly: true })).toThrow(/no longer holds/), { timeout: 10_000, interval: 10 });
    expect(await catchUpAndCheck(a)).toBe(1);
  }, 120_000);

  it('stopped half way, reopened from disk and restarted: consistent in between, then the same state', async () => {
    // Several source batches (about 4,000 tokens each): the first write is a part.
    const { source, root, secrets } = await authoritativeStore({ tokens: 10_000 });
    const peer = await serve(source);
    const dir = await tempDir();
    const key = randomBytes(32);
    const first = withEmbeddedLog(await StateStore.open({ path: dir, secretKey: key }));
    // Only the first write is let through (the rest are refused), so the stop
    // is half way however fast the catch-up runs.
    const applyOne = first.applyReplicated;
    let writes = 0;
    first.applyReplicated = (batch) => (writes++ === 0 ? applyOne(batch) : Promise.reject(new Error('held back by the test')));
    const l1 = loop(first, peer, root.SecretID);
    const progressed = (async () => {
      for await (const e of l1.events(AbortSignal.timeout(120_000))) if (e.type === 'applied') return e;
      throw new Error('no progress');
    })();
    l1.start();
    const firstApplied = await progressed;
    await l1.close();
    const cursorAtStop = first.replicationCursor();
    await first.close();
    expect(firstApplied.sourceIndex).toBeGreaterThan(0);
    expect(cursorAtStop).toBeLessThan(source.index());

    // What is on disk is a consistent prefix: every token there resolves, nothing past the cursor.
    const middle = await open(dir, key);
    await middle.whenVerified();
    expect(middle.replicationCursor()).toBe(cursorAtStop);
    const partial = middle.listTokens();
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(secrets.length);
    for (const t of partial) expect(middle.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);
    expect(partial.every((t) => (t.SourceIndex ?? 0) <= cursorAtStop)).toBe(true);

    const l2 = loop(middle, peer, root.SecretID);
    l2.start();
    await caughtUp(middle, source.index());
    await expectSameAsSource(middle, source, secrets);
    expect(l2.report().resyncs).toBe(0);
  }, 120_000);
});
