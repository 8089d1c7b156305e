import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ACLToken } from '@tollgate/state';
import { BadRequestError } from './errors.js';
import { buildToken, decodeTokenRequest, multiError, tokenHash, tokenStub, ttlText, validateToken } from './tokens.js';

const bounds = { minMs: 60_000, maxMs: 86_400_000 };
const t0 = new Date('2026-01-01T00:00:00.000Z');

function errorOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('token requests', () => {
  it('formats validation failures as Nomad multierrors', () => {
    expect(multiError(['a'])).toBe('1 error occurred:\n\t* a\n\n');
    expect(multiError(['a', 'b'])).toBe('2 errors occurred:\n\t* a\n\t* b\n\n');
  });

  it('rejects a client token without policies', () => {
    const req = decodeTokenRequest({ Type: 'client' });
    expect(errorOf(() => validateToken(req, t0, bounds, undefined))).toBe(
      'token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles\n\n',
    );
  });

  it('rejects a management token with policies and an unknown type', () => {
    expect(errorOf(() => validateToken(decodeTokenRequest({ Type: 'management', Policies: ['a'] }), t0, bounds, undefined))).toContain(
      'management token cannot be associated with policies or roles',
    );
    expect(errorOf(() => validateToken(decodeTokenRequest({ Type: 'root' }), t0, bounds, undefined))).toContain(
      'token type must be client or management',
    );
  });

  it('counts the 256-character name limit in code points, so 256 emoji pass and 257 fail', () => {
    const ok = decodeTokenRequest({ Type: 'management', Name: '🤞'.repeat(256) });
    expect(() => validateToken(ok, t0, bounds, undefined)).not.toThrow();
    const long = decodeTokenRequest({ Type: 'management', Name: '🤞'.repeat(257) });
    expect(errorOf(() => validateToken(long, t0, bounds, undefined))).toContain('token name too long');
  });

  it('checks TTL bounds with Go-formatted durations', () => {
    const big = decodeTokenRequest({ Type: 'management', ExpirationTTL: '48h' });
    expect(errorOf(() => validateToken(big, t0, bounds, undefined))).toContain(
      'expiration time cannot be more than 24h0m0s in the future (was 48h0m0s)',
    );
    const small = decodeTokenRequest({ Type: 'management', ExpirationTTL: '10s' });
    expect(errorOf(() => validateToken(small, t0, bounds, undefined))).toContain(
      'expiration time cannot be less than 1m0s in the future (was 10s)',
    );
    const neg = decodeTokenRequest({ Type: 'management', ExpirationTTL: '-5m' });
    expect(errorOf(() => validateToken(neg, t0, bounds, undefined))).toContain("token expiration TTL '-5m0s' should not be negative");
  });

  it('accepts ExpirationTTL as nanoseconds and sets ExpirationTime from CreateTime', () => {
    const req = decodeTokenRequest({ Type: 'management', ExpirationTTL: 600_000_000_000 });
    validateToken(req, t0, bounds, undefined);
    const t = buildToken(req, t0, undefined);
    expect(t.ExpirationTTL).toBe(600_000_000_000);
    expect(t.ExpirationTime).toBe('2026-01-01T00:10:00.000Z');
  });

  it('refuses to toggle Global or change the TTL on update', () => {
    const existing = buildToken(decodeTokenRequest({ Type: 'client', Policies: ['a'], Global: true }), t0, undefined);
    const req = decodeTokenRequest({ Type: 'client', Policies: ['a'], Global: false, ExpirationTTL: '1h' });
    const msg = errorOf(() => validateToken(req, t0, bounds, existing));
    expect(msg).toContain('2 errors occurred');
    expect(msg).toContain('cannot toggle global mode');
    expect(msg).toContain('cannot update expiration TTL');
  });

  it.each([
    [{ Name: 5 }, 'Name must be a string'],
    [{ Policies: 'a' }, 'Policies must be a list of strings'],
    [{ Policies: [1] }, 'Policies must be a list of strings'],
    [{ Global: 'yes' }, 'Global must be true or false'],
    [{ ExpirationTTL: 'soon' }, 'ExpirationTTL: invalid duration'],
    [{ ExpirationTTL: {} }, 'ExpirationTTL must be a duration string or nanoseconds'],
    [{ ExpirationTime: 'tomorrow' }, 'ExpirationTime must be an RFC 3339 time'],
    [{ ExpirationTTL: 1e22 }, 'ExpirationTTL is out of range'],
    [{ ExpirationTTL: -1e300 }, 'ExpirationTTL is out of range'],
    [{ ExpirationTTL: '9999999999h' }, 'ExpirationTTL: invalid duration'],
    [[1, 2], 'expected a JSON object'],
    ['str', 'expected a JSON object'],
  ])('names the field of a wrongly typed body %j', (body, msg) => {
    expect(errorOf(() => decodeTokenRequest(body))).toContain(msg);
  });

  it('keeps IDs, CreateTime and CreateIndex on update, recomputing the hash', () => {
    const first = buildToken(decodeTokenRequest({ Type: 'client', Policies: ['a'], Name: 'x' }), t0, undefined);
    const stored: ACLToken = { ...first, CreateIndex: 7, ModifyIndex: 7 };
    const later = new Date(t0.getTime() + 1000);
    const upd = buildToken(decodeTokenRequest({ Type: 'client', Policies: ['b'], Name: 'y' }), later, stored);
    expect(upd.AccessorID).toBe(first.AccessorID);
    expect(upd.SecretID).toBe(first.SecretID);
    expect(upd.CreateTime).toBe(first.CreateTime);
    expect(upd.CreateIndex).toBe(7);
    expect(upd.Hash).not.toBe(first.Hash);
    expect(upd.Hash).toBe(tokenHash({ Name: 'y', Type: 'client', Policies: ['b'], Global: false }));
  });

  it('hashes exactly the bytes of each part in turn, also with emoji and lone surrogates at the part boundaries', () => {
    // The digest every release stored: one update per part (see tokenHash).
    const byParts = (parts: string[]): string => {
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      return h.digest('base64');
    };
    const cases: Array<[Parameters<typeof tokenHash>[0], string[]]> = [
      [{ Name: 'bench', Type: 'client', Policies: ['a', 'b'], Global: false }, ['bench', 'client', 'a', 'b', 'local']],
      [{ Name: 'm', Type: 'management', Policies: null, Global: true }, ['m', 'management', 'global']],
      [{ Name: 'emoji \u{1F600}', Type: 'client', Policies: ['p'], Roles: [{ ID: 'r1', Name: 'R' }], Global: true }, ['emoji \u{1F600}', 'client', 'p', 'r1', 'global']],
      [{ Name: 'x', Type: 'client', Policies: ['\uD83D', '\uDE00'], Global: false }, ['x', 'client', '\uD83D', '\uDE00', 'local']],
      [{ Name: 'x', Type: 'client', Policies: ['p'], Global: false, Meta: { b: '2', a: 'é' } }, ['x', 'client', 'p', 'local', 'meta:1:a1:é', 'meta:1:b1:2']],
    ];
    for (const [t, parts] of cases) expect(tokenHash(t)).toBe(byParts(parts));
  });

  it('generates distinct random UUIDs and never puts the secret in a stub', () => {
    const a = buildToken(decodeTokenRequest({ Type: 'management' }), t0, undefined);
    const b = buildToken(decodeTokenRequest({ Type: 'management' }), t0, undefined);
    expect(a.AccessorID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set([a.AccessorID, a.SecretID, b.AccessorID, b.SecretID]).size).toBe(4);
    expect(JSON.stringify(tokenStub(a, () => undefined))).not.toContain(a.SecretID);
  });
});

