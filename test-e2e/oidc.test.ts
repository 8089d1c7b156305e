/**
 * OIDC and JWT logins against a real OpenID provider: the certified
 * `oidc-provider` package, started here over HTTPS on loopback with a CA
 * and signing key of its own (so `DiscoveryCaPem` and `JWKSCACert` are
 * what makes it trusted), a confidential client registered with
 * Tollgate's redirect URIs, and accounts with `groups` claims. The
 * provider's login is played over HTTP (its interaction redirects, a login
 * form post). Two regions: logins happen in the follower, whose global
 * tokens must be usable there at once.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOidcProvider } from '@tollgate/testkit/oidc';
import type { TestOidcProvider } from '@tollgate/testkit/oidc';
import { etcdSkipReason, regionKey, startEtcd, startHaAgent, type EtcdProcess } from './ha-kit.js';
import { BIN, REPO, api, eventually, freePort, startCluster, type Cluster, type RunningAgent } from './testkit.js';

const API_REDIRECT = 'http://localhost:4649/oidc/callback';
const NONCE = 'e2e-nonce-0123456789abcdef';

let idp: TestOidcProvider;
let cluster: Cluster;
let cliPort: number;
let leader: string;
let follower: string;

beforeAll(async () => {
  cliPort = await freePort();
  idp = await startTestOidcProvider({
    redirectUris: [API_REDIRECT, `http://127.0.0.1:${cliPort}/oidc/callback`],
    accounts: {
      alice: { email: 'alice@example.com', groups: ['engineering'] },
      bob: { email: 'bob@example.com', groups: ['ops'] },
      carol: { email: 'carol@example.com', groups: ['sales'] },
    },
  });
  cluster = await startCluster({ regions: ['global', 'eu-west'], agentHcl: () => 'audit {\n  enabled = true\n}\n' });
  leader = cluster.agent('global').addr;
  follower = cluster.agent('eu-west').addr;
  const m = cluster.management;
  const ok = async (p: Promise<{ status: number; text: string; body: any }>) => {
    const r = await p;
    if (r.status !== 200) throw new Error(`setup: ${r.status} ${r.text}`);
    return r.body;
  };
  await ok(api(leader, 'POST', '/v1/acl/policy/eng-read', { token: m, body: { Name: 'eng-read', Rules: 'namespace "default" { policy = "read" }' } }));
  await ok(api(leader, 'POST', '/v1/acl/policy/ops-write', { token: m, body: { Name: 'ops-write', Rules: 'namespace "default" { policy = "write" }' } }));
  await ok(api(leader, 'POST', '/v1/acl/role', { token: m, body: { Name: 'engineering', Policies: [{ Name: 'eng-read' }] } }));
  await ok(
    api(leader, 'POST', '/v1/acl/auth-method', {
      token: m,
      body: {
        Name: 'corp',
        Type: 'OIDC',
        TokenLocality: 'global',
        MaxTokenTTL: '1h',
        Default: true,
        Config: {
          OIDCDiscoveryURL: idp.issuer,
          OIDCClientID: idp.clientId,
          OIDCClientSecret: idp.clientSecret,
          OIDCScopes: ['email', 'groups'],
          AllowedRedirectURIs: [API_REDIRECT, `http://127.0.0.1:${cliPort}/oidc/callback`],
          DiscoveryCaPem: [idp.caPem],
          ClaimMappings: { email: 'email' },
          ListClaimMappings: { groups: 'groups' },
        },
      },
    }),
  );
  await ok(
    api(leader, 'POST', '/v1/acl/binding-rule', {
      token: m,
      body: { AuthMethod: 'corp', Selector: '"engineering" in list.groups', BindType: 'role', BindName: 'engineering' },
    }),
  );
  await ok(
    api(leader, 'POST', '/v1/acl/binding-rule', {
      token: m,
      body: { AuthMethod: 'corp', Selector: '"ops" in list.groups', BindType: 'policy', BindName: 'ops-write' },
    }),
  );
  await cluster.waitReplicated();
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await idp?.close();
});

/** auth-url in `addr`, then `user` logs in at the provider: the complete-auth body. */
async function loginAt(addr: string, user: string) {
  const r = await api(addr, 'POST', '/v1/acl/oidc/auth-url', { body: { AuthMethodName: 'corp', RedirectURI: API_REDIRECT, ClientNonce: NONCE } });
  expect(r.status, r.text).toBe(200);
  const cb = await idp.login(r.body.AuthURL as string, user);
  return {
    AuthMethodName: 'corp',
    RedirectURI: API_REDIRECT,
    ClientNonce: NONCE,
    State: cb.searchParams.get('state')!,
    Code: cb.searchParams.get('code')!,
    Iss: cb.searchParams.get('iss') ?? undefined,
  };
}

