/**
 * Shared fixtures of the state package's unit tests (outside `src/` so they
 * are neither built into `dist/` nor collected as test files).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, vi } from 'vitest';
import { withEmbeddedLog, type LoggedStore } from '@tollgate/testkit/region-log';
import { StateStore, type StateStoreOptions } from '../src/index.js';
import type { ACLPolicy, ACLToken } from '../src/index.js';

/** A fixed key, so tests can reopen a directory. */
export const KEY = randomBytes(32);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** A fresh temp directory removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-state-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Opens a store (closed after the test if the test did not), written
 * through an `EmbeddedRegionLog`: `store.apply` / `store.applyReplicated`
 * are the log's (see `withEmbeddedLog`).
 */
export async function openStore(
  path: string,
  opts: Partial<StateStoreOptions> = {},
): Promise<LoggedStore> {
  const store = await StateStore.open({ path, secretKey: KEY, ...opts });
  cleanup.push(() => store.close());
  return withEmbeddedLog(store);
}

/** A fresh store in a fresh directory. */
export async function freshStore(opts: Partial<StateStoreOptions> = {}): Promise<{ store: LoggedStore; dir: string }> {
  const dir = await tempDir();
  return { store: await openStore(dir, opts), dir };
}

/** A client token with random IDs; override any field. */
export function token(overrides: Partial<ACLToken> = {}): ACLToken {
  return {
    AccessorID: randomUUID(),
    SecretID: randomUUID(),
    Name: 'test token',
    Type: 'client',
    Policies: ['readonly'],
    Global: false,
    Hash: 'aGFzaA==',
    CreateTime: '2026-01-01T00:00:00.000000001Z',
    ExpirationTime: null,
    ExpirationTTL: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}

/** A policy; override any field. */
export function policy(name: string, overrides: Partial<ACLPolicy> = {}): ACLPolicy {
  return {
    Name: name,
    Description: `${name} policy`,
    Rules: 'namespace "default" { policy = "read" }',
    Hash: `hash-of-${name}`,
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}

/**
 * Intercepts the next LevelDB batch the store writes (a chained batch):
 * records its operations and lets `onWrite` delay or fail the write.
 */
export function interceptNextBatch(onWrite?: (write: () => Promise<void>) => Promise<void>): { keys: string[]; options: unknown } {
  const seen = { keys: [] as string[], options: undefined as unknown };
  const real = Level.prototype.batch as unknown as (this: Level<string, unknown>) => {
    put(k: string, v: unknown): unknown;
    del(k: string): unknown;
    write(o?: unknown): Promise<void>;
  };
  vi.spyOn(Level.prototype, 'batch').mockImplementationOnce(function (this: Level<string, unknown>) {
    const chained = real.call(this);
    const put = chained.put.bind(chained);
    const del = chained.del.bind(chained);
    const write = chained.write.bind(chained);
    chained.put = (k: string, v: unknown) => (seen.keys.push(k), put(k, v));
    chained.del = (k: string) => (seen.keys.push(k), del(k));
    chained.write = (o?: unknown) => ((seen.options = o), onWrite ? onWrite(() => write(o)) : write(o));
    return chained;
  } as never);
  return seen;
}
