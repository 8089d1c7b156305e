import { Level } from 'level';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ACLToken, CommitEntry } from './index.js';
import { freshStore, interceptNextBatch, openStore, policy, tempDir, token } from '../test/helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A token as an external log hands it over: final indexes set. */
function committed(index: number, overrides: Partial<ACLToken> = {}): ACLToken {
  return token({ CreateIndex: index, ModifyIndex: index, ...overrides });
}

describe('external region log apply', () => {
  it('applies committed entries at the indexes the log chose, gaps included, with their table indexes', async () => {
    const { store } = await freshStore();
    const t = committed(7);
    const r = await store.applyCommitted([
      { index: 7, ops: [{ type: 'put-token', token: t }], tables: ['acl_token'] },
      { index: 12, ops: [{ type: 'put-policy', policy: policy('ops', { CreateIndex: 12, ModifyIndex: 12 }) }], tables: ['acl_policy'] },
    ]);
    expect(r.index).toBe(12);
    expect(store.index()).toBe(12);
    expect(store.tokenBySecret(t.SecretID)).toMatchObject({ CreateIndex: 7, ModifyIndex: 7 });
    expect(store.tableIndex('acl_token')).toBe(7);
    expect(store.tableIndex('acl_policy')).toBe(12);
    expect(store.changesSince(7).map((c) => c.key)).toEqual(['ops']);
  });

  it('stores the applied index atomically with the data, so a reopened store resumes after it', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const seen = interceptNextBatch();
    const t = committed(30);
    await store.applyCommitted([
      { index: 30, ops: [{ type: 'put-token', token: t }], tables: ['acl_token'], bootstrapIndex: 30, replicationCursor: 5 },
    ]);
    expect(seen.keys).toEqual(expect.arrayContaining([`t:${t.AccessorID}`, 'm:index', 'm:bootstrap', 'm:cursor']));
    await store.close();
    const again = await openStore(dir);
    expect(again.index()).toBe(30);
    expect(again.bootstrapIndex()).toBe(30);
    expect(again.replicationCursor()).toBe(5);
    expect(again.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);
  });

  it('writes external batches without fsync and embedded ones with it', async () => {
    const ext = await freshStore();
    const emb = await freshStore();
    const syncs: unknown[] = [];
    const realBatch = Level.prototype.batch as unknown as (this: unknown) => { write(o?: unknown): Promise<void> };
    vi.spyOn(Level.prototype, 'batch').mockImplementation(function (this: unknown) {
      const chained = realBatch.call(this);
      const write = chained.write.bind(chained);
      chained.write = (o?: unknown) => (syncs.push((o as { sync?: boolean } | undefined)?.sync), write(o));
      return chained as never;
    });
    await ext.store.applyCommitted([{ index: 1, ops: [{ type: 'put-token', token: committed(1) }], tables: ['acl_token'] }]);
    await emb.store.apply({ type: 'token-upsert', tokens: [token()] });
    expect(syncs).toEqual([false, true]);
  });

  it('refuses an entry whose index does not move forward, applying nothing of the call', async () => {
    const { store } = await freshStore();
    await store.applyCommitted([{ index: 5, ops: [], tables: ['acl_token'] }]);
    const t = committed(6);
    const err = await store
      .applyCommitted([
        { index: 6, ops: [{ type: 'put-token', token: t }], tables: ['acl_token'] },
        { index: 6, ops: [], tables: [] },
      ])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOLLGATE_INVALID_ARGUMENT', message: "entries[1].index 6 must be greater than the store's index 6" });
    expect(store.tokenByAccessor(t.AccessorID)).toBeUndefined();
    expect(store.index()).toBe(5);
  });

  it.each([
    ['an object index beyond the entry', { index: 3, ops: [{ type: 'put-token', token: committed(4) }], tables: [] }, 'entries[0].ops[0].token must have 1 <= CreateIndex <= ModifyIndex <= 3'],
    ['an unknown op', { index: 3, ops: [{ type: 'frobnicate' }], tables: [] }, 'entries[0].ops[0].type must be put-/delete- token, policy, role, auth-method or binding-rule'],
    ['an unknown table', { index: 3, ops: [], tables: ['acl_roles'] }, 'entries[0].tables must be an array of acl_token / acl_policy / acl_role / acl_auth_method / acl_binding_rule'],
    ['a malformed token', { index: 3, ops: [{ type: 'put-token', token: { AccessorID: 'x' } }], tables: [] }, 'entries[0].ops[0].token.Type must be "client" or "management"'],
  ])('refuses %s, naming the field', async (_what, entry, message) => {
    const { store } = await freshStore();
    await expect(store.applyCommitted([entry as unknown as CommitEntry])).rejects.toMatchObject({
      code: 'TOLLGATE_INVALID_ARGUMENT',
      message,
    });
  });

  it('refuses a token that would share its SecretID with another stored token', async () => {
    const { store } = await freshStore();
    const a = committed(1);
    await store.applyCommitted([{ index: 1, ops: [{ type: 'put-token', token: a }], tables: ['acl_token'] }]);
    const b = committed(2, { SecretID: a.SecretID });
    await expect(
      store.applyCommitted([{ index: 2, ops: [{ type: 'put-token', token: b }], tables: ['acl_token'] }]),
    ).rejects.toMatchObject({ code: 'TOLLGATE_INVALID_ARGUMENT', message: expect.stringContaining(`SecretID of token ${a.AccessorID}`) });
    // Deleting the holder in the same entry first makes it legal.
    await store.applyCommitted([
      { index: 2, ops: [{ type: 'delete-token', accessor: a.AccessorID }, { type: 'put-token', token: b }], tables: ['acl_token'] },
    ]);
    expect(store.tokenBySecret(a.SecretID)?.AccessorID).toBe(b.AccessorID);
  });

  it('turns the store into exactly a snapshot, writing only what differs', async () => {
    const { store } = await freshStore();
    const keep = committed(2);
    const gone = committed(3);
    const changed = committed(4);
    await store.applyCommitted([
      {
        index: 4,
        ops: [
          { type: 'put-token', token: keep },
          { type: 'put-token', token: gone },
          { type: 'put-token', token: changed },
          { type: 'put-policy', policy: policy('old', { CreateIndex: 4, ModifyIndex: 4 }) },
        ],
        tables: ['acl_token', 'acl_policy'],
      },
    ]);
    const seen = interceptNextBatch();
    const fresh = committed(20);
    const r = await store.applySnapshot({
      index: 25,
      tokens: [keep, { ...changed, Name: 'renamed', ModifyIndex: 18 }, fresh],
      policies: [policy('new', { CreateIndex: 21, ModifyIndex: 21 })],
      bootstrapIndex: 9,
      replicationCursor: 0,
    });
    expect(r.index).toBe(25);
    expect(store.index()).toBe(25);
    expect(store.listTokens().map((t) => t.AccessorID).sort()).toEqual([keep, changed, fresh].map((t) => t.AccessorID).sort());
    expect(store.tokenByAccessor(changed.AccessorID)).toMatchObject({ Name: 'renamed', CreateIndex: 4, ModifyIndex: 18 });
    expect(store.policy('old')).toBeUndefined();
    expect(store.policy('new')?.CreateIndex).toBe(21);
    expect(store.bootstrapIndex()).toBe(9);
    expect(store.tableIndex('acl_token')).toBe(25);
    // The unchanged token was not rewritten.
    expect(seen.keys).not.toContain(`t:${keep.AccessorID}`);
    expect(seen.keys).toContain(`t:${fresh.AccessorID}`);
  });

  it('refuses a snapshot behind the store, or with two tokens sharing a SecretID', async () => {
    const { store } = await freshStore();
    await store.applyCommitted([{ index: 10, ops: [], tables: [] }]);
    await expect(
      store.applySnapshot({ index: 9, tokens: [], policies: [], bootstrapIndex: 0, replicationCursor: 0 }),
    ).rejects.toMatchObject({ code: 'TOLLGATE_INVALID_ARGUMENT', message: "snapshot.index 9 is behind the store's index 10" });
    const a = committed(10);
    await expect(
      store.applySnapshot({ index: 11, tokens: [a, committed(10, { SecretID: a.SecretID })], policies: [], bootstrapIndex: 0, replicationCursor: 0 }),
    ).rejects.toMatchObject({ code: 'TOLLGATE_INVALID_ARGUMENT' });
  });

  it('refuses an empty applyCommitted', async () => {
    const { store } = await freshStore();
    await expect(store.applyCommitted([])).rejects.toMatchObject({ message: 'entries must be a non-empty array' });
  });

  it('plans a mutation against the committed state without writing it', async () => {
    const { store } = await freshStore();
    const t = committed(3);
    await store.applyCommitted([{ index: 3, ops: [{ type: 'put-token', token: t }], tables: ['acl_token'] }]);
    const { entry: plan, reads } = store.planMutation({ type: 'token-upsert', tokens: [{ ...t, Name: 'x', SecretID: 'ignored' }] });
    // What the plan read: the token it updates, as it was.
    expect(reads.tokens.get(t.AccessorID)).toMatchObject({ AccessorID: t.AccessorID, ModifyIndex: 3 });
    expect(plan.ops).toEqual([{ type: 'put-token', token: expect.objectContaining({ Name: 'x', SecretID: t.SecretID, CreateIndex: 3 }) }]);
    expect(store.tokenByAccessor(t.AccessorID)?.Name).toBe(t.Name);
    expect(() => store.planMutation({ type: 'token-delete', accessors: ['nope'] })).toThrow('Cannot delete nonexistent tokens: nope');
    const { entry: rep } = store.planReplicated({ sourceIndex: 4, upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
    expect(rep).toMatchObject({ ops: [], replicationCursor: 4 });
  });
});