async function tokenCount(): Promise<number> {
  const r = await api(leader, 'GET', '/v1/acl/tokens', { token: cluster.management });
  return (r.body as unknown[]).length;
}

describe('OIDC login with a real provider', () => {
  it('auth-url answers the provider URL with state, nonce and PKCE', async () => {
    const r = await api(follower, 'POST', '/v1/acl/oidc/auth-url', { body: { AuthMethodName: 'corp', RedirectURI: API_REDIRECT, ClientNonce: NONCE } });
    expect(r.status, r.text).toBe(200);
    const u = new URL(r.body.AuthURL as string);
    expect(u.origin).toBe(idp.issuer);
    expect(u.searchParams.get('nonce')).toBe(NONCE);
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('state')).toBeTruthy();
  });

  it('a follower login by group claim gets the role, and the global token works there at once', async () => {
    const body = await loginAt(follower, 'alice');
    const r = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body });
    expect(r.status, r.text).toBe(200);
    expect(r.body.Global).toBe(true);
    expect(r.body.Roles.map((x: { Name: string }) => x.Name)).toEqual(['engineering']);
    expect(r.body.Name).toBe('OIDC-corp');
    // Usable in the follower on the very next request: no wait, no retry.
    const self = await api(follower, 'GET', '/v1/acl/token/self', { token: r.body.SecretID });
    expect(self.status, self.text).toBe(200);
    expect(self.body.AccessorID).toBe(r.body.AccessorID);
    const check = await api(follower, 'POST', '/v1/acl/authorize', {
      token: r.body.SecretID,
      body: { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'read-job' }] },
    });
    expect(check.body.Results[0].Allowed).toBe(true);
    // The authoritative region made the token: its audit line names the
    // method and the mapped claims, and holds no secret in clear.
    const log = join(cluster.agent('global').dataDir, 'audit', 'audit.log');
    const line = await eventually(async () => {
      const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l.includes('"acl.oidc.complete_auth"'));
      return lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.response?.accessor_id === r.body.AccessorID);
    });
    if (line === undefined) throw new Error('no audit line for the login');
    expect(line.target.auth_method).toBe('corp');
    expect(line.target.claims.list.groups).toEqual(['engineering']);
    expect(line.response.secret_id).toMatch(/^hmac-sha256:/);
    expect(await readFile(log, 'utf8')).not.toContain(r.body.SecretID);
  });

  it('a policy binding rule gives the policy', async () => {
    const r = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body: await loginAt(follower, 'bob') });
    expect(r.status, r.text).toBe(200);
    expect(r.body.Policies).toEqual(['ops-write']);
    expect(r.body.Roles ?? []).toEqual([]);
  });

  it('a user no binding rule matches gets no token', async () => {
    const before = await tokenCount();
    const r = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body: await loginAt(follower, 'carol') });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.text).not.toContain('sales');
    expect(await tokenCount()).toBe(before);
  });

  it('wrong state, wrong nonce, wrong redirect URI and a reused state are refused; nothing is minted', async () => {
    const before = await tokenCount();
    const a = await loginAt(follower, 'alice');
    const wrongState = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body: { ...a, State: 'forged' } });
    expect(wrongState.status).toBe(400);
    expect(wrongState.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_OIDC_STATE');

    const wrongNonce = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body: { ...a, ClientNonce: 'another-nonce-0123456789' } });
    expect(wrongNonce.status).toBe(400);
    expect(wrongNonce.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_OIDC_NONCE');
    // The wrong nonce spent the state: the right one is now refused too.
    const spent = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body: a });
    expect(spent.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_OIDC_STATE');

    const b = await loginAt(follower, 'alice');
    const wrongRedirect = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', {
      body: { ...b, RedirectURI: `http://127.0.0.1:${cliPort}/oidc/callback` },
    });
    expect(wrongRedirect.status).toBe(400);
    expect(wrongRedirect.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_OIDC_REDIRECT_URI');

    const notAllowed = await api(follower, 'POST', '/v1/acl/oidc/auth-url', {
      body: { AuthMethodName: 'corp', RedirectURI: 'http://evil.example/cb', ClientNonce: NONCE },
    });
    expect(notAllowed.status).toBe(400);
    expect(notAllowed.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_OIDC_REDIRECT_URI');

    const c = await loginAt(follower, 'alice');
    expect((await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body: c })).status).toBe(200);
    const reused = await api(follower, 'POST', '/v1/acl/oidc/complete-auth', { body: c });
    expect(reused.status).toBe(400);
    expect(reused.body).toContain('used already');
    expect(await tokenCount()).toBe(before + 1);
  });

  it('bad bodies are 400s naming the field, at the leader and forwarded from the follower; nothing is minted', async () => {
    const before = await tokenCount();
    for (const addr of [leader, follower]) {
      const wrongType = await api(addr, 'POST', '/v1/acl/oidc/auth-url', { body: { AuthMethodName: 'corp', RedirectURI: API_REDIRECT, ClientNonce: 7 } });
      expect(wrongType.status).toBe(400);
      expect(wrongType.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_BAD_REQUEST');
      expect(wrongType.text).toBe('Request decode failed: ClientNonce must be a string');

      const missing = await api(addr, 'POST', '/v1/acl/oidc/complete-auth', { body: { AuthMethodName: 'corp', RedirectURI: API_REDIRECT, ClientNonce: NONCE, State: null } });
      expect(missing.status).toBe(400);
      expect(missing.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_BAD_REQUEST');
      expect(missing.text).toBe('invalid OIDC complete-auth request: 2 errors occurred:\n\t* missing state\n\t* missing code\n\n');

      const notObject = await api(addr, 'POST', '/v1/acl/oidc/complete-auth', { body: ['corp'] });
      expect(notObject.status).toBe(400);
      expect(notObject.text).toBe('Request decode failed: expected a JSON object');
    }
    expect(await tokenCount()).toBe(before);
  });

  it('a global method keeps its pending logins in the authoritative region: started in a follower, completed there', async () => {
    const a = await loginAt(follower, 'alice');
    const r = await api(leader, 'POST', '/v1/acl/oidc/complete-auth', { body: a });
    expect(r.status, r.text).toBe(200);
    expect(r.body.Global).toBe(true);
  });
});

