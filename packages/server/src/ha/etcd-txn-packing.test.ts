import { describe, expect, it } from 'vitest';
import { EtcdLayout } from './etcd-layout.js';
import { packWrites, type Compare, type PackableWrite } from './etcd-txn-packing.js';

const L = new EtcdLayout('/tollgate/test/');
const absent = (key: string): Compare => ({ key, target: 'Create', cmp: '==', value: 0 });

/** A token create: pins its accessor and secret keys absent, puts both. */
function create(accessor: string, secret: string): PackableWrite {
  const ops = [
    { type: 'put', key: L.token(accessor), value: `{"a":"${accessor}"}` },
    { type: 'put', key: L.secret(secret), value: accessor },
  ] as const;
  return { compares: [absent(L.token(accessor)), absent(L.secret(secret))], ops: [...ops], tables: [L.table('acl_token')], bytes: 40 };
}

describe('packWrites', () => {
  it('packs independent writes into one transaction with one table marker, one data/rev and the key check', () => {
    const { taken, txn } = packWrites([create('a1', 's1'), create('a2', 's2'), create('a3', 's3')], L, 'agent', 128);
    expect(taken).toBe(3);
    expect(txn.ops.filter((o) => o.key === L.table('acl_token'))).toHaveLength(1);
    expect(txn.ops.filter((o) => o.key === L.rev)).toHaveLength(1);
    expect(txn.ops).toHaveLength(3 * 2 + 2);
    expect(txn.compares[0]).toEqual({ key: L.keyCheck, target: 'Create', cmp: '>', value: 0 });
    expect(txn.compares).toHaveLength(1 + 3 * 2);
  });

  it('stops at a write that writes a key another member writes (two creates of one SecretID go in separate transactions)', () => {
    const queue = [create('a1', 'same'), create('a2', 's2'), create('a3', 'same'), create('a4', 's4')];
    const { taken, txn } = packWrites(queue, L, 'agent', 128);
    expect(taken).toBe(2);
    expect(txn.ops.filter((o) => o.key === L.secret('same'))).toHaveLength(1);
    // The rest goes next, in order.
    expect(packWrites(queue.slice(taken), L, 'agent', 128).taken).toBe(2);
  });

  it('stops at a write that reads a key another member writes, or writes a key another member reads', () => {
    const parent = create('p', 'sp');
    const child: PackableWrite = { ...create('c', 'sc'), compares: [...create('c', 'sc').compares, { key: L.token('p'), target: 'Mod', cmp: '==', value: 4 }] };
    expect(packWrites([parent, child], L, 'agent', 128).taken).toBe(1);
    expect(packWrites([child, parent], L, 'agent', 128).taken).toBe(1);
  });

  it('keeps a write that pins a table marker apart from writes that move that table', () => {
    const def: PackableWrite = {
      compares: [absent(L.authMethod('m1')), absent(L.table('acl_auth_method'))],
      ops: [{ type: 'put', key: L.authMethod('m1'), value: '{}' }],
      tables: [L.table('acl_auth_method')],
      bytes: 10,
    };
    const other: PackableWrite = { compares: [absent(L.authMethod('m2'))], ops: [{ type: 'put', key: L.authMethod('m2'), value: '{}' }], tables: [L.table('acl_auth_method')], bytes: 10 };
    expect(packWrites([def, other], L, 'agent', 128).taken).toBe(1);
    expect(packWrites([other, def], L, 'agent', 128).taken).toBe(1);
  });

  it("respects etcd's max-txn-ops for operations and compares, but always takes the first write", () => {
    const queue = Array.from({ length: 10 }, (_, i) => create(`a${i}`, `s${i}`));
    // 2 ops per write + table + rev ≤ 8 → 3 writes; compares 1 + 2 per write ≤ 8 → 3.
    expect(packWrites(queue, L, 'agent', 8).taken).toBe(3);
    expect(packWrites(queue, L, 'agent', 2).taken).toBe(1);
  });

  it('merges identical pins of two members into one compare', () => {
    const pinP: Compare = { key: L.policy('p'), target: 'Mod', cmp: '==', value: 9 };
    const w = (id: string): PackableWrite => ({ compares: [absent(L.role(id)), pinP], ops: [{ type: 'put', key: L.role(id), value: '{}' }], tables: [], bytes: 5 });
    const { taken, txn } = packWrites([w('r1'), w('r2')], L, 'agent', 128);
    expect(taken).toBe(2);
    expect(txn.compares.filter((c) => c.key === L.policy('p'))).toHaveLength(1);
  });
});
