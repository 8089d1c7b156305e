import { randomUUID } from 'node:crypto';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import type { ACLRole } from './index.js';
import { freshStore, openStore, policy, token } from '../test/helpers.js';

/** ACL roles in the state store: Nomad's write rules, persistence, feed, digest, replication. */

function role(name: string, policies: string[] = ['readonly'], overrides: Partial<ACLRole> = {}): ACLRole {
  return {
    ID: randomUUID(),
    Name: name,
    Description: '',
    Policies: policies.map((p) => ({ Name: p })),
    Hash: `hash-of-${name}`,
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}

const empty = { upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] };

describe('role writes', () => {
  it('creates, renames and deletes a role, moving the role table, the feed and the digest, and keeps it across a reopen', async () => {
    const { store, dir } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('readonly'), policy('app')] });
    const digest0 = store.globalDigest();
    const r = role('deployers');
    const { index } = await store.apply({ type: 'role-upsert', roles: [r], mode: 'create' });
    expect(store.role(r.ID)).toMatchObject({ ID: r.ID, Name: 'deployers', CreateIndex: index, ModifyIndex: index });
    expect(store.roleByName('deployers')?.ID).toBe(r.ID);
    expect(store.tableIndex('acl_role')).toBe(index);
    expect(store.changesSince(index - 1)).toEqual([{ index, table: 'acl_role', op: 'upsert', key: r.ID, global: true }]);
    const digest1 = store.globalDigest();
    expect(digest1).not.toBe(digest0);

    const renamed = await store.apply({ type: 'role-upsert', roles: [{ ...r, Name: 'shippers', Hash: 'h2' }], mode: 'update' });
    expect(store.roleByName('deployers')).toBeUndefined();
    expect(store.roleByName('shippers')).toMatchObject({ ID: r.ID, CreateIndex: index, ModifyIndex: renamed.index });
    expect(store.globalSnapshot().roles.map((x) => x.ID)).toEqual([r.ID]);

    const saved = store.role(r.ID);
    await store.close();
    const reopened = await openStore(dir);
    expect(reopened.roleByName('shippers')).toEqual(saved);
    expect(reopened.tableIndex('acl_role')).toBe(renamed.index);
    expect(reopened.globalDigest()).not.toBe(digest1);

    const del = await reopened.apply({ type: 'role-delete', ids: [r.ID] });
    expect(reopened.role(r.ID)).toBeUndefined();
    expect(reopened.roleByName('shippers')).toBeUndefined();
    expect(reopened.changesSince(del.index - 1)).toEqual([{ index: del.index, table: 'acl_role', op: 'delete', key: r.ID, global: true }]);
    expect(reopened.globalDigest()).toBe(digest0);
  });

  it('refuses a taken name, an update of a missing role, a missing policy and a delete of an unknown role, changing nothing', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('readonly')] });
    const a = role('a');
    await store.apply({ type: 'role-upsert', roles: [a], mode: 'create' });
    const before = store.index();
    await expect(store.apply({ type: 'role-upsert', roles: [role('a')], mode: 'create' })).rejects.toMatchObject({
      code: 'TOLLGATE_INVALID_ARGUMENT',
      message: 'role with name a already exists',
    });
    const ghost = role('ghost');
    await expect(store.apply({ type: 'role-upsert', roles: [ghost], mode: 'update' })).rejects.toMatchObject({
      code: 'TOLLGATE_NOT_FOUND',
      message: `cannot find role ${ghost.ID}`,
    });
    await expect(store.apply({ type: 'role-upsert', roles: [role('b', ['nope'])], mode: 'create' })).rejects.toMatchObject({
      code: 'TOLLGATE_NOT_FOUND',
      message: 'cannot find policy nope',
    });
    await expect(store.apply({ type: 'role-delete', ids: [a.ID, ghost.ID] })).rejects.toMatchObject({
      code: 'TOLLGATE_NOT_FOUND',
      message: 'ACL role not found',
    });
    await expect(store.apply({ type: 'role-upsert', roles: [{ ...a, Policies: [] }] })).rejects.toMatchObject({
      code: 'TOLLGATE_INVALID_ARGUMENT',
    });
    expect(store.index()).toBe(before);
    expect(store.listRoles()).toEqual([store.role(a.ID)]);
  });

  it('refuses the second of two creates of one name queued in the same group commit', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('readonly')] });
    const [first, second] = await Promise.allSettled([
      store.apply({ type: 'role-upsert', roles: [role('same')], mode: 'create' }),
      store.apply({ type: 'role-upsert', roles: [role('same')], mode: 'create' }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { message: 'role with name same already exists' } });
    expect(store.listRoles()).toHaveLength(1);
  });

  it('stores a token\'s role links and lists roles by ID with a prefix', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('readonly')] });
    const r = role('linked', ['readonly'], { ID: `aaaa${randomUUID().slice(4)}` });
    await store.apply({ type: 'role-upsert', roles: [r, role('other', ['readonly'], { ID: `bbbb${randomUUID().slice(4)}` })] });
    const t = token({ Policies: [], Roles: [{ ID: r.ID, Name: 'linked' }] });
    await store.apply({ type: 'token-upsert', tokens: [t] });
    expect(store.tokenByAccessor(t.AccessorID)?.Roles).toEqual([{ ID: r.ID, Name: 'linked' }]);
    expect(store.listRoles({ prefix: 'aaaa' }).map((x) => x.Name)).toEqual(['linked']);
    expect(store.listRoles().map((x) => x.Name)).toEqual(['linked', 'other']);
  });
});

