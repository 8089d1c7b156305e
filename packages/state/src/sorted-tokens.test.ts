import { describe, expect, it } from 'vitest';
import { SortedTokens } from './sorted-tokens.js';
import type { ACLToken } from './types.js';

function token(accessor: string, createIndex: number): ACLToken {
  return {
    AccessorID: accessor,
    SecretID: `s-${accessor}`,
    Name: '',
    Type: 'client',
    Policies: ['p'],
    Global: false,
    Hash: '',
    CreateTime: '2026-01-01T00:00:00Z',
    ExpirationTime: null,
    ExpirationTTL: 0,
    CreateIndex: createIndex,
    ModifyIndex: createIndex,
  };
}

const byCreate = (a: ACLToken, b: ACLToken): number =>
  a.CreateIndex - b.CreateIndex || (a.AccessorID < b.AccessorID ? -1 : a.AccessorID > b.AccessorID ? 1 : 0);

// Deterministic pseudo-random numbers in [0, 1) (an LCG): a failure is reproducible.
function rng(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('SortedTokens', () => {
  it('after any mix of puts, updates and deletes, lists exactly what a full sort lists', () => {
    const r = rng(7);
    const all = new Map<string, ACLToken>();
    const sorted = new SortedTokens(byCreate);
    let index = 1;
    for (let round = 0; round < 200; round++) {
      const ops = 1 + Math.floor(r() * 30);
      for (let i = 0; i < ops; i++) {
        const accessor = `a${Math.floor(r() * 400)}`;
        const roll = r();
        let changed = true;
        if (roll < 0.6) all.set(accessor, token(accessor, index++));
        else if (roll < 0.8 && all.has(accessor)) all.set(accessor, { ...all.get(accessor)!, Name: `n${index}` });
        else changed = all.delete(accessor);
        if (changed) sorted.changed(accessor);
      }
      const before = sorted.get(all);
      const copy = [...before];
      expect(before.map((t) => t.AccessorID)).toEqual([...all.values()].sort(byCreate).map((t) => t.AccessorID));
      expect(before).toEqual([...all.values()].sort(byCreate));
      // A listing handed out never changes afterwards.
      all.set('late', token('late', index++));
      sorted.changed('late');
      expect(before).toEqual(copy);
    }
  });

  it('returns the same array while nothing changed, and sorts afresh after reset', () => {
    const all = new Map([['b', token('b', 2)], ['a', token('a', 1)]]);
    const sorted = new SortedTokens(byCreate);
    const first = sorted.get(all);
    expect(sorted.get(all)).toBe(first);
    all.set('c', token('c', 0));
    sorted.reset();
    expect(sorted.get(all).map((t) => t.AccessorID)).toEqual(['c', 'a', 'b']);
  });
});
