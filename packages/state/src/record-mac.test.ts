import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordMac, canonicalJson } from './record-mac.js';

describe('canonicalJson', () => {
  it('sorts keys at every level, drops undefined fields and the skipped top-level key, as stored MACs expect', () => {
    const value = { b: [3, { z: 1, a: undefined, m: 'x' }, undefined], a: null, Mac: 'v1.old', c: { y: true, x: 'q"uote' } };
    // The exact text earlier releases signed: a change here would refuse every stored record.
    expect(canonicalJson(value, 'Mac')).toBe('{"a":null,"b":[3,{"m":"x","z":1},null],"c":{"x":"q\\"uote","y":true}}');
    expect(canonicalJson(value)).toBe('{"Mac":"v1.old","a":null,"b":[3,{"m":"x","z":1},null],"c":{"x":"q\\"uote","y":true}}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson({ only: undefined })).toBe('{}');
  });

  it('gives a MAC that does not depend on property order and changes with any field', () => {
    const mac = new RecordMac(randomBytes(32));
    const a = { Name: 'n', Policies: ['p1', 'p2'], Global: false };
    const sig = mac.sign('token', 'acc', a);
    expect(mac.verify('token', 'acc', { Global: false, Policies: ['p1', 'p2'], Name: 'n', Mac: sig }, sig)).toBe(true);
    expect(mac.verify('token', 'acc', { ...a, Policies: ['p2', 'p1'] }, sig)).toBe(false);
    expect(mac.verify('policy', 'acc', a, sig)).toBe(false);
  });
});
