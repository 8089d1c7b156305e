import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, ConnectionError, InvalidResponseError } from './errors.js';
import { TollgateClient } from './tollgate-client.js';

interface Seen {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}
interface Canned {
  status?: number;
  body?: string | object;
  index?: number;
  delayMs?: number;
}

// A fake agent: each test queues canned answers per "METHOD /path" and reads
// back what the client sent.
let server: Server;
let addr: string;
let seen: Seen[] = [];
let canned = new Map<string, Canned>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      seen.push({ method: req.method ?? '', url, headers: req.headers, body });
      const c = canned.get(`${req.method} ${url.pathname}`) ?? { status: 404, body: 'no canned answer' };
      const send = () => {
        const headers: Record<string, string> = {};
        if (c.index !== undefined) headers['X-Nomad-Index'] = String(c.index);
        const text = typeof c.body === 'string' ? c.body : c.body === undefined ? '' : JSON.stringify(c.body);
        res.writeHead(c.status ?? 200, headers).end(text);
      };
      if (c.delayMs) setTimeout(send, c.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen = [];
  canned = new Map();
});

const TOKEN = {
  AccessorID: '59baab4d-1c7b-9605-37e5-5690ec7e6c3a',
  SecretID: '948bb149-8266-904d-8824-58b25529a8ca',
  Name: 'Bootstrap Token',
  Type: 'management',
  Policies: null,
  Global: true,
  CreateTime: '2020-01-23T18:51:33.446571Z',
  ExpirationTime: null,
  CreateIndex: 9,
  ModifyIndex: 9,
};

function client(extra: ConstructorParameters<typeof TollgateClient>[0] = {}) {
  return new TollgateClient({ address: addr, env: {}, ...extra });
}