describe('replicated roles', () => {
  it('applies upserts and deletes, takes a name from a role deleted upstream, and a reset removes roles it lacks', async () => {
    const { store } = await freshStore();
    const a = role('a', ['missing-is-fine'], { ModifyIndex: 10 });
    await store.applyReplicated({ ...empty, sourceIndex: 10, upsertRoles: [a] });
    expect(store.role(a.ID)).toMatchObject({ Name: 'a', SourceIndex: 10 });

    // Upstream deleted `a` and created `b` under the name `a`, in one batch.
    const b = role('a', ['readonly'], { ModifyIndex: 12 });
    await store.applyReplicated({ ...empty, sourceIndex: 12, upsertRoles: [b], deleteRoles: [a.ID] });
    expect(store.role(a.ID)).toBeUndefined();
    expect(store.roleByName('a')?.ID).toBe(b.ID);

    // A snapshot holding only `c`: `b` goes.
    const c = role('c', ['readonly'], { ModifyIndex: 20 });
    await store.applyReplicated({ ...empty, sourceIndex: 20, upsertRoles: [c], reset: true });
    expect(store.listRoles().map((x) => x.Name)).toEqual(['c']);
    expect(store.replicationCursor()).toBe(20);
  });
});

describe('external (HA) entries and snapshots', () => {
  it('applies committed role puts and deletes, refuses two roles with one name, and syncs roles from a snapshot', async () => {
    const { store } = await freshStore();
    const a = role('a', ['readonly'], { CreateIndex: 1, ModifyIndex: 1 });
    await store.applyCommitted([{ index: 1, ops: [{ type: 'put-role', role: a }], tables: ['acl_role'] }]);
    expect(store.roleByName('a')?.ID).toBe(a.ID);
    const clash = role('a', ['readonly'], { CreateIndex: 2, ModifyIndex: 2 });
    await expect(store.applyCommitted([{ index: 2, ops: [{ type: 'put-role', role: clash }], tables: ['acl_role'] }])).rejects.toMatchObject({
      code: 'TOLLGATE_INVALID_ARGUMENT',
    });
    await store.applyCommitted([{ index: 2, ops: [{ type: 'delete-role', id: a.ID }], tables: ['acl_role'] }]);
    expect(store.role(a.ID)).toBeUndefined();

    const s = role('s', ['readonly'], { CreateIndex: 3, ModifyIndex: 3 });
    await store.applySnapshot({ index: 5, tokens: [], policies: [], roles: [s], bootstrapIndex: 0, replicationCursor: 0 });
    expect(store.listRoles()).toEqual([{ ...s }]);
  });
});

describe('roles authenticated at rest', () => {
  it('refuses a role whose policies were edited on disk: left out after reopen, reported by ID; an untouched role loads', async () => {
    const { store, dir } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('readonly'), policy('admin')] });
    const edited = role('deployers');
    const kept = role('viewers');
    await store.apply({ type: 'role-upsert', roles: [edited, kept], mode: 'create' });
    await store.close();
    const db = new Level<string, Record<string, unknown>>(dir, { valueEncoding: 'json', createIfMissing: false });
    await db.open();
    const stored = await db.get(`r:${edited.ID}`);
    expect(stored).toHaveProperty('Mac');
    await db.put(`r:${edited.ID}`, { ...stored, Policies: [{ Name: 'readonly' }, { Name: 'admin' }] });
    await db.close();

    const refused: string[] = [];
    const again = await openStore(dir, { metrics: { observeRecordRefused: (table, source) => refused.push(`${table}/${source}`) } });
    expect(again.role(edited.ID)).toBeUndefined();
    expect(again.role(kept.ID)?.Name).toBe('viewers');
    expect(refused).toEqual(['acl_role/disk']);
    await again.close();
  });
});
