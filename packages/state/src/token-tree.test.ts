import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { freshStore, interceptNextBatch, openStore, token } from '../test/helpers.js';
import { noopLogger } from './logger.js';
import type { ACLToken } from './types.js';

/** A chain root → … of `depth` tokens under `root`, each the child of the one before. */
function chain(root: ACLToken, depth: number, overrides: Partial<ACLToken> = {}): ACLToken[] {
  const out: ACLToken[] = [];
  let parent = root;
  for (let i = 0; i < depth; i++) {
    parent = token({ ParentAccessorID: parent.AccessorID, ...overrides });
    out.push(parent);
  }
  return out;
}

describe('token trees', () => {
  it('revokes every descendant of a deleted token (1,000 deep) in one LevelDB batch, and nothing else', async () => {
    const { store } = await freshStore();
    const root = token();
    const deep = chain(root, 1000);
    const orphan = token({ ParentAccessorID: root.AccessorID, Orphan: true });
    const bystander = token();
    await store.apply({ type: 'token-upsert', tokens: [root, ...deep, orphan, bystander] });
    expect(store.tokenDescendants(root.AccessorID)).toHaveLength(1000);
    expect(store.tokenChildren(root.AccessorID).map((t) => t.AccessorID)).toEqual([deep[0]?.AccessorID]);
    const batch = interceptNextBatch();
    const { index } = await store.apply({ type: 'token-delete', accessors: [root.AccessorID] });
    // One batch carries all 1,001 token records (and their index keys).
    expect(batch.keys.filter((k) => k.startsWith('t:'))).toHaveLength(1001);
    expect(store.tokenCount()).toBe(2);
    expect(store.tokenByAccessor(orphan.AccessorID)).toBeDefined();
    expect(store.tokenByAccessor(bystander.AccessorID)).toBeDefined();
    expect(store.tableIndex('acl_token')).toBe(index);
    const deletes = store.changesSince(index - 1).filter((c) => c.op === 'delete');
    expect(deletes).toHaveLength(1001);
  });

  it('keeps the whole tree when the batch write fails: all or nothing', async () => {
    const { store } = await freshStore();
    const root = token();
    const kids = chain(root, 50);
    await store.apply({ type: 'token-upsert', tokens: [root, ...kids] });
    interceptNextBatch(async () => {
      throw new Error('disk on fire');
    });
    await expect(store.apply({ type: 'token-delete', accessors: [root.AccessorID] })).rejects.toBeDefined();
    expect(store.tokenCount()).toBe(51);
  });

  it('revoke-orphan deletes the token and marks its direct children Orphan, keeping grandchildren under them', async () => {
    const { store } = await freshStore();
    const root = token();
    const [a, b] = [token({ ParentAccessorID: root.AccessorID }), token({ ParentAccessorID: root.AccessorID })];
    const grand = token({ ParentAccessorID: a!.AccessorID });
    await store.apply({ type: 'token-upsert', tokens: [root, a!, b!, grand] });
    const { index } = await store.apply({ type: 'token-delete', accessors: [root.AccessorID], children: 'orphan' });
    expect(store.tokenByAccessor(root.AccessorID)).toBeUndefined();
    expect(store.tokenByAccessor(a!.AccessorID)).toMatchObject({ Orphan: true, ParentAccessorID: root.AccessorID, ModifyIndex: index });
    expect(store.tokenByAccessor(b!.AccessorID)?.Orphan).toBe(true);
    expect(store.tokenChildren(a!.AccessorID).map((t) => t.AccessorID)).toEqual([grand.AccessorID]);
    await expect(store.apply({ type: 'token-delete', accessors: ['x'], children: 'sideways' as 'orphan' })).rejects.toMatchObject({ code: 'TOLLGATE_INVALID_ARGUMENT' });
  });

  it('keeps the children index across a restart, and a record stored before lifecycles (no new fields) still verifies', async () => {
    const { store, dir } = await freshStore();
    const root = token();
    const kid = token({ ParentAccessorID: root.AccessorID, Meta: { team: 'p' }, ExplicitMaxTTL: 7.2e12, Period: 3.6e12 });
    const old = token();
    await store.apply({ type: 'token-upsert', tokens: [root, kid, old] });
    await store.close();
    // The old token's record has none of the lifecycle keys at all.
    const db = new Level<string, Record<string, unknown>>(dir, { valueEncoding: 'json', createIfMissing: false });
    await db.open();
    const rec = await db.get(`t:${old.AccessorID}`);
    expect(Object.keys(rec)).not.toContain('ParentAccessorID');
    expect(Object.keys(rec)).not.toContain('Meta');
    // An edit of a lifecycle field is caught by the record's MAC.
    const kidRec = await db.get(`t:${kid.AccessorID}`);
    await db.put(`t:${kid.AccessorID}`, { ...kidRec, Orphan: true });
    await db.close();
    const again = await openStore(dir, { logger: noopLogger });
    expect(again.tokenByAccessor(old.AccessorID)).toBeDefined();
    expect(again.tokenByAccessor(kid.AccessorID)).toBeUndefined();
    expect(again.tokenByAccessor(root.AccessorID)).toBeDefined();
  });

  it('reloads lineage, Meta and lease fields as stored', async () => {
    const { store, dir } = await freshStore();
    const root = token();
    const kid = token({ ParentAccessorID: root.AccessorID, Meta: { b: '2', a: '1' }, ExplicitMaxTTL: 7.2e12, Period: 3.6e12 });
    await store.apply({ type: 'token-upsert', tokens: [root, kid] });
    await store.close();
    const again = await openStore(dir);
    expect(again.tokenByAccessor(kid.AccessorID)).toMatchObject({ ParentAccessorID: root.AccessorID, Meta: { a: '1', b: '2' }, ExplicitMaxTTL: 7.2e12, Period: 3.6e12 });
    expect(again.tokenDescendants(root.AccessorID)).toEqual([kid.AccessorID]);
  });
});

