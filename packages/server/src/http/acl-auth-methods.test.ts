import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

/** ACL auth methods and binding rules (Nomad ≥ 1.5): API shapes, validation, redaction. */

let t: TestAgent;
let root: string;
let n = 0;
const fresh = (base: string): string => `${base}-${++n}`;
const PUBLIC_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const post = (path: string, body: unknown, token = root) => t.call('POST', path, { token, body });
const get = (path: string, token = root) => t.call('GET', path, { token });
const del = (path: string, token = root) => t.call('DELETE', path, { token });

const jwtMethod = (name: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Type: 'JWT',
  TokenLocality: 'local',
  MaxTokenTTL: '1h',
  Config: { JWTValidationPubKeys: [PUBLIC_PEM], BoundAudiences: ['tollgate'], ClaimMappings: { team: 'team' } },
  ...extra,
});
const oidcMethod = (name: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Type: 'OIDC',
  TokenLocality: 'global',
  MaxTokenTTL: '30m',
  Config: {
    OIDCDiscoveryURL: 'https://idp.example.com/',
    OIDCClientID: 'tollgate',
    OIDCClientSecret: 'very-secret-value',
    AllowedRedirectURIs: ['http://localhost:4649/oidc/callback'],
    ExpirationLeeway: '5s',
  },
  ...extra,
});

beforeAll(async () => {
  t = await startTestAgent();
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
});
afterAll(async () => {
  await t.close();
});

