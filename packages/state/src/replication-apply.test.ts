import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ACLToken, Logger } from './index.js';
import { freshStore, interceptNextBatch, openStore, policy, tempDir, token } from '../test/helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const empty = { upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] };

/** A token as the authoritative region would send it. */
function upstream(overrides: Partial<ACLToken> = {}): ACLToken {
  return token({ Global: true, CreateIndex: 90, ModifyIndex: 100, ...overrides });
}

describe('replicated apply', () => {
  it('stores global objects under local indexes, keeping upstream secrets and recording SourceIndex', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'token-upsert', tokens: [token()] }); // local index 1
    const g = upstream();
    const { index } = await store.applyReplicated({
      ...empty,
      sourceIndex: 120,
      upsertTokens: [g],
      upsertPolicies: [policy('ops', { CreateIndex: 5, ModifyIndex: 0 })],
    });
    expect(index).toBe(2);
    expect(store.tokenBySecret(g.SecretID)).toMatchObject({
      AccessorID: g.AccessorID,
      CreateTime: g.CreateTime,
      CreateIndex: 2,
      ModifyIndex: 2,
      SourceIndex: 100,
    });
    // An upstream object without ModifyIndex falls back to the batch's sourceIndex.
    expect(store.policy('ops')).toMatchObject({ CreateIndex: 2, ModifyIndex: 2, SourceIndex: 120 });
    expect(store.replicationCursor()).toBe(120);
    expect(store.changesSince(1, { globalOnly: true }).map((c) => c.key)).toEqual([g.AccessorID, 'ops']);
    expect(store.tableIndex('acl_policy')).toBe(2);
  });

  it('writes the cursor in the same LevelDB batch as the data and persists both', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const seen = interceptNextBatch();
    const g = upstream();
    await store.applyReplicated({ ...empty, sourceIndex: 7, upsertTokens: [g] });
    const keys = seen.keys;
    expect(keys).toContain('m:cursor');
    expect(keys).toContain(`t:${g.AccessorID}`);
    expect(keys).toContain('m:index');
    await store.close();
    const again = await openStore(dir);
    expect(again.replicationCursor()).toBe(7);
    expect(again.tokenBySecret(g.SecretID)?.SourceIndex).toBe(100);
  });

  it('writes replicated-only batches without fsync, and local writes with it', async () => {
    const { store } = await freshStore();
    const replicated = interceptNextBatch();
    await store.applyReplicated({ ...empty, sourceIndex: 3, upsertTokens: [upstream()] });
    expect(replicated.options).toEqual({ sync: false });
    const local = interceptNextBatch();
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    expect(local.options).toEqual({ sync: true });
  });

  it('moves neither cursor nor data when the batch write fails', async () => {
    const { store } = await freshStore();
    interceptNextBatch(() => Promise.reject(new Error('io error')));
    const g = upstream();
    await expect(store.applyReplicated({ ...empty, sourceIndex: 9, upsertTokens: [g] })).rejects.toMatchObject({
      code: 'TOLLGATE_COMMIT_FAILED',
    });
    expect(store.replicationCursor()).toBe(0);
    expect(store.tokenByAccessor(g.AccessorID)).toBeUndefined();
  });

  it('never creates, changes or deletes a local token', async () => {
    const warnings: object[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (o) => warnings.push(o), error: (o) => warnings.push(o) };
    const { store } = await freshStore({ logger });
    const local = token();
    await store.apply({ type: 'token-upsert', tokens: [local] });
    const before = store.tokenByAccessor(local.AccessorID);
    await store.applyReplicated({
      ...empty,
      sourceIndex: 5,
      upsertTokens: [{ ...local, Global: true, Name: 'hijacked' }, token({ Global: false })],
      deleteTokens: [local.AccessorID],
    });
    await store.applyReplicated({ ...empty, sourceIndex: 6, reset: true });
    expect(store.tokenByAccessor(local.AccessorID)).toBe(before);
    expect(store.tokenCount()).toBe(1);
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    // Log lines name tokens by accessor only.
    expect(JSON.stringify(warnings)).not.toContain(local.SecretID);
  });

  it('ignores deletes of unknown keys and only moves the cursor when nothing changes', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('kept')] });
    const { index } = await store.applyReplicated({
      ...empty,
      sourceIndex: 30,
      deleteTokens: ['no-such-accessor'],
      deletePolicies: ['no-such-policy'],
    });
    expect(index).toBe(1);
    expect(store.index()).toBe(1);
    expect(store.replicationCursor()).toBe(30);
    expect(store.policy('kept')).toBeDefined();
  });

  it('leaves unchanged objects alone, so re-applying a batch is a no-op', async () => {
    const { store } = await freshStore();
    const batch = { ...empty, sourceIndex: 10, upsertTokens: [upstream()], upsertPolicies: [policy('a')] };
    await store.applyReplicated(batch);
    const { index } = await store.applyReplicated({ ...batch, sourceIndex: 11 });
    expect(index).toBe(1);
    expect(store.changesSince(1)).toEqual([]);
    expect(store.replicationCursor()).toBe(11);
  });

  it('deletes every global object absent from a reset snapshot and rewrites only what differs', async () => {
    const { store } = await freshStore();
    const [g1, g2] = [upstream(), upstream()];
    const local = token();
    await store.applyReplicated({
      ...empty,
      sourceIndex: 50,
      upsertTokens: [g1!, g2!],
      upsertPolicies: [policy('p1'), policy('p2')],
    });
    await store.apply({ type: 'token-upsert', tokens: [local] });
    const { index } = await store.applyReplicated({
      ...empty,
      sourceIndex: 60,
      reset: true,
      upsertTokens: [g1!],
      upsertPolicies: [policy('p1', { Description: 'changed', Hash: 'new' })],
    });
    expect(index).toBe(3);
    expect(store.tokenByAccessor(g1!.AccessorID)?.ModifyIndex).toBe(1);
    expect(store.tokenByAccessor(g2!.AccessorID)).toBeUndefined();
    expect(store.tokenBySecret(g2!.SecretID)).toBeUndefined();
    expect(store.policy('p1')).toMatchObject({ Description: 'changed', CreateIndex: 1, ModifyIndex: 3 });
    expect(store.policy('p2')).toBeUndefined();
    expect(store.tokenByAccessor(local.AccessorID)).toBeDefined();
    expect(store.changesSince(2).map((c) => `${c.op} ${c.key}`).sort()).toEqual(
      [`delete ${g2!.AccessorID}`, 'delete p2', 'upsert p1'].sort(),
    );
    expect(store.replicationCursor()).toBe(60);
  });

  it('refuses a non-reset batch behind the cursor and malformed batches, naming the field', async () => {
    const { store } = await freshStore();
    await store.applyReplicated({ ...empty, sourceIndex: 10 });
    await expect(store.applyReplicated({ ...empty, sourceIndex: 9 })).rejects.toThrow(/sourceIndex 9 is behind/);
    await expect(store.applyReplicated({ ...empty, sourceIndex: 9, reset: true })).resolves.toEqual({ index: 0 });
    expect(store.replicationCursor()).toBe(9);
    const bad = { ...empty, sourceIndex: 11, upsertTokens: [{ ...upstream(), Global: 'yes' }] } as never;
    await expect(store.applyReplicated(bad)).rejects.toThrow('batch.upsertTokens[0].Global must be a boolean');
  });

  it('shares the group-commit queue with local writes', async () => {
    const { store } = await freshStore();
    const results = await Promise.all([
      store.apply({ type: 'token-upsert', tokens: [token()] }),
      store.applyReplicated({ ...empty, sourceIndex: 3, upsertTokens: [upstream()] }),
      store.apply({ type: 'token-upsert', tokens: [token()] }),
    ]);
    expect(results.map((r) => r.index)).toEqual([1, 2, 3]);
  });

  it('wakes waitForReplication once the cursor reaches the wanted index', async () => {
    const { store } = await freshStore();
    const waiting = store.waitForReplication(40, new AbortController().signal);
    await store.applyReplicated({ ...empty, sourceIndex: 39 });
    await store.applyReplicated({ ...empty, sourceIndex: 41 });
    await expect(waiting).resolves.toBe(41);
  });
});

