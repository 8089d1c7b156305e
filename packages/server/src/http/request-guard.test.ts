import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

const agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});
async function agent(input: Parameters<typeof startTestAgent>[0] = {}): Promise<TestAgent> {
  const a = await startTestAgent(input);
  agents.push(a);
  return a;
}

/** A raw HTTP call that can repeat headers (fetch would join them). */
function rawCall(
  addr: string,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(addr + path, { method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const CHECK = JSON.stringify({ Checks: [{ Resource: 'node', Capability: 'read' }] });

describe('duplicate token headers', () => {
  it('answer 400 on the authorize fast path, on Fastify routes and for Authorization, and change nothing', async () => {
    const t = await agent();
    const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const two = { 'X-Nomad-Token': [root, 'ffffffff-ffff-4fff-8fff-ffffffffffff'], 'Content-Type': 'application/json' };
    const fast = await rawCall(t.addr, 'POST', '/v1/acl/authorize', two, CHECK);
    expect(fast.status).toBe(400);
    expect(fast.text).toMatch(/more than one X-Nomad-Token or Authorization header/);
    expect((await rawCall(t.addr, 'POST', '/v1/acl/authorize?stale', two, CHECK)).status).toBe(400);
    expect((await rawCall(t.addr, 'GET', '/v1/acl/tokens', two)).status).toBe(400);
    const create = await rawCall(t.addr, 'POST', '/v1/acl/token', two, JSON.stringify({ Type: 'client', Policies: ['p'] }));
    expect(create.status).toBe(400);
    const bearer = await rawCall(t.addr, 'GET', '/v1/acl/token/self', { Authorization: [`Bearer ${root}`, 'Bearer x'] });
    expect(bearer.status).toBe(400);
    expect((await t.call('GET', '/v1/acl/tokens', { token: root })).body).toHaveLength(1);
  });
});

describe('cross-origin writes and non-JSON bodies', () => {
  it('refuses a write from a foreign Origin with 403, accepts the agent’s own and configured origins', async () => {
    const t = await agent({ http_allowed_origins: ['https://ui.example'] });
    const evil = await t.call('POST', '/v1/acl/bootstrap', { headers: { Origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.text).toMatch(/Origin https:\/\/evil.example may not write/);
    // Nothing happened: bootstrap still possible, from the agent's own origin.
    const own = await t.call('POST', '/v1/acl/bootstrap', { headers: { Origin: t.addr } });
    expect(own.status).toBe(200);
    const root = own.body.SecretID as string;
    const ui = await t.call('POST', '/v1/acl/policy/p', {
      token: root,
      headers: { Origin: 'https://ui.example' },
      body: { Name: 'p', Rules: 'node { policy = "read" }' },
    });
    expect(ui.status).toBe(200);
    // Reads and checks are not writes.
    expect((await t.call('GET', '/v1/acl/token/self', { token: root, headers: { Origin: 'https://evil.example' } })).status).toBe(200);
    expect((await t.call('POST', '/v1/acl/authorize', { token: root, headers: { Origin: 'https://evil.example' }, raw: CHECK })).status).toBe(200);
  });

  it('refuses a text/plain bootstrap without a token (a browser form), and accepts JSON or a token header', async () => {
    const t = await agent();
    const form = await t.call('POST', '/v1/acl/bootstrap', { raw: '{"BootstrapSecret":"4b0a41ca-6d32-1853-e64b-de0d347e4525"}', headers: { 'Content-Type': 'text/plain' } });
    expect(form.status).toBe(415);
    expect(form.text).toMatch(/must be JSON/);
    const urlencoded = await t.call('POST', '/v1/acl/bootstrap', { raw: 'a=b', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(urlencoded.status).toBe(415);
    const ok = await t.call('POST', '/v1/acl/bootstrap', { body: {} });
    expect(ok.status).toBe(200);
    // curl --data with a token header still works.
    const curl = await t.call('POST', '/v1/acl/policy/p', {
      token: ok.body.SecretID,
      raw: JSON.stringify({ Name: 'p', Rules: 'node { policy = "read" }' }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(curl.status).toBe(200);
  });
});

describe('request rate limits', () => {
  it('answer 429 with Retry-After per client address for checks, count it, and refuse before parsing', async () => {
    const t = await agent({ limits: { request_limits: { check_rate: 1, check_burst: 3, token_check_rate: 1000 } } });
    const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.call('POST', '/v1/acl/authorize', { token: root, raw: CHECK })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await t.call('POST', '/v1/acl/authorize?stale', { token: root, raw: CHECK });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.text).toMatch(/rate limit/);
    const metrics = await t.call('GET', '/v1/metrics?format=prometheus');
    expect(metrics.text).toMatch(/tollgate_http_rate_limited_total\{[^}]*kind="check"[^}]*scope="client"[^}]*\} 2/);
    // Writes have their own budget.
    expect((await t.call('POST', '/v1/acl/policy/p', { token: root, body: { Name: 'p', Rules: 'node { policy = "read" }' } })).status).toBe(200);
  });

  it('limits writes per token separately from the client address', async () => {
    const t = await agent({ limits: { request_limits: { write_rate: 1000, token_write_rate: 1, write_burst: 2 } } });
    const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const body = { Type: 'client', Policies: ['p'] };
    const first = await t.call('POST', '/v1/acl/token', { token: root, body });
    const second = await t.call('POST', '/v1/acl/token', { token: root, body });
    const third = await t.call('POST', '/v1/acl/token', { token: root, body });
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    // Another token from the same address still writes (anonymous: 403, not 429).
    expect((await t.call('POST', '/v1/acl/token', { token: first.body.SecretID, body })).status).toBe(403);
  });

  it('permissive mode counts but serves', async () => {
    const t = await agent({ limits: { request_limits: { mode: 'permissive', anonymous_rate: 1 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.call('POST', '/v1/acl/authorize', { raw: CHECK })).status);
    expect(statuses).toEqual([200, 200, 200]);
    expect((await t.call('GET', '/v1/metrics?format=prometheus')).text).toMatch(/tollgate_http_rate_limited_total\{[^}]*\} 2/);
  });
});

describe('body limits', () => {
  it('refuses an authorize body over the limit from its Content-Length, without reading it', async () => {
    const t = await agent({ limits: { http_max_body_bytes: 2048 } });
    const res = await rawCall(t.addr, 'POST', '/v1/acl/authorize', { 'Content-Length': '1000000' });
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/limit 2048 bytes/);
  });
});

describe('bounds', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

  it('answers deep JSON with 400 naming the limit: fast path, Fastify, ?region=, and leaves no error log', async () => {
    const t = await agent({ server: { region_peers: { eu: ['127.0.0.1:1'] } } });
    const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const headers = { 'Content-Type': 'application/json' };
    for (const path of ['/v1/acl/authorize', '/v1/acl/authorize?stale', '/v1/acl/token', '/v1/acl/token?region=eu', '/v1/acl/policy/p?region=eu']) {
      const res = await t.call('POST', path, { token: root, raw: deep, headers });
      expect(res.status, path).toBe(400);
      expect(res.text, path).toBe('Request decode failed: JSON nested deeper than 64 levels');
    }
    expect(t.logText()).not.toMatch(/"level":50/);
    // 64 levels are fine (the handler then judges the content).
    const ok = await t.call('POST', '/v1/acl/authorize', { token: root, raw: `{"Checks":${'['.repeat(63)}${']'.repeat(63)}}`, headers });
    expect(ok.status).toBe(400);
    expect(ok.text).not.toMatch(/nested deeper/);
  });

  it('refuses more than 256 policies on a token and a per_page over the cap, naming the limits', async () => {
    const t = await agent();
    const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const many = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: Array.from({ length: 100_000 }, (_, i) => `p${i}`) } });
    expect(many.status).toBe(400);
    expect(many.text).toMatch(/at most 256 policies per token \(got 100000\)/);
    const page = await t.call('GET', '/v1/acl/tokens?per_page=10001', { token: root });
    expect(page.status).toBe(400);
    expect(page.text).toBe('per_page must be at most 10000');
    expect((await t.call('GET', '/v1/acl/tokens?per_page=10000', { token: root })).status).toBe(200);
  });

  it('answers a colliding BootstrapSecret with the same 400 as a malformed one, naming nothing', async () => {
    const t = await agent();
    const secret = '4b0a41ca-6d32-4853-a64b-de0d347e4525';
    const first = await t.call('POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: secret } });
    expect(first.status).toBe(200);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(t.agent.bootstrapResetFile, String(t.agent.store.bootstrapIndex()));
    const again = await t.call('POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: secret } });
    expect(again.status).toBe(400);
    expect(again.text).toBe('invalid acl token');
    expect(again.text).not.toContain(first.body.AccessorID);
    expect((await t.call('POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: 'not-a-uuid' } })).text).toBe('invalid acl token');
  });
});

describe('anonymous callers', () => {
  it('share a smaller per-address budget than callers with a known token; unknown secrets count as anonymous', async () => {
    const t = await agent({ limits: { request_limits: { anonymous_rate: 2, check_rate: 1000 } } });
    const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const anon: number[] = [];
    for (let i = 0; i < 3; i++) anon.push((await t.call('POST', '/v1/acl/authorize', { raw: CHECK })).status);
    expect(anon).toEqual([200, 200, 429]);
    const bogus = await t.call('POST', '/v1/acl/authorize', { token: 'ffffffff-ffff-4fff-8fff-ffffffffffff', raw: CHECK });
    expect(bogus.status).toBe(429);
    expect((await t.call('POST', '/v1/acl/authorize', { token: root, raw: CHECK })).status).toBe(200);
    expect((await t.call('GET', '/v1/metrics?format=prometheus')).text).toMatch(/tollgate_http_rate_limited_total\{[^}]*scope="anonymous"[^}]*\} 2/);
  });
});

describe('a client that hangs up during a forward', () => {
  it('is one info line without a stack, not an error', async () => {
    // A "peer" that accepts connections and never answers: the forward hangs.
    const held: Socket[] = [];
    const silent = createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const t = await agent({ server: { region_peers: { eu: [`127.0.0.1:${port}`] } } });
      const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
      const ac = new AbortController();
      const pending = fetch(`${t.addr}/v1/acl/tokens?region=eu`, { headers: { 'X-Nomad-Token': root }, signal: ac.signal }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      ac.abort();
      await pending;
      await vi.waitFor(() => expect(t.logText()).toContain('client went away before the answer'), { timeout: 10_000 });
      expect(t.logText()).not.toMatch(/"level":50/);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  }, 20_000);
});
