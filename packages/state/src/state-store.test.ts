import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { StateStore } from './index.js';
import { secretIndexKey } from './secret-box.js';
import { freshStore, openStore, policy, tempDir, token } from '../test/helpers.js';

describe('token writes', () => {
  it('gives a new token the write index as CreateIndex and ModifyIndex and finds it by accessor and secret', async () => {
    const { store } = await freshStore();
    const t = token();
    const { index } = await store.apply({ type: 'token-upsert', tokens: [t] });
    expect(index).toBe(1);
    const stored = store.tokenByAccessor(t.AccessorID);
    expect(stored).toMatchObject({ AccessorID: t.AccessorID, SecretID: t.SecretID, CreateIndex: 1, ModifyIndex: 1 });
    expect(store.tokenBySecret(t.SecretID)).toBe(stored);
    expect(store.tokenCount()).toBe(1);
    expect(store.tableIndex('acl_token')).toBe(1);
  });

  it('keeps SecretID, CreateTime and CreateIndex on update and replaces every other field', async () => {
    const { store } = await freshStore();
    const t = token({ Policies: ['a'], ExpirationTime: '2030-01-01T00:00:00Z' });
    await store.apply({ type: 'token-upsert', tokens: [t] });
    await store.apply({ type: 'policy-upsert', policies: [policy('unrelated')] });
    const otherSecret = randomUUID();
    const { index } = await store.apply({
      type: 'token-upsert',
      tokens: [{ ...t, SecretID: otherSecret, CreateTime: '2031-01-01T00:00:00Z', Name: 'renamed', Policies: ['b'], ExpirationTime: null }],
    });
    expect(index).toBe(3);
    const stored = store.tokenByAccessor(t.AccessorID)!;
    expect(stored).toMatchObject({
      SecretID: t.SecretID,
      CreateTime: t.CreateTime,
      CreateIndex: 1,
      ModifyIndex: 3,
      Name: 'renamed',
      Policies: ['b'],
      ExpirationTime: null,
    });
    expect(store.tokenBySecret(otherSecret)).toBeUndefined();
    expect(store.tokensByPolicy('a')).toEqual([]);
    expect(store.tokensByPolicy('b')).toEqual([t.AccessorID]);
    expect(store.expiredTokens(new Date('2040-01-01T00:00:00Z'), 10)).toEqual([]);
  });

  it('refuses an update queued behind a delete of the same token, so the deleted secret stays dead', async () => {
    const { store } = await freshStore();
    const t = token();
    await store.apply({ type: 'token-upsert', tokens: [t], mode: 'create' });
    // Both land in one group commit: the delete first, then the update the
    // writer built while the token still existed.
    const [del, upd] = await Promise.allSettled([
      store.apply({ type: 'token-delete', accessors: [t.AccessorID] }),
      store.apply({ type: 'token-upsert', tokens: [{ ...t, Name: 'renamed' }], mode: 'update' }),
    ]);
    expect(del.status).toBe('fulfilled');
    expect(upd).toMatchObject({ status: 'rejected', reason: { code: 'TOLLGATE_NOT_FOUND', message: `cannot find token ${t.AccessorID}` } });
    expect(store.tokenBySecret(t.SecretID)).toBeUndefined();
    // A create of an accessor that exists is refused too.
    const u = token();
    await store.apply({ type: 'token-upsert', tokens: [u], mode: 'create' });
    await expect(store.apply({ type: 'token-upsert', tokens: [{ ...u, SecretID: token().SecretID }], mode: 'create' })).rejects.toMatchObject({
      code: 'TOLLGATE_CONFLICT',
    });
  });

  it('refuses a new token whose SecretID is in use, without naming the secret', async () => {
    const { store } = await freshStore();
    const first = token();
    await store.apply({ type: 'token-upsert', tokens: [first] });
    const clash = token({ SecretID: first.SecretID });
    const err = await store.apply({ type: 'token-upsert', tokens: [clash] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ConflictError', code: 'TOLLGATE_CONFLICT' });
    expect((err as Error).message).not.toContain(first.SecretID);
    expect(store.tokenByAccessor(clash.AccessorID)).toBeUndefined();
    expect(store.index()).toBe(1);
  });

  it('refuses a write that lists the same accessor twice', async () => {
    const { store } = await freshStore();
    const t = token();
    await expect(store.apply({ type: 'token-upsert', tokens: [t, { ...t, Name: 'again' }] })).rejects.toMatchObject({
      code: 'TOLLGATE_CONFLICT',
    });
    expect(store.tokenCount()).toBe(0);
  });

  it('refuses a delete naming unknown tokens as a whole, listing every missing accessor', async () => {
    const { store } = await freshStore();
    const t = token();
    await store.apply({ type: 'token-upsert', tokens: [t] });
    const err = await store.apply({ type: 'token-delete', accessors: [t.AccessorID, 'x-1', 'y-2'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NotFoundError', code: 'TOLLGATE_NOT_FOUND', keys: ['x-1', 'y-2'] });
    expect((err as Error).message).toBe('Cannot delete nonexistent tokens: x-1, y-2');
    expect(store.tokenByAccessor(t.AccessorID)).toBeDefined();
    expect(store.index()).toBe(1);
  });

  it('removes a deleted token from every index', async () => {
    const { store } = await freshStore();
    const t = token({ Policies: ['ops'], ExpirationTime: '2020-01-01T00:00:00Z' });
    await store.apply({ type: 'token-upsert', tokens: [t] });
    expect(store.expiredTokens(new Date(), 10).map((x) => x.AccessorID)).toEqual([t.AccessorID]);
    const { index } = await store.apply({ type: 'token-delete', accessors: [t.AccessorID] });
    expect(index).toBe(2);
    expect(store.tokenByAccessor(t.AccessorID)).toBeUndefined();
    expect(store.tokenBySecret(t.SecretID)).toBeUndefined();
    expect(store.tokensByPolicy('ops')).toEqual([]);
    expect(store.expiredTokens(new Date(), 10)).toEqual([]);
    expect(store.listTokens()).toEqual([]);
    expect(store.tableIndex('acl_token')).toBe(2);
  });

  it('refuses an object whose JSON exceeds 1 MiB with a RangeError coded TOLLGATE_VALUE_TOO_LARGE', async () => {
    const { store } = await freshStore();
    const big = token({ Name: 'n'.repeat(1024 * 1024) });
    const err = await store.apply({ type: 'token-upsert', tokens: [big] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'TOLLGATE_VALUE_TOO_LARGE' });
    expect((err as Error).message).toContain(big.AccessorID);
    expect((err as Error).message).not.toContain(big.SecretID);
    await expect(
      store.apply({ type: 'policy-upsert', policies: [policy('huge', { Rules: 'x'.repeat(1024 * 1024 + 1) })] }),
    ).rejects.toMatchObject({ code: 'TOLLGATE_VALUE_TOO_LARGE' });
  });

  it('refuses malformed tokens with a TypeError naming the field', async () => {
    const { store } = await freshStore();
    const bad = { ...token(), Type: 'admin' } as unknown as ReturnType<typeof token>;
    const err = await store.apply({ type: 'token-upsert', tokens: [token(), bad] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toMatchObject({ code: 'TOLLGATE_INVALID_ARGUMENT' });
    expect((err as Error).message).toContain('mutation.tokens[1].Type');
    await expect(store.apply({ type: 'token-upsert', tokens: [] })).rejects.toThrow(/mutation.tokens/);
    expect(store.tokenCount()).toBe(0);
  });
});

describe('policy writes', () => {
  it('keeps CreateIndex when a policy is updated', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('ops')] });
    await store.apply({ type: 'policy-upsert', policies: [policy('ops', { Description: 'new' })] });
    expect(store.policy('ops')).toMatchObject({ Description: 'new', CreateIndex: 1, ModifyIndex: 2 });
    expect(store.tableIndex('acl_policy')).toBe(2);
  });

  it('treats deleting a missing policy as a no-op that still moves the acl_policy table index', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('ops')] });
    const { index } = await store.apply({ type: 'policy-delete', names: ['missing'] });
    expect(index).toBe(2);
    expect(store.tableIndex('acl_policy')).toBe(2);
    expect(store.listPolicies().map((p) => p.Name)).toEqual(['ops']);
    expect(store.changesSince(1)).toEqual([]);
  });

  it('lists policies by name, optionally by prefix', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('web-b'), policy('db'), policy('web-a')] });
    expect(store.listPolicies().map((p) => p.Name)).toEqual(['db', 'web-a', 'web-b']);
    expect(store.listPolicies({ prefix: 'web' }).map((p) => p.Name)).toEqual(['web-a', 'web-b']);
    expect(store.listPolicies({ prefix: 'zzz' })).toEqual([]);
    await store.apply({ type: 'policy-delete', names: ['web-a'] });
    expect(store.policy('web-a')).toBeUndefined();
    expect(store.listPolicies({ prefix: 'web' }).map((p) => p.Name)).toEqual(['web-b']);
  });
});