describe('global digest and snapshot', () => {
  it('agrees between an authoritative store and a follower fed in another order, whatever their indexes', async () => {
    const { store: auth } = await freshStore();
    const g = [upstream(), upstream(), upstream()];
    await auth.apply({ type: 'policy-upsert', policies: [policy('b'), policy('a')] });
    await auth.apply({ type: 'token-upsert', tokens: g });
    await auth.apply({ type: 'token-upsert', tokens: [token()] }); // local: not part of the digest
    const { store: follower } = await freshStore();
    await follower.apply({ type: 'token-upsert', tokens: [token(), token()] });
    const snap = auth.globalSnapshot();
    expect(snap.tokens.map((t) => t.AccessorID)).toEqual(g.map((t) => t.AccessorID).sort());
    expect(snap.policies.map((p) => p.Name)).toEqual(['a', 'b']);
    expect(follower.globalDigest()).not.toBe(auth.globalDigest());
    await follower.applyReplicated({
      ...empty,
      sourceIndex: auth.index(),
      upsertTokens: [...snap.tokens].reverse(),
      upsertPolicies: [...snap.policies].reverse(),
    });
    expect(follower.globalDigest()).toBe(auth.globalDigest());
    expect(follower.globalDigest()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a global Hash changes and is stable across reopen', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const g = upstream();
    await store.apply({ type: 'token-upsert', tokens: [g] });
    const d1 = store.globalDigest();
    expect(store.globalDigest()).toBe(d1);
    await store.apply({ type: 'token-upsert', tokens: [{ ...g, Hash: 'other' }] });
    const d2 = store.globalDigest();
    expect(d2).not.toBe(d1);
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    expect(store.globalDigest()).toBe(d2);
    await store.close();
    expect((await openStore(dir)).globalDigest()).toBe(d2);
  });
});
