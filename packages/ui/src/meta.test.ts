import { describe, expect, it } from 'vitest';
import { formatMeta, parseMeta } from './meta';

describe('token Meta text', () => {
  it('reads key=value lines, values may hold "=", blank lines skipped', () => {
    expect(parseMeta('team=payments\n\n  url = a=b \n')).toEqual({ team: 'payments', url: 'a=b' });
    expect(parseMeta('')).toEqual({});
  });

  it('refuses a line without a key or "=", and a repeated key, naming the line', () => {
    expect(() => parseMeta('team=a\nnoequals')).toThrow('Meta line 2: expected key=value, got "noequals"');
    expect(() => parseMeta('=x')).toThrow('Meta line 1');
    expect(() => parseMeta('a=1\na=2')).toThrow('Meta line 2: key "a" given twice');
  });

  it('writes what it reads, keys sorted', () => {
    expect(formatMeta({ z: '1', a: 'x=y' })).toBe('a=x=y\nz=1');
    expect(parseMeta(formatMeta({ z: '1', a: 'x=y' }))).toEqual({ a: 'x=y', z: '1' });
    expect(formatMeta(undefined)).toBe('');
  });
});