describe('bootstrap', () => {
  const boot = (resetIndex?: number) =>
    ({ type: 'bootstrap', token: token({ Type: 'management', Policies: null, Global: true }), resetIndex }) as const;

  it('records the bootstrap index once and refuses a second bootstrap with the reset index', async () => {
    const { store } = await freshStore();
    expect(store.bootstrapIndex()).toBe(0);
    await store.apply({ type: 'policy-upsert', policies: [policy('p')] });
    const first = boot();
    const { index } = await store.apply(first);
    expect(index).toBe(2);
    expect(store.bootstrapIndex()).toBe(2);
    expect(store.tokenBySecret(first.token.SecretID)).toMatchObject({ CreateIndex: 2, Type: 'management' });
    const err = await store.apply(boot()).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'BootstrapError', code: 'TOLLGATE_BOOTSTRAP', resetIndex: 2 });
    expect((err as Error).message).toBe('ACL bootstrap already done (reset index: 2)');
  });

  it('refuses a wrong reset index and bootstraps again with the right one', async () => {
    const { store } = await freshStore();
    await store.apply(boot());
    await expect(store.apply(boot(7))).rejects.toThrow('Invalid bootstrap reset index (specified 7, reset index: 1)');
    const again = boot(1);
    const { index } = await store.apply(again);
    expect(index).toBe(2);
    expect(store.bootstrapIndex()).toBe(2);
    expect(store.tokenCount()).toBe(2);
  });

  it('lets exactly one of many racing bootstraps win', async () => {
    const { store } = await freshStore();
    const attempts = Array.from({ length: 10 }, () => boot());
    const results = await Promise.allSettled(attempts.map((m) => store.apply(m)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(9);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'TOLLGATE_BOOTSTRAP' });
    expect(store.tokenCount()).toBe(1);
  });
});

