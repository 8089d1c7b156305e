import { describe, expect, it } from 'vitest';
import { DEFAULT_ADDRESS, resolveClientOptions } from './client-options.js';

describe('resolveClientOptions', () => {
  it('falls back to http://127.0.0.1:4646 and no token when nothing is set', () => {
    const r = resolveClientOptions({ env: {} });
    expect(r.address).toBe(DEFAULT_ADDRESS);
    expect(r.address).toBe('http://127.0.0.1:4646');
    expect(r.token).toBeUndefined();
    expect(r.region).toBeUndefined();
  });

  it('prefers TOLLGATE_ADDR and TOLLGATE_TOKEN over the NOMAD_ variables', () => {
    const r = resolveClientOptions({
      env: { TOLLGATE_ADDR: 'http://a:1', NOMAD_ADDR: 'http://b:2', TOLLGATE_TOKEN: 't1', NOMAD_TOKEN: 't2' },
    });
    expect(r.address).toBe('http://a:1');
    expect(r.token).toBe('t1');
  });

  it('uses NOMAD_ADDR and NOMAD_TOKEN when the TOLLGATE_ variables are unset or empty', () => {
    const r = resolveClientOptions({ env: { TOLLGATE_TOKEN: '', NOMAD_ADDR: 'http://b:2', NOMAD_TOKEN: 't2', NOMAD_REGION: 'eu' } });
    expect(r.address).toBe('http://b:2');
    expect(r.token).toBe('t2');
    expect(r.region).toBe('eu');
  });

  it('lets explicit options win over every environment variable', () => {
    const r = resolveClientOptions({
      address: 'http://opt:3',
      token: 'opt-token',
      region: 'us',
      env: { TOLLGATE_ADDR: 'http://a:1', TOLLGATE_TOKEN: 't1', TOLLGATE_REGION: 'eu' },
    });
    expect(r).toMatchObject({ address: 'http://opt:3', token: 'opt-token', region: 'us' });
  });

  it('adds http:// to a bare host:port and drops trailing slashes', () => {
    expect(resolveClientOptions({ address: '127.0.0.1:9999', env: {} }).address).toBe('http://127.0.0.1:9999');
    expect(resolveClientOptions({ address: 'https://acl.example/proxy/', env: {} }).address).toBe(
      'https://acl.example/proxy',
    );
  });

  it('trims whitespace around a token taken from the environment', () => {
    expect(resolveClientOptions({ env: { NOMAD_TOKEN: ' abc\n' } }).token).toBe('abc');
  });

  it('rejects an address that is not an http(s) URL, naming the field', () => {
    expect(() => resolveClientOptions({ address: 'http://exa mple:1', env: {} })).toThrow(TypeError);
    expect(() => resolveClientOptions({ address: 'http://exa mple:1', env: {} })).toThrow(/^address: /);
    expect(() => resolveClientOptions({ address: 'ftp://host:21', env: {} })).toThrow(/unsupported scheme "ftp:"/);
  });

  it('rejects a non-positive timeout with a RangeError', () => {
    expect(() => resolveClientOptions({ timeoutMs: 0, env: {} })).toThrow(RangeError);
    expect(() => resolveClientOptions({ timeoutMs: Number.NaN, env: {} })).toThrow(/timeoutMs/);
  });
});
