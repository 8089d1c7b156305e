import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

/** `POST /v1/acl/login` with JWT auth methods: tokens from binding rules, refusals, audit. */

let t: TestAgent;
let root: string;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const now = () => Math.floor(Date.now() / 1000);

const post = (path: string, body: unknown, token = root) => t.call('POST', path, { token, body });
const sign = (claims: Record<string, unknown>) =>
  new SignJWT({ iss: 'https://gitlab.example', aud: 'tollgate', iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: 'RS256' })
    .sign(keys.privateKey);
const login = (method: string, token: string) => t.call('POST', '/v1/acl/login', { body: { AuthMethodName: method, LoginToken: token } });
const check = (secret: string, ns: string) =>
  post('/v1/acl/authorize', { Checks: [{ Resource: 'namespace', Name: ns, Capability: 'submit-job' }] }, secret);

beforeAll(async () => {
  t = await startTestAgent({ audit: { enabled: true } });
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
  expect((await post('/v1/acl/policy/deploy-api', { Name: 'deploy-api', Rules: 'namespace "api" { policy = "write" }' })).status).toBe(200);
  expect((await post('/v1/acl/policy/readonly', { Name: 'readonly', Rules: 'namespace "*" { policy = "read" }' })).status).toBe(200);
  expect((await post('/v1/acl/role', { Name: 'ops-deployer', Policies: [{ Name: 'deploy-api' }] })).status).toBe(200);
  const method = await post('/v1/acl/auth-method', {
    Name: 'gitlab',
    Type: 'JWT',
    TokenLocality: 'local',
    MaxTokenTTL: '10m',
    TokenNameFormat: '${auth_method_name}-${value.project}',
    Config: {
      JWTValidationPubKeys: [PEM],
      BoundIssuer: ['https://gitlab.example'],
      BoundAudiences: ['tollgate'],
      ClaimMappings: { project_path: 'project', namespace_path: 'team', ref_protected: 'protected' },
      ListClaimMappings: { groups: 'groups' },
    },
  });
  expect(method.status, method.text).toBe(200);
  const rules = [
    { AuthMethod: 'gitlab', Selector: 'value.protected == "true"', BindType: 'role', BindName: '${value.team}-deployer' },
    { AuthMethod: 'gitlab', Selector: '"auditors" in list.groups', BindType: 'policy', BindName: 'readonly' },
    { AuthMethod: 'gitlab', Selector: 'value.team == "ghost"', BindType: 'role', BindName: 'ghost-role' },
  ];
  for (const r of rules) expect((await post('/v1/acl/binding-rule', r)).status).toBe(200);
});
afterAll(async () => {
  await t.close();
});

describe('JWT login', () => {
  it('makes a token with the matched role, Nomad shapes, TTL = MaxTokenTTL, named by TokenNameFormat, usable at once', async () => {
    const res = await login('gitlab', await sign({ project_path: 'acme/api', namespace_path: 'Ops', ref_protected: true, groups: ['devs'] }));
    expect(res.status, res.text).toBe(200);
    const tok = res.body;
    expect(tok).toMatchObject({ Name: 'gitlab-acme/api', Type: 'client', Policies: [], Global: false, ExpirationTTL: '10m0s' });
    expect(tok.Roles).toEqual([{ ID: expect.any(String), Name: 'ops-deployer' }]);
    expect(new Date(tok.ExpirationTime).getTime() - new Date(tok.CreateTime).getTime()).toBe(600_000);
    expect(res.headers.get('x-nomad-index')).toBe(String(tok.CreateIndex));
    expect((await check(tok.SecretID, 'api')).body.Results[0].Allowed).toBe(true);
    expect((await check(tok.SecretID, 'web')).body.Results[0].Allowed).toBe(false);
  });

  it('adds policies of every matching rule', async () => {
    const res = await login('gitlab', await sign({ project_path: 'acme/x', namespace_path: 'ops', ref_protected: true, groups: ['auditors'] }));
    expect(res.status, res.text).toBe(200);
    expect(res.body.Policies).toEqual(['readonly']);
    expect(res.body.Roles.map((r: { Name: string }) => r.Name)).toEqual(['ops-deployer']);
  });

  it('refuses with 403 when no rule matches, naming no claim value', async () => {
    const res = await login('gitlab', await sign({ project_path: 'secret-project-name', namespace_path: 'dev', ref_protected: false }));
    expect(res).toMatchObject({ status: 403, text: 'no role or policy bindings matched' });
    expect(res.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_LOGIN_NO_BINDING');
  });

  it('refuses when the only matching rule names a role that was deleted (Nomad skips it), and grants again once it exists', async () => {
    const claims = { project_path: 'p', namespace_path: 'ghost', ref_protected: false };
    expect((await login('gitlab', await sign(claims))).status).toBe(403);
    const made = await post('/v1/acl/role', { Name: 'ghost-role', Policies: [{ Name: 'readonly' }] });
    const ok = await login('gitlab', await sign(claims));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.Roles).toEqual([{ ID: made.body.ID, Name: 'ghost-role' }]);
    expect((await check(ok.body.SecretID, 'web')).status).toBe(200);
    // Deleted again: the token minted meanwhile keeps its link, which now grants nothing (Nomad's fixTokenRoleLinks).
    expect((await t.call('DELETE', `/v1/acl/role/${made.body.ID}`, { token: root })).status).toBe(200);
    const self = await t.call('GET', '/v1/acl/token/self', { token: ok.body.SecretID });
    expect(self.body.Roles).toBeNull();
    expect((await login('gitlab', await sign(claims))).status).toBe(403);
  });

  it('refuses bad requests and tokens with Nomad texts', async () => {
    const empty = await t.call('POST', '/v1/acl/login', { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('invalid login request: 2 errors occurred:');
    expect(empty.text).toContain('missing auth method name');
    expect(empty.text).toContain('missing login token');
    expect(await login('nope', 'x.y.z')).toMatchObject({ status: 400, text: 'auth-method "nope" not found' });
    const expired = await login('gitlab', await sign({ exp: now() - 3600, iat: now() - 7200 }));
    expect(expired).toMatchObject({ status: 401, text: 'unable to validate provided token: token is expired' });
    expect(expired.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_LOGIN_INVALID');
    const wrongIss = await login('gitlab', await sign({ iss: 'https://evil.example' }));
    expect(wrongIss).toMatchObject({ status: 401, text: 'unable to validate provided token: invalid issuer (iss) claim' });
  });

  it('audit-logs a login with the method and the mapped claims, never the raw JWT', async () => {
    const jwt = await sign({ project_path: 'acme/audited', namespace_path: 'ops', ref_protected: true, unmapped_secret: 'do-not-log' });
    const res = await login('gitlab', jwt);
    expect(res.status).toBe(200);
    const file = join(t.dataDir, 'audit', 'audit.log');
    let line: Record<string, any> | undefined;
    for (let i = 0; i < 50 && line === undefined; i++) {
      const text = await readFile(file, 'utf8').catch(() => '');
      expect(text).not.toContain(jwt);
      expect(text).not.toContain('do-not-log');
      expect(text).not.toContain(res.body.SecretID);
      line = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, any>)
        .find((l) => l.op === 'acl.login' && l.target?.accessor_id === res.body.AccessorID);
      if (line === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(line?.target).toMatchObject({
      auth_method: 'gitlab',
      auth_method_type: 'JWT',
      claims: { value: { project: 'acme/audited', team: 'ops', protected: 'true' }, list: {} },
      binding_rules: [expect.any(String)],
    });
  });
});