describe('auth method CRUD', () => {
  it('creates, reads, lists, updates and deletes a JWT method with Nomad shapes', async () => {
    const name = fresh('ci');
    const created = await post('/v1/acl/auth-method', jwtMethod(name));
    expect(created.status, created.text).toBe(200);
    const m = created.body;
    expect(m).toMatchObject({
      Name: name,
      Type: 'JWT',
      TokenLocality: 'local',
      MaxTokenTTL: '1h0m0s',
      TokenNameFormat: '${auth_method_type}-${auth_method_name}',
      Default: false,
      Config: { BoundAudiences: ['tollgate'], ClaimMappings: { team: 'team' }, ExpirationLeeway: '', OIDCClientSecret: '' },
    });
    expect(m.CreateIndex).toBe(m.ModifyIndex);
    expect(created.headers.get('x-nomad-index')).toBe(String(m.ModifyIndex));
    expect((await get(`/v1/acl/auth-method/${name}`)).body).toEqual(m);
    const list = await get('/v1/acl/auth-methods', '');
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual({ Name: name, DisplayName: '', Type: 'JWT', Default: false, Hash: m.Hash, CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex });

    // An update merges Type, locality, TTL and Config from the stored method (Nomad's Merge).
    const updated = await post(`/v1/acl/auth-method/${name}`, { Name: name, MaxTokenTTL: '2h', DisplayName: 'CI jobs' });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ Type: 'JWT', TokenLocality: 'local', MaxTokenTTL: '2h0m0s', DisplayName: 'CI jobs', CreateIndex: m.CreateIndex });
    expect(updated.body.Config.JWTValidationPubKeys).toEqual([PUBLIC_PEM]);
    expect(updated.body.ModifyIndex).toBeGreaterThan(m.ModifyIndex);
    expect(updated.body.Hash).not.toBe(m.Hash);

    expect((await del(`/v1/acl/auth-method/${name}`)).status).toBe(200);
    expect(await get(`/v1/acl/auth-method/${name}`)).toMatchObject({ status: 404, text: 'ACL auth method not found' });
    expect(await del(`/v1/acl/auth-method/${name}`)).toMatchObject({ status: 400, text: 'ACL auth method not found' });
  });

  it('never returns the OIDC client secret in clear, and keeps it when "redacted" is sent back', async () => {
    const name = fresh('sso');
    const created = await post('/v1/acl/auth-method', oidcMethod(name));
    expect(created.status, created.text).toBe(200);
    expect(created.text).not.toContain('very-secret-value');
    expect(created.body.Config).toMatchObject({ OIDCClientSecret: 'redacted', ExpirationLeeway: '5s' });
    const read = await get(`/v1/acl/auth-method/${name}`);
    expect(read.text).not.toContain('very-secret-value');
    expect((await get('/v1/acl/auth-methods', '')).text).not.toContain('very-secret-value');
    // Read, edit, write back: the stored secret stays (the hash leaves the secret out).
    const back = await post(`/v1/acl/auth-method/${name}`, { ...read.body, DisplayName: 'SSO' });
    expect(back.status, back.text).toBe(200);
    expect(t.agent.store.authMethod(name)?.Config.OIDCClientSecret).toBe('very-secret-value');
    // A new secret replaces it.
    await post(`/v1/acl/auth-method/${name}`, oidcMethod(name, { Config: { ...oidcMethod(name).Config, OIDCClientSecret: 'rotated' } }));
    expect(t.agent.store.authMethod(name)?.Config.OIDCClientSecret).toBe('rotated');
  });

  it('refuses invalid methods with Nomad messages and changes nothing', async () => {
    const before = (await get('/v1/acl/auth-methods')).body.length;
    const bad = await post('/v1/acl/auth-method', { Name: 'no spaces', Type: 'LDAP', TokenLocality: 'everywhere', MaxTokenTTL: '1000h', Config: {} });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('auth method 0 invalid: ');
    expect(bad.text).toContain("invalid name 'no spaces'");
    expect(bad.text).toContain("invalid token type 'LDAP'");
    expect(bad.text).toContain("invalid token locality 'everywhere'");
    expect(bad.text).toContain("invalid MaxTokenTTL value '1000h0m0s' (should be between");
    const jwt = await post('/v1/acl/auth-method', jwtMethod(fresh('x'), { Config: { JWKSURL: 'http://insecure.example/jwks', SigningAlgs: ['none', 'HS256'] } }));
    expect(jwt.status).toBe(400);
    expect(jwt.text).toContain('JWKSURL must be an https:// URL');
    expect(jwt.text).toContain("unsupported signing algorithm 'none'");
    expect(jwt.text).toContain("unsupported signing algorithm 'HS256'");
    const none = await post('/v1/acl/auth-method', jwtMethod(fresh('x'), { Config: {} }));
    expect(none.text).toContain('one of JWTValidationPubKeys, JWKSURL or OIDCDiscoveryURL is required');
    const pem = await post('/v1/acl/auth-method', jwtMethod(fresh('x'), { Config: { JWTValidationPubKeys: ['not a key'] } }));
    expect(pem.text).toContain('unable to parse public key for JWT auth: JWTValidationPubKeys[0]');
    const oidc = await post('/v1/acl/auth-method', { ...oidcMethod(fresh('x')), Config: { OIDCDiscoveryURL: 'https://idp.example.com' } });
    expect(oidc.text).toContain('OIDCClientID is required');
    expect(oidc.text).toContain('OIDCClientSecret is required');
    const types = await post('/v1/acl/auth-method', jwtMethod(fresh('x'), { MaxTokenTTL: 5 as unknown as string, Default: 'yes' }));
    expect(types).toMatchObject({ status: 400, text: 'Request decode failed: Default must be true or false' });
    expect((await post('/v1/acl/auth-method/nope', jwtMethod('nope'))).text).toBe('cannot find auth method nope');
    expect((await post(`/v1/acl/auth-method/a`, jwtMethod('b'))).text).toBe('ACL auth method name does not match request path');
    expect((await get('/v1/acl/auth-methods')).body.length).toBe(before);
  });

  it('allows one default method per type', async () => {
    const a = fresh('default-jwt');
    const b = fresh('default-jwt');
    expect((await post('/v1/acl/auth-method', jwtMethod(a, { Default: true }))).status).toBe(200);
    const second = await post('/v1/acl/auth-method', jwtMethod(b, { Default: true }));
    expect(second).toMatchObject({ status: 400, text: `default method already exists: ${a}` });
    // Another type may have its own default.
    expect((await post('/v1/acl/auth-method', oidcMethod(fresh('default-oidc'), { Default: true }))).status).toBe(200);
    // Updating the default itself is fine.
    expect((await post(`/v1/acl/auth-method/${a}`, jwtMethod(a, { Default: true, DisplayName: 'x' }))).status).toBe(200);
    await del(`/v1/acl/auth-method/${a}`);
    expect((await post('/v1/acl/auth-method', jwtMethod(b, { Default: true }))).status).toBe(200);
  });

  it('refuses writes and reads without a management token, lists without one, and filters the list', async () => {
    expect((await post('/v1/acl/auth-method', jwtMethod(fresh('x')), '')).status).toBe(403);
    const name = fresh('filtered');
    await post('/v1/acl/auth-method', jwtMethod(name));
    expect((await get(`/v1/acl/auth-method/${name}`, '')).status).toBe(403);
    const hit = await get(`/v1/acl/auth-methods?filter=${encodeURIComponent(`Name == "${name}"`)}`, '');
    expect(hit.body.map((m: { Name: string }) => m.Name)).toEqual([name]);
    const badFilter = await get(`/v1/acl/auth-methods?filter=${encodeURIComponent('Nope == "x"')}`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.text).toContain('failed to read filter expression');
  });
});