describe('TollgateClient requests', () => {
  it('bootstraps with a POST and returns the token and the X-Nomad-Index', async () => {
    canned.set('POST /v1/acl/bootstrap', { body: TOKEN, index: 9 });
    const { data, index } = await client().bootstrap();
    expect(data.AccessorID).toBe(TOKEN.AccessorID);
    expect(index).toBe(9);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.body).toBe('');
    expect(seen[0]?.headers['x-nomad-token']).toBeUndefined();
  });

  it('sends an operator bootstrap secret as BootstrapSecret', async () => {
    canned.set('POST /v1/acl/bootstrap', { body: TOKEN, index: 9 });
    await client().bootstrap({ bootstrapSecret: TOKEN.SecretID });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ BootstrapSecret: TOKEN.SecretID });
  });

  it('sends the token from the environment as X-Nomad-Token', async () => {
    canned.set('GET /v1/acl/token/self', { body: TOKEN, index: 9 });
    await new TollgateClient({ address: addr, env: { TOLLGATE_TOKEN: 'from-env', NOMAD_TOKEN: 'nomad' } }).readSelfToken();
    expect(seen[0]?.headers['x-nomad-token']).toBe('from-env');
  });

  it('lets one call override the token, and an empty override sends none', async () => {
    canned.set('GET /v1/acl/token/self', { body: TOKEN });
    const c = client({ token: 'client-token' });
    await c.readSelfToken({ token: 'call-token' });
    await c.readSelfToken({ token: '' });
    await c.readSelfToken();
    expect(seen.map((s) => s.headers['x-nomad-token'])).toEqual(['call-token', undefined, 'client-token']);
  });

  it('creates a token with a JSON body and returns the created token', async () => {
    canned.set('POST /v1/acl/token', { body: { ...TOKEN, Name: 'client1', Type: 'client', Policies: ['app1'] }, index: 19 });
    const { data, index } = await client({ token: 's' }).createToken({ Name: 'client1', Type: 'client', Policies: ['app1'] });
    expect(data.Policies).toEqual(['app1']);
    expect(index).toBe(19);
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ Name: 'client1', Type: 'client', Policies: ['app1'] });
  });

  it('updates a token at its accessor path', async () => {
    canned.set(`POST /v1/acl/token/${TOKEN.AccessorID}`, { body: TOKEN, index: 12 });
    const { index } = await client().updateToken({ AccessorID: TOKEN.AccessorID, Type: 'management', Name: 'x' });
    expect(index).toBe(12);
    expect(JSON.parse(seen[0]?.body ?? '').AccessorID).toBe(TOKEN.AccessorID);
  });

  it('turns index, waitMs, prefix and stale into the blocking-query parameters', async () => {
    canned.set('GET /v1/acl/tokens', { body: [], index: 44 });
    const { data, index } = await client().listTokens({ index: 43, waitMs: 5000, prefix: 'ab', stale: true });
    expect(data).toEqual([]);
    expect(index).toBe(44);
    const q = seen[0]?.url.searchParams;
    expect(q?.get('index')).toBe('43');
    expect(q?.get('wait')).toBe('5000ms');
    expect(q?.get('prefix')).toBe('ab');
    expect(q?.get('stale')).toBe('true');
  });

  it('does not let its own timeout cut a blocking query short', async () => {
    canned.set('GET /v1/acl/policies', { body: [], index: 8, delayMs: 300 });
    const { index } = await client({ timeoutMs: 100 }).listPolicies({ index: 7, waitMs: 1000 });
    expect(index).toBe(8);
  });

  it('sends the region as a query parameter when one is configured', async () => {
    canned.set('GET /v1/acl/policies', { body: [] });
    await client({ region: 'eu-west' }).listPolicies();
    expect(seen[0]?.url.searchParams.get('region')).toBe('eu-west');
  });

  it('reports index 0 when the agent sends no X-Nomad-Index', async () => {
    canned.set('GET /v1/agent/health', { body: { status: 'ok' } });
    const { data, index } = await client().agentHealth();
    expect(data.status).toBe('ok');
    expect(index).toBe(0);
  });

  it('writes a policy with Name, Description and Rules and returns only the index', async () => {
    canned.set('POST /v1/acl/policy/anonymous', { body: '', index: 15 });
    const res = await client().writePolicy({ Name: 'anonymous', Description: 'd', Rules: 'namespace "*" {}' });
    expect(res).toEqual({ data: undefined, index: 15 });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ Name: 'anonymous', Description: 'd', Rules: 'namespace "*" {}' });
  });

  it('reads, lists and deletes policies and deletes tokens at the Nomad paths', async () => {
    canned.set('GET /v1/acl/policy/app1', { body: { Name: 'app1', Description: '', Rules: 'x', CreateIndex: 3, ModifyIndex: 4 } });
    canned.set('GET /v1/acl/policies', { body: [{ Name: 'app1', Description: '', CreateIndex: 3, ModifyIndex: 4 }] });
    canned.set('DELETE /v1/acl/policy/app1', { index: 5 });
    canned.set('DELETE /v1/acl/token/abc', { index: 6 });
    const c = client();
    expect((await c.readPolicy('app1')).data.Rules).toBe('x');
    expect((await c.listPolicies()).data).toHaveLength(1);
    expect((await c.deletePolicy('app1')).index).toBe(5);
    expect((await c.deleteToken('abc')).index).toBe(6);
    expect(seen.map((s) => `${s.method} ${s.url.pathname}`)).toEqual([
      'GET /v1/acl/policy/app1',
      'GET /v1/acl/policies',
      'DELETE /v1/acl/policy/app1',
      'DELETE /v1/acl/token/abc',
    ]);
  });

  it('posts authorize checks as {Checks} and returns the results in order', async () => {
    const answer = { AccessorID: 'anonymous', Results: [{ Allowed: true, Reason: 'policy anonymous' }] };
    canned.set('POST /v1/acl/authorize', { body: answer });
    const checks = [{ Resource: 'namespace', Name: 'default', Capability: 'submit-job' }];
    const { data } = await client().authorize(checks);
    expect(data).toEqual(answer);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ Checks: checks });
  });

  it('reads the replication status as a plain object', async () => {
    canned.set('GET /v1/acl/replication', { body: { Region: 'eu', LagMs: 3 } });
    expect((await client().replicationStatus()).data).toEqual({ Region: 'eu', LagMs: 3 });
  });
});