describe('reads', () => {
  it('reports index 0 and table indexes floored to 1 on an empty store', async () => {
    const { store } = await freshStore();
    expect(store.index()).toBe(0);
    expect(store.tableIndex('acl_token')).toBe(1);
    expect(store.tableIndex('acl_policy')).toBe(1);
    expect(() => store.tableIndex('nope' as 'acl_token')).toThrow(TypeError);
  });

  it('lists tokens by CreateIndex then AccessorID, and by AccessorID under a prefix', async () => {
    const { store } = await freshStore();
    const late = token({ AccessorID: '00000000-0000-0000-0000-00000000000a' });
    const b = token({ AccessorID: 'bb000000-0000-0000-0000-000000000000' });
    const a = token({ AccessorID: 'aa000000-0000-0000-0000-000000000000' });
    const a2 = token({ AccessorID: 'aa100000-0000-0000-0000-000000000000' });
    await store.apply({ type: 'token-upsert', tokens: [b, a] });
    await store.apply({ type: 'token-upsert', tokens: [a2] });
    await store.apply({ type: 'token-upsert', tokens: [late] });
    expect(store.listTokens().map((t) => t.AccessorID)).toEqual([a.AccessorID, b.AccessorID, a2.AccessorID, late.AccessorID]);
    expect(store.listTokens({ prefix: 'aa' }).map((t) => t.AccessorID)).toEqual([a.AccessorID, a2.AccessorID]);
    expect(store.listTokens({ prefix: 'aa1' }).map((t) => t.AccessorID)).toEqual([a2.AccessorID]);
  });

  it('returns expired tokens oldest first, strictly before now, up to the limit', async () => {
    const { store } = await freshStore();
    const t1 = token({ ExpirationTime: '2025-01-01T00:00:00.000000002Z' });
    const t0 = token({ ExpirationTime: '2025-01-01T00:00:00.000000001Z' });
    const t2 = token({ ExpirationTime: '2025-06-01T00:00:00+02:00' });
    const future = token({ ExpirationTime: '2099-01-01T00:00:00Z' });
    const never = token();
    await store.apply({ type: 'token-upsert', tokens: [t1, t2, future, never, t0] });
    const now = new Date('2026-01-01T00:00:00Z');
    expect(store.expiredTokens(now, 10).map((t) => t.AccessorID)).toEqual([t0.AccessorID, t1.AccessorID, t2.AccessorID]);
    expect(store.expiredTokens(now, 2).map((t) => t.AccessorID)).toEqual([t0.AccessorID, t1.AccessorID]);
    expect(store.expiredTokens(new Date('2025-01-01T00:00:00Z'), 10)).toEqual([]);
    // A filter applies while walking: the limit counts accepted tokens, so
    // rejected ones ahead cannot starve the rest.
    expect(store.expiredTokens(now, 1, (t) => t.AccessorID === t2.AccessorID).map((t) => t.AccessorID)).toEqual([t2.AccessorID]);
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('persistence and lifecycle', () => {
  it('restores everything on reopen and keeps indexes increasing', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const t = token({ Policies: ['ops'], ExpirationTime: '2020-01-01T00:00:00Z' });
    const gone = token();
    await store.apply({ type: 'token-upsert', tokens: [t, gone] });
    await store.apply({ type: 'policy-upsert', policies: [policy('ops')] });
    await store.apply({ type: 'bootstrap', token: token({ Type: 'management', Policies: null }), resetIndex: undefined });
    await store.apply({ type: 'token-delete', accessors: [gone.AccessorID] });
    const digest = store.globalDigest();
    await store.close();

    const again = await openStore(dir);
    expect(again.index()).toBe(4);
    expect(again.tableIndex('acl_token')).toBe(4);
    expect(again.tableIndex('acl_policy')).toBe(2);
    expect(again.bootstrapIndex()).toBe(3);
    expect(again.tokenBySecret(t.SecretID)).toMatchObject({ AccessorID: t.AccessorID, CreateIndex: 1 });
    expect(again.tokenByAccessor(gone.AccessorID)).toBeUndefined();
    expect(again.tokensByPolicy('ops')).toEqual([t.AccessorID]);
    expect(again.expiredTokens(new Date(), 5).map((x) => x.AccessorID)).toEqual([t.AccessorID]);
    expect(again.policy('ops')).toMatchObject({ CreateIndex: 2 });
    expect(again.changesSince(0).map((c) => c.index)).toEqual([1, 1, 2, 3, 4]);
    expect(again.globalDigest()).toBe(digest);
    const { index } = await again.apply({ type: 'policy-upsert', policies: [policy('next')] });
    expect(index).toBe(5);
  });

  it('never writes a SecretID in clear to the data directory', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const tokens = Array.from({ length: 20 }, () => token({ Global: true }));
    await store.apply({ type: 'token-upsert', tokens });
    await store.apply({ type: 'token-upsert', tokens: tokens.slice(0, 5).map((t) => ({ ...t, Name: 'updated' })) });
    await store.apply({ type: 'token-delete', accessors: [tokens[19]!.AccessorID] });
    await store.apply({ type: 'bootstrap', token: token({ Type: 'management', Policies: null }), resetIndex: undefined });
    await store.close();
    const raw = Buffer.concat(await Promise.all((await filesUnder(dir)).map((f) => readFile(f))));
    // The scan must be able to see data at all: accessors are stored in clear.
    expect(raw.includes(tokens[0]!.AccessorID)).toBe(true);
    for (const t of tokens) expect(raw.includes(t.SecretID), `secret of ${t.AccessorID}`).toBe(false);
  });

  it('refuses to open a directory written under another key', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    await store.close();
    await expect(StateStore.open({ path: dir, secretKey: randomBytes(32) })).rejects.toMatchObject({
      code: 'TOLLGATE_SECRET_KEY_MISMATCH',
    });
    // The failed open released the directory: the right key still opens it.
    const again = await openStore(dir);
    expect(again.tokenCount()).toBe(1);
  });

  it('repairs secondary indexes on disk that disagree with the tokens, in the background after open, and says so', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const t = token({ Policies: ['ops'] });
    await store.apply({ type: 'token-upsert', tokens: [t] });
    await store.close();
    const raw = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await raw.batch([
      { type: 'del', key: `s:${secretIndexKey(t.SecretID)}` },
      { type: 'put', key: 'l:["ghost","nobody"]', value: 1 },
    ]);
    await raw.close();

    const warnings: string[] = [];
    const again = await openStore(dir, {
      logger: { debug() {}, info() {}, warn: (_o, m) => warnings.push(m ?? ''), error() {} },
    });
    await again.whenVerified();
    expect(warnings).toEqual(['secondary indexes on disk disagreed with the tokens; repaired']);
    expect(again.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);
    expect(again.tokensByPolicy('ghost')).toEqual([]);
    await again.close();

    const check = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await expect(check.get(`s:${secretIndexKey(t.SecretID)}`)).resolves.toBe(t.AccessorID);
    await expect(check.get('l:["ghost","nobody"]')).resolves.toBeUndefined();
    await check.close();
  });

  it('refuses to open a directory in an unknown format with TOLLGATE_STORE_CORRUPT', async () => {
    const dir = await tempDir();
    const raw = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await raw.put('m:format', 99);
    await raw.close();
    await expect(StateStore.open({ path: dir, secretKey: randomBytes(32) })).rejects.toMatchObject({
      code: 'TOLLGATE_STORE_CORRUPT',
    });
  });

  it('refuses a second open of a directory in use with TOLLGATE_STORE_OPEN', async () => {
    const { dir } = await freshStore();
    await expect(openStore(dir)).rejects.toMatchObject({ code: 'TOLLGATE_STORE_OPEN' });
  });

  it('refuses bad options with TypeErrors naming the option', async () => {
    const dir = await tempDir();
    await expect(StateStore.open({ path: dir, secretKey: randomBytes(16) })).rejects.toThrow(/secretKey/);
    await expect(StateStore.open({ path: dir, secretKey: randomBytes(32), changeFeedHorizon: 0 })).rejects.toThrow(
      /changeFeedHorizon/,
    );
    await expect(StateStore.open({ path: '', secretKey: randomBytes(32) })).rejects.toThrow(/path/);
  });

  it('commits writes queued before close and refuses calls after it', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const t = token();
    const pending = store.apply({ type: 'token-upsert', tokens: [t] });
    const closed = store.close();
    expect(store.status).toBe('closing');
    await expect(store.apply({ type: 'token-upsert', tokens: [token()] })).rejects.toMatchObject({
      code: 'TOLLGATE_STORE_CLOSED',
    });
    await expect(pending).resolves.toEqual({ index: 1 });
    await closed;
    expect(store.status).toBe('closed');
    expect(() => store.tokenBySecret(t.SecretID)).toThrow(expect.objectContaining({ code: 'TOLLGATE_STORE_CLOSED' }));
    expect(() => store.index()).toThrow(expect.objectContaining({ name: 'StoreClosedError' }));
    await expect(store.waitForIndex(1, new AbortController().signal)).rejects.toMatchObject({
      code: 'TOLLGATE_STORE_CLOSED',
    });
    await store.close(); // idempotent
    const again = await openStore(dir);
    expect(again.tokenByAccessor(t.AccessorID)).toBeDefined();
  });

  it('closes through Symbol.asyncDispose', async () => {
    const { store } = await freshStore();
    await store[Symbol.asyncDispose]();
    expect(store.status).toBe('closed');
  });
});
