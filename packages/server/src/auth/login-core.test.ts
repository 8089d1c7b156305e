import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAuthMethodConfig } from '@tollgate/state';
import type { ACLAuthMethod, ACLAuthMethodConfig, ACLBindingRule, ACLPolicy, ACLRole } from '@tollgate/state';
import { createCa, createCert } from '../tls/cert-authority.js';
import { bind, claimVariables } from './binder.js';
import { claimAt, mapClaims } from './claims.js';
import { compileSelector, selectorError } from './claims-selector.js';
import { interpolate, templateVariables } from './interpolate.js';
import { JwtVerifier } from './jwt-verifier.js';
import { loginTokenName } from './login.js';

/** The login core: claim mapping, selectors, interpolation, binding rules and JWT verification. */

const S = 1_000_000_000;

function method(config: Record<string, unknown>, overrides: Partial<ACLAuthMethod> = {}): ACLAuthMethod {
  return {
    Name: 'ci',
    Type: 'JWT',
    TokenLocality: 'local',
    MaxTokenTTL: 3600 * S,
    TokenNameFormat: '${auth_method_type}-${auth_method_name}',
    DisplayName: '',
    Default: false,
    Config: checkAuthMethodConfig(config, 'Config') as ACLAuthMethodConfig,
    Hash: `h-${JSON.stringify(config).length}-${Math.random()}`,
    CreateTime: '',
    ModifyTime: '',
    CreateIndex: 1,
    ModifyIndex: 1,
    ...overrides,
  };
}

describe('claim mapping (Nomad semantics)', () => {
  const claims = {
    sub: 'repo:acme/api:ref:refs/heads/main',
    team: 'Ops',
    admin: true,
    run: 42.9,
    groups: ['admins', '', 'devs', 7],
    single: 'only',
    nested: { 'a/b': { c: 'deep' }, list: ['x'] },
    obj: { no: 'way' },
  };

  it('maps values and lists, by name or JSON Pointer, stringified as Nomad does', () => {
    const mapped = mapClaims(
      {
        ClaimMappings: { sub: 'subject', team: 'team', admin: 'admin', run: 'run', '/nested/a~1b/c': 'deep', absent: 'nothing' },
        ListClaimMappings: { groups: 'groups', single: 'single', '/nested/list': 'nested', missing: 'none' },
      },
      claims,
    );
    expect(mapped.value).toEqual({ subject: claims.sub, team: 'Ops', admin: 'true', run: '42', deep: 'deep' });
    // Empty strings are dropped from lists; a single value is a list of one; numbers stringified.
    expect(mapped.list).toEqual({ groups: ['admins', 'devs', '7'], single: ['only'], nested: ['x'] });
  });

  it('refuses an object where a value is needed, naming the claim but not its value', () => {
    expect(() => mapClaims({ ClaimMappings: { obj: 'o' }, ListClaimMappings: {} }, claims)).toThrow(/error converting claim 'obj' to string from unknown type object/);
    expect(() => mapClaims({ ClaimMappings: {}, ListClaimMappings: { obj: 'o' } }, { obj: [{ a: 1 }] })).toThrow(/list claim could not be parsed as string/);
    try {
      mapClaims({ ClaimMappings: { obj: 'o' }, ListClaimMappings: {} }, claims);
    } catch (err) {
      expect((err as Error).message).not.toContain('way');
    }
  });

  it('reads JSON Pointers into arrays and refuses bad indexes', () => {
    expect(claimAt({ a: ['x', 'y'] }, '/a/1')).toBe('y');
    expect(claimAt({ a: ['x'] }, '/a/01')).toBeUndefined();
    expect(claimAt({ a: {} }, '/a/b/c')).toBeUndefined();
    expect(claimAt({ '/a': 1 }, 'x')).toBeUndefined();
  });
});