describe('TollgateClient errors', () => {
  it('throws ApiError with the status, the body and Nomad\'s message text', async () => {
    canned.set('POST /v1/acl/bootstrap', { status: 400, body: 'ACL bootstrap already done (reset index: 7)' });
    const err = await client().bootstrap().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const api = err as ApiError;
    expect(api.status).toBe(400);
    expect(api.body).toBe('ACL bootstrap already done (reset index: 7)');
    expect(api.code).toBe('TOLLGATE_API_ERROR');
    expect(api.name).toBe('ApiError');
    expect(api.message).toBe('Unexpected response code: 400 (ACL bootstrap already done (reset index: 7))');
  });

  it('reports 403 Permission denied as an ApiError', async () => {
    canned.set('GET /v1/acl/tokens', { status: 403, body: 'Permission denied\n' });
    await expect(client().listTokens()).rejects.toThrow(/^Unexpected response code: 403 \(Permission denied\)$/);
  });

  it('reports 404 on a missing token as an ApiError with status 404', async () => {
    canned.set('GET /v1/acl/token/nope', { status: 404, body: 'ACL token not found' });
    await expect(client().readToken('nope')).rejects.toMatchObject({ status: 404, body: 'ACL token not found' });
  });

  it('throws a ConnectionError naming the address when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await new TollgateClient({ address: `127.0.0.1:${port}`, env: {} }).readSelfToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    const ce = err as ConnectionError;
    expect(ce.code).toBe('TOLLGATE_CONNECTION_ERROR');
    expect(ce.address).toBe(`http://127.0.0.1:${port}`);
    expect(ce.timedOut).toBe(false);
    expect(ce.message).toBe(`Get "http://127.0.0.1:${port}/v1/acl/token/self": connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('throws a ConnectionError marked timedOut when the agent is too slow', async () => {
    canned.set('GET /v1/acl/tokens', { body: [], delayMs: 500 });
    const err = await client({ timeoutMs: 50 }).listTokens().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).timedOut).toBe(true);
    expect((err as Error).message).toMatch(/request timed out after 50ms$/);
  });

  it('rejects with the caller\'s abort reason, not a ConnectionError, when the caller cancels', async () => {
    canned.set('GET /v1/acl/tokens', { body: [], delayMs: 500 });
    const ac = new AbortController();
    const p = client().listTokens({ signal: ac.signal });
    ac.abort(new Error('user cancelled'));
    await expect(p).rejects.toThrow('user cancelled');
  });

  it('throws InvalidResponseError when a 2xx body is not the expected JSON', async () => {
    canned.set('GET /v1/acl/token/self', { body: '<html>proxy</html>' });
    canned.set('GET /v1/acl/tokens', { body: { not: 'a list' } });
    await expect(client().readSelfToken()).rejects.toBeInstanceOf(InvalidResponseError);
    await expect(client().listTokens()).rejects.toThrow(/expected a JSON array/);
  });

  it('rejects empty path parameters and empty authorize checks with a TypeError naming the field', async () => {
    await expect(client().readToken('')).rejects.toThrow(new TypeError('accessorId must be a non-empty string'));
    await expect(client().deleteToken('..')).rejects.toThrow(new TypeError('accessorId must not be ".."'));
    await expect(client().writePolicy({ Name: '', Rules: '' })).rejects.toThrow(/^Name must be/);
    await expect(client().authorize([])).rejects.toThrow(TypeError);
    expect(seen).toHaveLength(0);
  });

  it('rejects a negative blocking index with a RangeError', async () => {
    await expect(client().listTokens({ index: -1 })).rejects.toThrow(RangeError);
  });
});

describe('filter, policy self and upload', () => {
  const client = (): TollgateClient => new TollgateClient({ address: addr, token: 'mgmt', env: {} });

  it('sends filter as ?filter= on list calls, and leaves it out when empty', async () => {
    canned.set('GET /v1/acl/tokens', { body: [], index: 3 });
    await client().listTokens({ filter: 'Name contains "ci"' });
    await client().listTokens({ filter: '' });
    expect(seen[0]?.url.searchParams.get('filter')).toBe('Name contains "ci"');
    expect(seen[1]?.url.searchParams.has('filter')).toBe(false);
  });

  it('reads the caller\'s policies from GET /v1/acl/policy/self', async () => {
    canned.set('GET /v1/acl/policy/self', { body: [{ Name: 'ops', Description: '', JobACL: null, CreateIndex: 1, ModifyIndex: 1 }], index: 1 });
    const { data } = await client().listSelfPolicies();
    expect(data.map((p) => p.Name)).toEqual(['ops']);
  });

  it('uploads a token with both IDs to POST /v1/acl/token and refuses empty IDs locally', async () => {
    canned.set('POST /v1/acl/token', { body: TOKEN, index: 9 });
    await client().uploadToken({ AccessorID: TOKEN.AccessorID, SecretID: TOKEN.SecretID, Type: 'client', Policies: ['ops'] });
    expect(seen[0]?.method).toBe('POST');
    expect(JSON.parse(seen[0]?.body ?? '{}')).toMatchObject({ AccessorID: TOKEN.AccessorID, SecretID: TOKEN.SecretID });
    await expect(client().uploadToken({ AccessorID: '', SecretID: TOKEN.SecretID, Type: 'client' })).rejects.toThrow(TypeError);
    expect(seen).toHaveLength(1);
  });
});
