import { describe, expect, it } from 'vitest';
import { ACLCache, aclCacheKey, compileACL, type ACL } from '@tollgate/acl';

const fresh = (): ACL => compileACL([]);

describe('ACLCache', () => {
  it('builds once per key and returns the cached ACL afterwards', () => {
    const cache = new ACLCache();
    let builds = 0;
    const build = (): ACL => {
      builds++;
      return fresh();
    };
    const first = cache.get('a@1', build);
    expect(cache.get('a@1', build)).toBe(first);
    expect(builds).toBe(1);
    expect(cache.capacity).toBe(512);
  });

  it('evicts the least recently used entry beyond its size', () => {
    const cache = new ACLCache({ size: 2 });
    const a = cache.get('a', fresh);
    cache.get('b', fresh);
    expect(cache.get('a', fresh)).toBe(a); // touch a: b is now least recent
    cache.get('c', fresh);
    expect(cache.size).toBe(2);
    expect(cache.has('a')).toBe(true);
    expect(cache.has('b')).toBe(false);
    expect(cache.has('c')).toBe(true);
  });

  it('does not cache anything when build throws', () => {
    const cache = new ACLCache();
    expect(() =>
      cache.get('bad', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(cache.has('bad')).toBe(false);
  });

  it('clears all entries', () => {
    const cache = new ACLCache();
    cache.get('a', fresh);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects size %s', (size) => {
    expect(() => new ACLCache({ size })).toThrow(RangeError);
  });
});

describe('aclCacheKey', () => {
  it('sorts by name so the token’s policy order does not matter', () => {
    expect(
      aclCacheKey([
        { name: 'b', modifyIndex: 7 },
        { name: 'a', modifyIndex: 3 },
      ]),
    ).toBe('a@3,b@7');
  });

  it('changes when a policy’s ModifyIndex changes', () => {
    expect(aclCacheKey([{ name: 'a', modifyIndex: 3 }])).not.toBe(aclCacheKey([{ name: 'a', modifyIndex: 4 }]));
  });

  it('gives the empty string for no policies', () => {
    expect(aclCacheKey([])).toBe('');
  });
});