describe('tollgate login -type=OIDC', () => {
  /** Runs `tollgate login` and plays the browser: the printed URL, the provider's login, its redirect to the CLI. */
  async function cliLogin(args: string[], user: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const proc = spawn(process.execPath, [BIN, 'login', ...args, `-oidc-callback-addr=127.0.0.1:${cliPort}`], {
      cwd: REPO,
      env: { ...process.env, TOLLGATE_ADDR: follower, TOLLGATE_TOKEN: '', NOMAD_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        proc.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          const m = /^\s+(https:\/\/\S+)$/m.exec(stdout);
          if (m !== null) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`login exited ${code} before printing a URL: ${stdout}${stderr}`)));
      });
      const callback = await idp.login(url, user);
      expect(callback.origin).toBe(`http://127.0.0.1:${cliPort}`);
      const page = await fetch(callback);
      expect(page.status).toBe(200);
      return { code: await exited, stdout, stderr };
    } finally {
      proc.kill();
    }
  }

  it('listens for the callback, prints the URL, completes the login and prints the token', async () => {
    const r = await cliLogin(['-method=corp', '-type=OIDC'], 'alice');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Successfully logged in via OIDC and corp');
    const secret = /^Secret ID\s+= (\S+)$/m.exec(r.stdout)?.[1];
    expect(secret).toBeDefined();
    const self = await api(follower, 'GET', '/v1/acl/token/self', { token: secret! });
    expect(self.status).toBe(200);
    expect(self.body.Roles.map((x: { Name: string }) => x.Name)).toEqual(['engineering']);
  });

  it('without -method and -type uses the default method, and -json prints the token as JSON', async () => {
    const r = await cliLogin(['-json'], 'bob');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    expect(json.Policies).toEqual(['ops-write']);
    expect(json.Name).toBe('OIDC-corp');
  });
});