describe('selectors over mapped claims', () => {
  const claims = { value: { team: 'ops', env: 'prod' }, list: { groups: ['admins', 'devs'] } };
  it.each([
    ['', true],
    ['value.team == "ops"', true],
    ['value.team == "dev"', false],
    ['"admins" in list.groups and value.env == "prod"', true],
    ['"root" in list.groups', false],
    ['value.missing == "x"', false],
    ['value.missing != "x"', true],
    ['list.groups is not empty', true],
    ['value.team matches "^o"', true],
  ])('%s → %s', (selector, expected) => {
    expect(compileSelector(selector)(claims)).toBe(expected);
  });

  it('refuses selectors outside value/list, with the filter language error', () => {
    expect(selectorError('team == "ops"')).toMatch(/unknown field "team"/);
    expect(selectorError('value.team ==')).toBeDefined();
    expect(selectorError('value.team == "x"')).toBeUndefined();
  });
});

describe('interpolation', () => {
  it('replaces ${value.x}, lower-cases bind names, and refuses unknown or malformed templates', () => {
    expect(interpolate('${value.team}-deployer', { 'value.team': 'Ops' }, true)).toBe('ops-deployer');
    expect(interpolate('${ value.team }', { 'value.team': 'Ops' }, false)).toBe('Ops');
    expect(() => interpolate('${value.nope}', {}, true)).toThrow('unknown variable "value.nope"');
    expect(() => interpolate('${value.team', { 'value.team': 'x' }, true)).toThrow('malformed');
    expect(templateVariables('a-${value.x}-${auth_method_name}')).toEqual(['value.x', 'auth_method_name']);
    expect(templateVariables('${}')).toBeUndefined();
    expect(templateVariables('plain')).toEqual([]);
  });

  it('names tokens by TokenNameFormat (Nomad default), with claims, and falls back on a bad format', () => {
    const m = method({ ClaimMappings: { sub: 'user' } });
    expect(loginTokenName(m, { value: {}, list: {} })).toBe('JWT-ci');
    expect(loginTokenName({ ...m, TokenNameFormat: '${auth_method_name}-${value.user}' }, { value: { user: 'Alice' }, list: {} })).toBe('ci-Alice');
    expect(loginTokenName({ ...m, TokenNameFormat: '${value.nope}' }, { value: {}, list: {} })).toBe('JWT-ci');
    expect([...loginTokenName({ ...m, TokenNameFormat: '${value.user}' }, { value: { user: 'x'.repeat(400) }, list: {} })]).toHaveLength(256);
  });
});

describe('binding rules', () => {
  const m = method({ ClaimMappings: { team: 'team' }, ListClaimMappings: { groups: 'groups' } });
  const roles = new Map<string, ACLRole>([['ops-deployer', { ID: 'r-ops', Name: 'ops-deployer', Description: '', Policies: [{ Name: 'p' }], Hash: '', CreateIndex: 1, ModifyIndex: 1 }]]);
  const policies = new Map<string, ACLPolicy>([['readonly', { Name: 'readonly', Description: '', Rules: '', Hash: '', CreateIndex: 1, ModifyIndex: 1 }]]);
  const rule = (id: string, r: Partial<ACLBindingRule>): ACLBindingRule => ({
    ID: id,
    Description: '',
    AuthMethod: 'ci',
    Selector: '',
    BindType: 'policy',
    BindName: 'readonly',
    Hash: '',
    CreateTime: '',
    ModifyTime: '',
    CreateIndex: 1,
    ModifyIndex: 1,
    ...r,
  });
  const state = (rules: ACLBindingRule[]) => ({
    listBindingRules: () => rules,
    roleByName: (n: string) => roles.get(n),
    policy: (n: string) => policies.get(n),
  });
  const claims = { value: { team: 'OPS' }, list: { groups: ['admins'] } };

  it('collects roles (interpolated, lower-cased) and policies of matching rules of this method only', () => {
    const b = bind(
      state([
        rule('1', { BindType: 'role', BindName: '${value.team}-deployer', Selector: '"admins" in list.groups' }),
        rule('2', { Selector: 'value.team == "OPS"' }),
        rule('3', { Selector: 'value.team == "dev"', BindName: 'nope' }),
        rule('4', { AuthMethod: 'other', BindType: 'management' }),
        rule('5', { BindType: 'role', BindName: 'ops-deployer' }),
      ]),
      m,
      claims,
    );
    expect(b).toEqual({ management: false, roles: [{ ID: 'r-ops', Name: 'ops-deployer' }], policies: ['readonly'], matchedRules: ['1', '2', '5'] });
  });

  it('a management rule wins and ends the evaluation', () => {
    const b = bind(state([rule('1', {}), rule('2', { BindType: 'management', BindName: '' }), rule('3', { BindName: 'x' })]), m, claims);
    expect(b).toEqual({ management: true, roles: [], policies: [], matchedRules: ['1', '2'] });
  });

  it('skips a rule naming a role or policy that does not exist (Nomad), so nothing is granted', () => {
    const b = bind(state([rule('1', { BindType: 'role', BindName: 'deleted-role' }), rule('2', { BindName: 'deleted-policy' })]), m, claims);
    expect(b).toEqual({ management: false, roles: [], policies: [], matchedRules: ['1', '2'] });
  });

  it('refuses a bind name that interpolates to an invalid name, without echoing the claim', () => {
    expect(() => bind(state([rule('1', { BindName: '${value.team}' })]), m, { value: { team: 'a b' }, list: {} })).toThrow(/binding rule 1 is not a valid policy name/);
    expect(() => bind(state([rule('1', { BindName: '${value.team}' })]), m, { value: { team: 'a b' }, list: {} })).not.toThrow(/a b/);
  });

  it('gives every mapped target a variable, empty when the claim was absent', () => {
    expect(claimVariables(m, { value: {}, list: {} })).toEqual({ 'value.team': '' });
  });
});