describe('replicated deletions', () => {
  it('take the local children of a deleted global token (recursively) in the same write, but no global token and no orphan', async () => {
    const { store } = await freshStore();
    const parent = token({ Global: true });
    await store.applyReplicated({ sourceIndex: 5, upsertTokens: [parent], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
    const local = token({ ParentAccessorID: parent.AccessorID });
    const localGrand = token({ ParentAccessorID: local.AccessorID });
    const orphan = token({ ParentAccessorID: parent.AccessorID, Orphan: true });
    await store.apply({ type: 'token-upsert', tokens: [local, localGrand, orphan] });
    const before = store.tokenCount();
    await store.applyReplicated({ sourceIndex: 6, upsertTokens: [], deleteTokens: [parent.AccessorID], upsertPolicies: [], deletePolicies: [] });
    expect(store.tokenCount()).toBe(before - 3);
    expect(store.tokenByAccessor(orphan.AccessorID)).toBeDefined();
  });

  it('also on a reset (snapshot) that no longer holds the parent', async () => {
    const { store } = await freshStore({ logger: noopLogger });
    const parent = token({ Global: true });
    await store.applyReplicated({ sourceIndex: 5, upsertTokens: [parent], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
    const local = token({ ParentAccessorID: parent.AccessorID });
    await store.apply({ type: 'token-upsert', tokens: [local] });
    await store.applyReplicated({ sourceIndex: 9, upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [], reset: true });
    expect(store.tokenByAccessor(local.AccessorID)).toBeUndefined();
  });
});

describe('a child created as its parent is revoked', () => {
  it('is refused when the parent\'s revocation lands first in the same group commit, so no token outlives its tree', async () => {
    const { store } = await freshStore();
    const parent = token();
    await store.apply({ type: 'token-upsert', tokens: [parent], mode: 'create' });
    const child = token({ ParentAccessorID: parent.AccessorID });
    const orphan = token({ ParentAccessorID: parent.AccessorID, Orphan: true });
    const [del, kid, free] = await Promise.allSettled([
      store.apply({ type: 'token-delete', accessors: [parent.AccessorID] }),
      store.apply({ type: 'token-upsert', tokens: [child], mode: 'create' }),
      store.apply({ type: 'token-upsert', tokens: [orphan], mode: 'create' }),
    ]);
    expect(del.status).toBe('fulfilled');
    expect(kid).toMatchObject({ status: 'rejected', reason: { code: 'TOLLGATE_NOT_FOUND' } });
    expect(free.status).toBe('fulfilled');
    expect(store.tokenByAccessor(child.AccessorID)).toBeUndefined();
  });
});