describe('JWT auth method verified with the provider JWKS URL', () => {
  beforeAll(async () => {
    const m = cluster.management;
    const method = await api(leader, 'POST', '/v1/acl/auth-method', {
      token: m,
      body: {
        Name: 'ci',
        Type: 'JWT',
        TokenLocality: 'local',
        MaxTokenTTL: '10m',
        Config: {
          JWKSURL: idp.jwksUri,
          JWKSCACert: idp.caPem,
          BoundIssuer: [idp.issuer],
          BoundAudiences: ['tollgate-ci'],
          ClaimMappings: { repository: 'repo' },
        },
      },
    });
    expect(method.status, method.text).toBe(200);
    const rule = await api(leader, 'POST', '/v1/acl/binding-rule', {
      token: m,
      body: { AuthMethod: 'ci', Selector: 'value.repo == "acme/api"', BindType: 'policy', BindName: 'eng-read' },
    });
    expect(rule.status, rule.text).toBe(200);
    await cluster.waitReplicated();
  });

  const ciJwt = (claims: Record<string, unknown> = {}) =>
    idp.signJwt({ sub: 'repo:acme/api:ref:refs/heads/main', aud: 'tollgate-ci', repository: 'acme/api', exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000), ...claims });

  it('a workload JWT signed by the provider key logs in (keys fetched over HTTPS with JWKSCACert)', async () => {
    const r = await api(follower, 'POST', '/v1/acl/login', { body: { AuthMethodName: 'ci', LoginToken: await ciJwt() } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.Policies).toEqual(['eng-read']);
    expect(r.body.Global).toBe(false);
    expect((await api(follower, 'GET', '/v1/acl/token/self', { token: r.body.SecretID })).status).toBe(200);
  });

  it('a JWT for another audience, or naming a key the provider does not have, is refused', async () => {
    const wrongAud = await api(follower, 'POST', '/v1/acl/login', { body: { AuthMethodName: 'ci', LoginToken: await ciJwt({ aud: 'someone-else' }) } });
    expect(wrongAud.status).toBe(401);
    const unknownKid = await idp.signJwt({ aud: 'tollgate-ci', repository: 'acme/api', exp: Math.floor(Date.now() / 1000) + 300 }, { kid: 'not-a-provider-key' });
    const r = await api(follower, 'POST', '/v1/acl/login', { body: { AuthMethodName: 'ci', LoginToken: unknownKid } });
    expect(r.status).toBe(401);
  });
});

const ETCD_SKIP = etcdSkipReason('oidc-ha');

describe.skipIf(ETCD_SKIP !== undefined)(`OIDC in an HA region${ETCD_SKIP === undefined ? '' : ` — ${ETCD_SKIP}`}`, () => {
  let etcd: EtcdProcess;
  const agents: RunningAgent[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
    const key = regionKey();
    for (let i = 0; i < 2; i++) agents.push(await startHaAgent({ region: 'ha', key, endpoints: [etcd.endpoint] }));
  });
  afterAll(async () => {
    for (const a of agents) {
      await a.kill();
      await rm(a.dataDir, { recursive: true, force: true });
    }
    await etcd?.close();
  });

  it('auth-url on one agent, complete-auth on another: the pending login is in etcd, and used once', async () => {
    const [a, b] = agents as [RunningAgent, RunningAgent];
    const root = (await api(a.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const setup = [
      await api(a.addr, 'POST', '/v1/acl/policy/ha-read', { token: root, body: { Name: 'ha-read', Rules: 'namespace "default" { policy = "read" }' } }),
      await api(a.addr, 'POST', '/v1/acl/auth-method', {
        token: root,
        body: {
          Name: 'corp',
          Type: 'OIDC',
          TokenLocality: 'local',
          MaxTokenTTL: '1h',
          Config: {
            OIDCDiscoveryURL: idp.issuer,
            OIDCClientID: idp.clientId,
            OIDCClientSecret: idp.clientSecret,
            OIDCScopes: ['groups'],
            AllowedRedirectURIs: [API_REDIRECT],
            DiscoveryCaPem: [idp.caPem],
            ListClaimMappings: { groups: 'groups' },
          },
        },
      }),
      await api(a.addr, 'POST', '/v1/acl/binding-rule', {
        token: root,
        body: { AuthMethod: 'corp', Selector: '"engineering" in list.groups', BindType: 'policy', BindName: 'ha-read' },
      }),
    ];
    for (const r of setup) expect(r.status, r.text).toBe(200);
    const body = await loginAt(a.addr, 'alice');
    const done = await api(b.addr, 'POST', '/v1/acl/oidc/complete-auth', { body });
    expect(done.status, done.text).toBe(200);
    expect(done.body.Policies).toEqual(['ha-read']);
    const again = await api(a.addr, 'POST', '/v1/acl/oidc/complete-auth', { body });
    expect(again.status).toBe(400);
    expect(again.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_OIDC_STATE');
  });
});