// ---------------------------------------------------------------- JWT verification

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }).toString();
const now = Math.floor(Date.now() / 1000);

async function sign(
  claims: Record<string, unknown>,
  opts: { key?: KeyObject; alg?: string; kid?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ iss: 'https://ci.example', aud: 'tollgate', sub: 'job', iat: now, exp: now + 300, ...claims });
  return jwt.setProtectedHeader({ alg: opts.alg ?? 'RS256', ...(opts.kid === undefined ? {} : { kid: opts.kid }) }).sign(opts.key ?? rsa.privateKey);
}

/** A JWT with a header and payload of our choosing and a raw HMAC or no signature. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, hmacKey?: string): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = hmacKey === undefined ? '' : createHmac('sha256', hmacKey).update(input).digest('base64url');
  return `${input}.${sig}`;
}

describe('JWT verification with static keys', () => {
  const verifier = new JwtVerifier();
  const m = method({
    JWTValidationPubKeys: [pem(ec.publicKey), pem(rsa.publicKey)],
    BoundIssuer: ['https://ci.example'],
    BoundAudiences: ['tollgate', 'other'],
    SigningAlgs: ['RS256', 'ES256'],
  });

  it('accepts a valid token signed by any configured key and returns its claims', async () => {
    await expect(verifier.verify(m, await sign({ team: 'ops' }))).resolves.toMatchObject({ team: 'ops', sub: 'job' });
    await expect(verifier.verify(m, await sign({}, { key: ec.privateKey, alg: 'ES256' }))).resolves.toMatchObject({ sub: 'job' });
  });

  const refusals: Array<[string, () => Promise<string>, RegExp]> = [
    ['expired', () => sign({ exp: now - 600, iat: now - 900 }), /token is expired/],
    ['not yet valid', () => sign({ nbf: now + 600 }), /not valid yet \(nbf\)/],
    ['issued in the future', () => sign({ iat: now + 600 }), /issued in the future/],
    ['from the wrong issuer', () => sign({ iss: 'https://evil.example' }), /invalid issuer \(iss\) claim/],
    ['for the wrong audience', () => sign({ aud: 'someone-else' }), /invalid audience \(aud\) claim/],
    ['without exp', () => sign({ exp: undefined }), /token has no expiration \(exp\) claim/],
    ['with alg none', async () => forge({ alg: 'none', typ: 'JWT' }, { iss: 'https://ci.example', aud: 'tollgate', exp: now + 300 }), /unable to validate provided token: /],
    ['HS256-signed with the public key as secret', async () => forge({ alg: 'HS256', typ: 'JWT' }, { iss: 'https://ci.example', aud: 'tollgate', exp: now + 300 }, pem(rsa.publicKey)), /signing algorithm not allowed/],
    ['signed by another key', () => sign({}, { key: other.privateKey }), /signature verification failed/],
    ['with an algorithm the method does not allow', () => sign({}, { alg: 'PS256' }), /signing algorithm not allowed/],
    ['malformed', async () => 'not.a.jwt', /unable to validate provided token: /],
  ];
  it.each(refusals)('refuses a token %s with 401 and a reason naming no claim value', async (_what, make, reason) => {
    const token = await make();
    const err = await verifier.verify(m, token).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(err?.code).toBe('TOLLGATE_LOGIN_INVALID');
    expect(err?.message).toMatch(reason);
    expect(err?.message).not.toMatch(/evil|someone-else|job/);
  });

  it('honours the leeways: ExpirationLeeway, NotBeforeLeeway and ClockSkewLeeway', async () => {
    const lenient = method({ JWTValidationPubKeys: [pem(rsa.publicKey)], ExpirationLeeway: 120 * S, NotBeforeLeeway: 120 * S });
    await expect(verifier.verify(lenient, await sign({ exp: now - 60 }))).resolves.toBeDefined();
    await expect(verifier.verify(lenient, await sign({ nbf: now + 60 }))).resolves.toBeDefined();
    await expect(verifier.verify(lenient, await sign({ exp: now - 600 }))).rejects.toThrow(/expired/);
    const skew = method({ JWTValidationPubKeys: [pem(rsa.publicKey)], ClockSkewLeeway: 120 * S });
    await expect(verifier.verify(skew, await sign({ iat: now + 60, exp: now - 60 }))).resolves.toBeDefined();
    await expect(verifier.verify(skew, await sign({ iat: now + 600 }))).rejects.toThrow(/issued in the future/);
  });
});

describe('JWT verification with a JWKS URL over HTTPS', () => {
  const ca = createCa();
  const cert = createCert({ ca, kind: 'server', region: 'global' });
  let server: Server;
  let url: string;
  let jwks: { keys: unknown[] } = { keys: [] };
  let fetches = 0;

  beforeAll(async () => {
    jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
    server = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('verifies with keys fetched with the configured CA, caches them, and refetches on an unknown kid', async () => {
    const verifier = new JwtVerifier({ cooldownMs: 0 });
    const m = method({ JWKSURL: url, JWKSCACert: ca.certPem, BoundAudiences: ['tollgate'] });
    const before = fetches;
    await expect(verifier.verify(m, await sign({}, { kid: 'k1' }))).resolves.toMatchObject({ sub: 'job' });
    await expect(verifier.verify(m, await sign({ team: 'x' }, { kid: 'k1' }))).resolves.toMatchObject({ team: 'x' });
    expect(fetches - before).toBe(1);
    // The provider rotates to a new key: a token with the new kid triggers one refetch.
    jwks = { keys: [...jwks.keys, { ...(await exportJWK(other.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' }] };
    await expect(verifier.verify(m, await sign({}, { kid: 'k2', key: other.privateKey }))).resolves.toMatchObject({ sub: 'job' });
    expect(fetches - before).toBe(2);
    // A kid nobody has is refused.
    await expect(verifier.verify(m, await sign({}, { kid: 'k9' }))).rejects.toMatchObject({ code: 'TOLLGATE_LOGIN_INVALID', message: expect.stringMatching(/no key of the auth method matches/) });
  });

  it('refuses the key server when its certificate is not signed by the configured CA', async () => {
    const verifier = new JwtVerifier();
    const m = method({ JWKSURL: url, JWKSCACert: createCa().certPem });
    await expect(verifier.verify(m, await sign({}, { kid: 'k1' }))).rejects.toMatchObject({ code: 'TOLLGATE_AUTH_PROVIDER' });
    // Without JWKSCACert the system CAs do not know the test CA either.
    await expect(verifier.verify(method({ JWKSURL: url }, { Name: 'sys' }), await sign({}, { kid: 'k1' }))).rejects.toMatchObject({ code: 'TOLLGATE_AUTH_PROVIDER' });
  });
});
