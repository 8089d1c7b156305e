import { generateKeyPairSync } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, runCli, startCluster } from './testkit.js';
import type { Cluster } from './testkit.js';

/**
 * Auth methods, binding rules and JWT login across real agent processes:
 * `global` (authoritative) and `eu-west`. Methods and rules are global
 * objects (forwarded, replicated); a login through a `global` method in the
 * follower is written in `global` and usable in the follower as soon as it
 * answers; a `local` method's token stays in the follower.
 */

let c: Cluster;
const addr = (region: string): string => c.agent(region).addr;
const call = (region: string, method: string, path: string, body?: unknown, token = c.management) => api(addr(region), method, path, { token, body });
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const CLIENT_SECRET = 'oidc-secret-that-must-never-appear-in-clear';
const now = () => Math.floor(Date.now() / 1000);

/** A GitHub-Actions-style OIDC token for a workflow run. */
const ciToken = (claims: Record<string, unknown>) =>
  new SignJWT({
    iss: 'https://token.actions.githubusercontent.example',
    aud: 'tollgate',
    sub: 'repo:acme/api:ref:refs/heads/main',
    repository: 'acme/api',
    repository_owner: 'acme',
    ref: 'refs/heads/main',
    iat: now(),
    exp: now() + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256' })
    .sign(keys.privateKey);

const jwtMethod = (name: string, locality: 'local' | 'global') => ({
  Name: name,
  Type: 'JWT',
  TokenLocality: locality,
  MaxTokenTTL: '15m',
  Config: {
    JWTValidationPubKeys: [PEM],
    BoundIssuer: ['https://token.actions.githubusercontent.example'],
    BoundAudiences: ['tollgate'],
    ClaimMappings: { repository: 'repo', repository_owner: 'owner', ref: 'ref' },
  },
});

const allowed = async (region: string, secret: string, ns = 'api'): Promise<boolean> => {
  const r = await call(region, 'POST', '/v1/acl/authorize', { Checks: [{ Resource: 'namespace', Name: ns, Capability: 'submit-job' }] }, secret);
  return r.status === 200 && r.body.Results[0].Allowed === true;
};

beforeAll(async () => {
  c = await startCluster({ regions: ['global', 'eu-west'], serverHcl: '  replication_wait = "5s"' });
  expect((await call('global', 'POST', '/v1/acl/policy/deploy-api', { Name: 'deploy-api', Rules: 'namespace "api" { policy = "write" }' })).status).toBe(200);
  expect((await call('global', 'POST', '/v1/acl/role', { Name: 'acme-deployer', Policies: [{ Name: 'deploy-api' }] })).status).toBe(200);
  await c.waitReplicated();
});

afterAll(async () => {
  await c?.close();
});

describe('auth methods and binding rules across regions', () => {
  it('forwards writes from a follower, replicates methods and rules, and never holds the client secret in clear', async () => {
    const m = await call('eu-west', 'POST', '/v1/acl/auth-method', jwtMethod('gha', 'global'));
    expect(m.status, m.text).toBe(200);
    // Read-your-writes: the follower has it when the forwarded write answers.
    expect((await call('eu-west', 'GET', '/v1/acl/auth-method/gha')).body).toMatchObject({ Name: 'gha', TokenLocality: 'global', MaxTokenTTL: '15m0s' });
    const rule = await call('eu-west', 'POST', '/v1/acl/binding-rule', {
      AuthMethod: 'gha',
      Selector: 'value.ref == "refs/heads/main"',
      BindType: 'role',
      BindName: '${value.owner}-deployer',
    });
    expect(rule.status, rule.text).toBe(200);
    // Each region numbers its own writes: everything but the indexes is the same.
    const { CreateIndex: _c, ModifyIndex: _m, ...fields } = rule.body;
    expect((await call('eu-west', 'GET', `/v1/acl/binding-rule/${rule.body.ID}`)).body).toMatchObject(fields);
    expect((await call('global', 'GET', '/v1/acl/binding-rules')).body.map((r: { ID: string }) => r.ID)).toContain(rule.body.ID);

    const oidc = await call('global', 'POST', '/v1/acl/auth-method', {
      Name: 'sso',
      Type: 'OIDC',
      TokenLocality: 'global',
      MaxTokenTTL: '1h',
      Config: { OIDCDiscoveryURL: 'https://idp.example', OIDCClientID: 'tollgate', OIDCClientSecret: CLIENT_SECRET, AllowedRedirectURIs: ['http://localhost:4649/oidc/callback'] },
    });
    expect(oidc.status, oidc.text).toBe(200);
    await c.waitReplicated(Number(oidc.headers.get('x-nomad-index')));
    const there = await call('eu-west', 'GET', '/v1/acl/auth-method/sso');
    expect(there.body.Config.OIDCClientSecret).toBe('redacted');
    for (const region of ['global', 'eu-west']) {
      const dir = c.agent(region).dataDir;
      const files = await readdir(dir, { recursive: true, withFileTypes: true });
      for (const f of files.filter((e) => e.isFile())) {
        const text = (await readFile(join(f.parentPath, f.name))).toString('latin1');
        expect(text.includes(CLIENT_SECRET), `${region}: ${f.name}`).toBe(false);
      }
    }
    // Deleting from the follower reaches both regions.
    const gone = await call('eu-west', 'DELETE', '/v1/acl/auth-method/sso');
    expect(gone.status).toBe(200);
    expect((await call('eu-west', 'GET', '/v1/acl/auth-method/sso')).status).toBe(404);
  });

  it('a login in the follower through a global method makes a global token usable there at once', async () => {
    const res = await call('eu-west', 'POST', '/v1/acl/login', { AuthMethodName: 'gha', LoginToken: await ciToken({}) }, '');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ Type: 'client', Global: true, Name: 'JWT-gha', ExpirationTTL: '15m0s', Roles: [{ Name: 'acme-deployer' }] });
    // No min-index, no retry: the first check in the follower sees the token.
    expect(await allowed('eu-west', res.body.SecretID)).toBe(true);
    expect(await allowed('eu-west', res.body.SecretID, 'web')).toBe(false);
    // It was written in the authoritative region.
    expect((await call('global', 'GET', `/v1/acl/token/${res.body.AccessorID}`)).body.Global).toBe(true);
    expect(await allowed('global', res.body.SecretID)).toBe(true);
  });

  it('a local method makes a local token in the region that logged in', async () => {
    expect((await call('global', 'POST', '/v1/acl/auth-method', jwtMethod('gha-local', 'local'))).status).toBe(200);
    const r = await call('global', 'POST', '/v1/acl/binding-rule', { AuthMethod: 'gha-local', BindType: 'policy', BindName: 'deploy-api' });
    await c.waitReplicated(Number(r.headers.get('x-nomad-index')));
    const res = await call('eu-west', 'POST', '/v1/acl/login', { AuthMethodName: 'gha-local', LoginToken: await ciToken({}) }, '');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ Global: false, Policies: ['deploy-api'] });
    expect(await allowed('eu-west', res.body.SecretID)).toBe(true);
    expect((await call('global', 'GET', `/v1/acl/token/${res.body.AccessorID}`)).status).toBe(404);
  });

  it('refuses logins with the authoritative region\'s answer through the follower', async () => {
    const wrongRef = await call('eu-west', 'POST', '/v1/acl/login', { AuthMethodName: 'gha', LoginToken: await ciToken({ ref: 'refs/heads/feature' }) }, '');
    expect(wrongRef).toMatchObject({ status: 403, text: 'no role or policy bindings matched' });
    expect(wrongRef.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_LOGIN_NO_BINDING');
    const expired = await call('eu-west', 'POST', '/v1/acl/login', { AuthMethodName: 'gha', LoginToken: await ciToken({ exp: now() - 3600 }) }, '');
    expect(expired).toMatchObject({ status: 401, text: 'unable to validate provided token: token is expired' });
  });

  it('deleting the role a binding rule names: new logins are refused, and tokens already made lose the role everywhere', async () => {
    const before = await call('eu-west', 'POST', '/v1/acl/login', { AuthMethodName: 'gha', LoginToken: await ciToken({}) }, '');
    expect(before.status).toBe(200);
    const role = (await call('global', 'GET', '/v1/acl/role/name/acme-deployer')).body;
    const del = await call('eu-west', 'DELETE', `/v1/acl/role/${role.ID}`);
    expect(del.status).toBe(200);
    expect(await allowed('eu-west', before.body.SecretID)).toBe(false);
    const after = await call('eu-west', 'POST', '/v1/acl/login', { AuthMethodName: 'gha', LoginToken: await ciToken({}) }, '');
    expect(after).toMatchObject({ status: 403, text: 'no role or policy bindings matched' });
    // The rule itself stays, as in Nomad; a new role of that name makes it grant again.
    expect((await call('global', 'POST', '/v1/acl/role', { Name: 'acme-deployer', Policies: [{ Name: 'deploy-api' }] })).status).toBe(200);
    const again = await call('eu-west', 'POST', '/v1/acl/login', { AuthMethodName: 'gha', LoginToken: await ciToken({}) }, '');
    expect(again.status, again.text).toBe(200);
    expect(await allowed('eu-west', again.body.SecretID)).toBe(true);
  });

  it('tollgate login prints the token like nomad login, and the CLI manages methods and rules', async () => {
    const env = { TOLLGATE_ADDR: addr('eu-west'), TOLLGATE_TOKEN: c.management };
    const login = await runCli(['login', '-method=gha', '-type=JWT', `-login-token=${await ciToken({})}`], { env: { TOLLGATE_ADDR: addr('eu-west') } });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^Successfully logged in via JWT and gha\n\nAccessor ID +=/);
    expect(login.stdout).toMatch(/Secret ID +=/);
    const list = await runCli(['acl', 'auth-method', 'list'], { env });
    expect(list.stdout).toMatch(/^Name +Type +Default\n/);
    expect(list.stdout).toMatch(/gha +JWT +false/);
    const info = await runCli(['acl', 'auth-method', 'info', 'gha'], { env });
    expect(info.stdout).toMatch(/Locality +=\s+global/);
    expect(info.stdout).toContain('Auth Method Config');
    const rules = await runCli(['acl', 'binding-rule', 'list', '-filter', 'AuthMethod == "gha"'], { env });
    expect(rules.code, rules.stderr).toBe(0);
    expect(rules.stdout).toMatch(/^ID +Description +Auth Method\n/);
    const bad = await runCli(['login', '-method=gha', '-login-token=not-a-jwt'], { env: { TOLLGATE_ADDR: addr('eu-west') } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error performing login: Unexpected response code: 401 \(unable to validate provided token: /);
  });
});
