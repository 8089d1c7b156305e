import type { ACLPolicy, ACLToken, Change } from '@tollgate/state';
import { describe, expect, it } from 'vitest';
import { ChangeAccumulator, buildChangeBatches, hasChanges, mergeBatches, toReplicatedBatch } from './change-batch.js';
import type { ChangeBatchData } from './change-batch.js';

const token = (accessor: string, name = 'n'): ACLToken => ({
  AccessorID: accessor,
  SecretID: `s-${accessor}`,
  Name: name,
  Type: 'client',
  Policies: ['p'],
  Global: true,
  Hash: 'h',
  CreateTime: '2024-01-01T00:00:00Z',
  ExpirationTime: null,
  ExpirationTTL: 0,
  CreateIndex: 1,
  ModifyIndex: 1,
});
const policy = (name: string, rules = 'x'): ACLPolicy => ({ Name: name, Description: '', Rules: rules, Hash: 'h', CreateIndex: 1, ModifyIndex: 1 });
const ch = (index: number, table: Change['table'], op: Change['op'], key: string): Change => ({ index, table, op, key, global: true });
const batch = (index: number, extra: Partial<ChangeBatchData> = {}): ChangeBatchData => ({
  firstIndex: index,
  index,
  commitTimeMs: index * 10,
  upsertTokens: [],
  deleteTokens: [],
  upsertPolicies: [],
  deletePolicies: [],
  ...extra,
});

describe('ChangeAccumulator', () => {
  it('keeps the last operation per key: upsert then delete is a delete, delete then upsert an upsert', () => {
    const acc = new ChangeAccumulator();
    acc.upsertToken(token('a'));
    acc.deleteToken('a');
    acc.deleteToken('b');
    acc.upsertToken(token('b', 'second'));
    acc.upsertPolicy(policy('p1'));
    acc.deletePolicy('p1');
    const l = acc.lists();
    expect(l.deleteTokens).toEqual(['a']);
    expect(l.upsertTokens.map((t) => [t.AccessorID, t.Name])).toEqual([['b', 'second']]);
    expect(l.deletePolicies).toEqual(['p1']);
    expect(l.upsertPolicies).toEqual([]);
  });
});

describe('buildChangeBatches', () => {
  const source = {
    tokens: new Map([['a', token('a')], ['b', token('b')]]),
    policies: new Map([['p', policy('p')]]),
    tokenByAccessor(a: string) {
      return this.tokens.get(a);
    },
    policy(n: string) {
      return this.policies.get(n);
    },
    roles: new Map([['r1', { ID: 'r1', Name: 'ops', Description: '', Policies: [{ Name: 'p' }], Hash: 'h', CreateIndex: 4, ModifyIndex: 4 }]]),
    role(id: string) {
      return this.roles.get(id);
    },
    authMethod: () => undefined,
    bindingRule: () => undefined,
  };

  it('carries role upserts and deletes, reading roles at send time', () => {
    const batches = buildChangeBatches(
      [
        { index: 4, table: 'acl_role', op: 'upsert', key: 'r1', global: true },
        { index: 5, table: 'acl_role', op: 'upsert', key: 'gone', global: true },
        { index: 6, table: 'acl_role', op: 'delete', key: 'r2', global: true },
      ],
      source,
      () => 0,
    );
    expect(batches).toHaveLength(1);
    expect(batches[0]!.upsertRoles?.map((r) => r.Name)).toEqual(['ops']);
    expect(batches[0]!.deleteRoles).toEqual(['gone', 'r2']);
    expect(hasChanges({ ...batches[0]!, upsertRoles: [], deleteRoles: ['x'], upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] })).toBe(true);
  });

  it('reads objects at send time and sends a since-deleted upsert as a delete', () => {
    const changes = [ch(5, 'acl_token', 'upsert', 'a'), ch(6, 'acl_token', 'upsert', 'gone'), ch(7, 'acl_policy', 'upsert', 'p'), ch(8, 'acl_policy', 'delete', 'q')];
    const [b, ...rest] = buildChangeBatches(changes, source, (i) => i * 100);
    expect(rest).toEqual([]);
    expect(b).toMatchObject({ firstIndex: 5, index: 8, commitTimeMs: 500, deleteTokens: ['gone'], deletePolicies: ['q'] });
    expect(b!.upsertTokens.map((t) => t.AccessorID)).toEqual(['a']);
    expect(b!.upsertTokens[0]!.SecretID).toBe('s-a');
    expect(b!.upsertPolicies.map((p) => p.Name)).toEqual(['p']);
  });

  it('cuts batches by size but never inside an index', () => {
    const changes = [ch(1, 'acl_token', 'upsert', 'a'), ch(1, 'acl_token', 'upsert', 'b'), ch(2, 'acl_token', 'upsert', 'a'), ch(3, 'acl_token', 'upsert', 'b')];
    const batches = buildChangeBatches(changes, source, (i) => i, 1);
    expect(batches.map((b) => [b.firstIndex, b.index, b.upsertTokens.length])).toEqual([
      [1, 1, 2],
      [2, 2, 1],
      [3, 3, 1],
    ]);
    expect(batches.map((b) => b.commitTimeMs)).toEqual([1, 2, 3]);
  });

  it('returns no batch for no changes', () => {
    expect(buildChangeBatches([], source, () => 0)).toEqual([]);
  });
});

describe('mergeBatches', () => {
  it('covers the first to the last index, last operation per key winning', () => {
    const merged = mergeBatches([
      batch(3, { upsertTokens: [token('a', 'v1')], upsertPolicies: [policy('p')] }),
      batch(4, { deleteTokens: ['a'], upsertTokens: [token('b')] }),
      batch(6, { upsertTokens: [token('a', 'v3')], deletePolicies: ['p'] }),
    ]);
    expect(merged).toMatchObject({ firstIndex: 3, index: 6, commitTimeMs: 30, deleteTokens: [], deletePolicies: ['p'], upsertPolicies: [] });
    expect(merged.upsertTokens.map((t) => [t.AccessorID, t.Name])).toEqual([
      ['a', 'v3'],
      ['b', 'n'],
    ]);
  });

  it('measures lag from the first batch that changes something, not from a heartbeat before it', () => {
    const merged = mergeBatches([batch(3), batch(4, { deleteTokens: ['x'] })]);
    expect(merged.commitTimeMs).toBe(40);
    expect(hasChanges(merged)).toBe(true);
    expect(hasChanges(mergeBatches([batch(3), batch(4)]))).toBe(false);
  });

  it('refuses an empty list and batches out of order', () => {
    expect(() => mergeBatches([])).toThrow(RangeError);
    expect(() => mergeBatches([batch(5), batch(4)])).toThrow(/out of order/);
  });
});

describe('toReplicatedBatch', () => {
  it('uses the batch index as the source index the cursor moves to', () => {
    const r = toReplicatedBatch(batch(9, { deleteTokens: ['z'] }));
    expect(r).toEqual({ sourceIndex: 9, upsertTokens: [], deleteTokens: ['z'], upsertPolicies: [], deletePolicies: [], upsertRoles: [], deleteRoles: [], upsertAuthMethods: [], deleteAuthMethods: [], upsertBindingRules: [], deleteBindingRules: [] });
    expect(r.reset).toBeUndefined();
  });
});