describe('binding rule CRUD', () => {
  it('creates, reads, lists, updates and deletes a rule with Nomad shapes', async () => {
    const method = fresh('rules');
    await post('/v1/acl/auth-method', jwtMethod(method));
    const created = await post('/v1/acl/binding-rule', {
      Description: 'ops team',
      AuthMethod: method,
      Selector: 'value.team == "ops" and "admins" in list.groups',
      BindType: 'role',
      BindName: '${value.team}-deployer',
    });
    expect(created.status, created.text).toBe(200);
    const r = created.body;
    expect(Object.keys(r)).toEqual(['ID', 'Description', 'AuthMethod', 'Selector', 'BindType', 'BindName', 'Hash', 'CreateTime', 'ModifyTime', 'CreateIndex', 'ModifyIndex']);
    expect(r.ID).toMatch(/^[0-9a-f-]{36}$/);
    expect((await get(`/v1/acl/binding-rule/${r.ID}`)).body).toEqual(r);
    const list = await get(`/v1/acl/binding-rules?filter=${encodeURIComponent(`AuthMethod == "${method}"`)}`);
    expect(list.body).toEqual([{ ID: r.ID, Description: 'ops team', AuthMethod: method, Hash: r.Hash, CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex }]);
    // An update keeps the bind type and name when the body leaves them empty (Nomad's Merge).
    const updated = await post(`/v1/acl/binding-rule/${r.ID}`, { Description: 'ops', Selector: '' });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ ID: r.ID, Description: 'ops', Selector: '', BindType: 'role', BindName: '${value.team}-deployer', CreateIndex: r.CreateIndex, CreateTime: r.CreateTime });
    const moved = await post(`/v1/acl/binding-rule/${r.ID}`, { AuthMethod: 'other' });
    expect(moved).toMatchObject({ status: 400, text: 'cannot update auth method for binding rule, create a new rule instead' });
    expect((await del(`/v1/acl/binding-rule/${r.ID}`)).status).toBe(200);
    expect(await get(`/v1/acl/binding-rule/${r.ID}`)).toMatchObject({ status: 404, text: 'ACL binding rule not found' });
    expect(await del(`/v1/acl/binding-rule/${r.ID}`)).toMatchObject({ status: 400, text: 'ACL binding rule not found' });
  });

  it('refuses invalid rules with Nomad messages', async () => {
    const method = fresh('rules');
    await post('/v1/acl/auth-method', jwtMethod(method));
    const empty = await post('/v1/acl/binding-rule', {});
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('binding rule 0 invalid: 2 errors occurred:');
    expect(empty.text).toContain('auth method is missing');
    expect(empty.text).toContain('bind type is missing');
    const noName = await post('/v1/acl/binding-rule', { AuthMethod: method, BindType: 'policy' });
    expect(noName.text).toContain('bind name is missing');
    const mgmt = await post('/v1/acl/binding-rule', { AuthMethod: method, BindType: 'management', BindName: 'x' });
    expect(mgmt.text).toContain('bind name should be empty');
    const kind = await post('/v1/acl/binding-rule', { AuthMethod: method, BindType: 'group', BindName: 'x' });
    expect(kind.text).toContain('unsupported bind type: "group"');
    const selector = await post('/v1/acl/binding-rule', { AuthMethod: method, BindType: 'policy', BindName: 'x', Selector: 'team == "ops"' });
    expect(selector.text).toContain('selector is invalid: ');
    const template = await post('/v1/acl/binding-rule', { AuthMethod: method, BindType: 'policy', BindName: '${env.HOME}' });
    expect(template.text).toContain('bind name is invalid');
    const gone = await post('/v1/acl/binding-rule', { AuthMethod: 'no-such-method', BindType: 'management' });
    expect(gone).toMatchObject({ status: 400, text: 'ACL auth method no-such-method not found' });
    const unknown = await post('/v1/acl/binding-rule/3f1c5a4e-0000-4000-8000-000000000000', { AuthMethod: method, BindType: 'management' });
    expect(unknown).toMatchObject({ status: 400, text: 'cannot find binding rule 3f1c5a4e-0000-4000-8000-000000000000' });
  });

  it('needs a management token to read or list rules', async () => {
    expect((await get('/v1/acl/binding-rules', '')).status).toBe(403);
    expect((await post('/v1/acl/binding-rule', { AuthMethod: 'x', BindType: 'management' }, '')).status).toBe(403);
  });
});