describe('ExpirationTTL on the wire', () => {
  it('reads "" and null as no TTL, a Go duration string or nanoseconds as a TTL', () => {
    const base = { Type: 'client', Policies: ['p'] };
    expect(decodeTokenRequest({ ...base, ExpirationTTL: '' }).ExpirationTTLMs).toBe(0);
    expect(decodeTokenRequest({ ...base, ExpirationTTL: null }).ExpirationTTLMs).toBe(0);
    expect(decodeTokenRequest({ ...base, ExpirationTTL: '1m30s' }).ExpirationTTLMs).toBe(90_000);
    expect(decodeTokenRequest({ ...base, ExpirationTTL: 90_000_000_000 }).ExpirationTTLMs).toBe(90_000);
  });

  it('answers "" for none and Go\'s Duration.String() otherwise', () => {
    expect(ttlText(0)).toBe('');
    expect(ttlText(600_000_000_000)).toBe('10m0s');
    expect(ttlText(3_600_000_000_000)).toBe('1h0m0s');
    expect(ttlText(1_500_000_000)).toBe('1.5s');
    expect(ttlText(1)).toBe('1ns');
  });

  it('keeps the SecretID of an upload request, and the role links for the endpoint to resolve', () => {
    expect(decodeTokenRequest({ Type: 'client', AccessorID: 'a', SecretID: 's' })).toMatchObject({ AccessorID: 'a', SecretID: 's' });
    expect(decodeTokenRequest({ Type: 'client', Roles: [{ ID: 'r1' }] }).RolesRaw).toEqual([{ ID: 'r1' }]);
    expect(() => decodeTokenRequest({ Type: 'client', Roles: 'r1' })).toThrow('Roles must be a list of role links');
    expect(decodeTokenRequest({ Type: 'client', Roles: null }).Type).toBe('client');
  });
});
