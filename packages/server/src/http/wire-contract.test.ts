import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

/** Nomad's wire contract for tokens and policies, beyond the Go client's own requests. */

let t: TestAgent;
let root: string;

beforeAll(async () => {
  t = await startTestAgent();
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
  expect((await t.call('POST', '/v1/acl/policy/ops', { token: root, body: { Name: 'ops', Rules: '' } })).status).toBe(200);
});
afterAll(async () => {
  await t.close();
});

const create = (body: Record<string, unknown>, token = root) => t.call('POST', '/v1/acl/token', { token, body });

describe('ExpirationTTL', () => {
  it.each([
    ['', ''],
    [null, ''],
    ['90m', '1h30m0s'],
    ['1.5h', '1h30m0s'],
    ['10m', '10m0s'],
    ['61s', '1m1s'],
    [90_000_000_000, '1m30s'],
    [3_600_000_000_001, '1h0m0.000000001s'],
  ])('accepts %j and answers %j', async (ttl, text) => {
    const r = await create({ Type: 'client', Policies: ['ops'], ExpirationTTL: ttl });
    expect(r.status, r.text).toBe(200);
    expect(r.body.ExpirationTTL).toBe(text);
    const again = await t.call('GET', `/v1/acl/token/${r.body.AccessorID}`, { token: root });
    expect(again.body.ExpirationTTL).toBe(text);
  });

  it.each([
    ['10 minutes', 'Request decode failed: ExpirationTTL: invalid duration "10 minutes"'],
    [true, 'Request decode failed: ExpirationTTL must be a duration string or nanoseconds'],
    ['-5m', "token expiration TTL '-5m0s' should not be negative"],
    ['1s', 'expiration time cannot be less than 1m0s in the future (was 1s)'],
  ])('refuses %j with a 400 naming the problem', async (ttl, message) => {
    const r = await create({ Type: 'client', Policies: ['ops'], ExpirationTTL: ttl });
    expect(r.status).toBe(400);
    expect(r.text).toContain(message);
  });
});

describe('Roles on tokens', () => {
  it('shows Roles: null on every token object and list stub', async () => {
    const tok = (await create({ Type: 'client', Policies: ['ops'], Roles: [] })).body;
    expect(tok.Roles).toBeNull();
    expect(Object.keys(tok)).toEqual([
      'AccessorID', 'SecretID', 'Name', 'Type', 'Policies', 'Roles', 'Global', 'Hash',
      'CreateTime', 'ExpirationTime', 'ExpirationTTL', 'CreateIndex', 'ModifyIndex',
      'ParentAccessorID', 'Orphan', 'Meta', 'ExplicitMaxTTL', 'Period',
    ]);
    const list = (await t.call('GET', '/v1/acl/tokens', { token: root })).body as Array<Record<string, unknown>>;
    expect(list.every((s) => s.Roles === null && 'Roles' in s)).toBe(true);
  });

  it('refuses a link to a role that does not exist, with Nomad\'s message', async () => {
    const r = await create({ Type: 'client', Policies: ['ops'], Roles: [{ Name: 'deployers' }] });
    expect(r).toMatchObject({ status: 400, text: 'cannot find role deployers' });
  });
});

describe('token upload', () => {
  const ACC = '6b6d4b47-0d3e-4f0c-9c1c-1f0a8a1d2e3f';
  const SEC = '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';

  it('creates a client token under the given IDs, also through /v1/acl/token/:accessor, and it authenticates', async () => {
    const r = await create({ AccessorID: ACC, SecretID: SEC, Type: 'client', Policies: ['ops'], Name: 'moved', ExpirationTTL: '1h' });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ AccessorID: ACC, SecretID: SEC, Name: 'moved', ExpirationTTL: '1h0m0s' });
    expect((await t.call('GET', '/v1/acl/token/self', { token: SEC })).body.AccessorID).toBe(ACC);
    const acc2 = '7c7d4b47-0d3e-4f0c-9c1c-1f0a8a1d2e3f';
    const viaPath = await t.call('POST', `/v1/acl/token/${acc2}`, {
      token: root,
      body: { AccessorID: acc2, SecretID: '2b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d', Type: 'client', Policies: ['ops'] },
    });
    expect(viaPath.status, viaPath.text).toBe(200);
    expect(viaPath.body.AccessorID).toBe(acc2);
  });

  it('refuses a SecretID already in use with a 409 that does not echo it', async () => {
    const other = (await create({ Type: 'client', Policies: ['ops'] })).body;
    const r = await create({ AccessorID: '8d8d4b47-0d3e-4f0c-9c1c-1f0a8a1d2e3f', SecretID: other.SecretID, Type: 'client', Policies: ['ops'] });
    expect(r.status).toBe(409);
    expect(r.text).not.toContain(other.SecretID);
  });

  it.each([
    ['a non-UUID AccessorID', { AccessorID: 'not-a-uuid', SecretID: SEC }],
    ['a non-UUID SecretID', { AccessorID: '9e9d4b47-0d3e-4f0c-9c1c-1f0a8a1d2e3f', SecretID: 'nope' }],
    ['no SecretID', { AccessorID: '9e9d4b47-0d3e-4f0c-9c1c-1f0a8a1d2e3f' }],
  ])('treats %s as an update of a missing token (Nomad: cannot find token)', async (_, ids) => {
    const r = await create({ ...ids, Type: 'client', Policies: ['ops'] });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^cannot find token /);
  });

  it('does not upload management tokens, and needs a management caller', async () => {
    const m = await create({ AccessorID: 'a1a1a1a1-0d3e-4f0c-9c1c-1f0a8a1d2e3f', SecretID: 'b1b1b1b1-5f60-4a7b-8c9d-0e1f2a3b4c5d', Type: 'management' });
    expect(m.status).toBe(400);
    const client = (await create({ Type: 'client', Policies: ['ops'] })).body;
    const denied = await create(
      { AccessorID: 'c1c1c1c1-0d3e-4f0c-9c1c-1f0a8a1d2e3f', SecretID: 'd1d1d1d1-5f60-4a7b-8c9d-0e1f2a3b4c5d', Type: 'client', Policies: ['ops'] },
      client.SecretID,
    );
    expect(denied.status).toBe(403);
    expect((await t.call('GET', '/v1/acl/token/self', { token: 'd1d1d1d1-5f60-4a7b-8c9d-0e1f2a3b4c5d' })).status).toBe(403);
  });
});

describe('JobACL on policies', () => {
  const put = (name: string, body: Record<string, unknown>) => t.call('POST', `/v1/acl/policy/${name}`, { token: root, body: { Name: name, Rules: '', ...body } });

  it('stores and returns it on the policy, its stub and /self; null unless set', async () => {
    expect((await put('wi', { JobACL: { Namespace: 'default', JobID: 'web', Group: 'api' } })).status).toBe(200);
    const p = (await t.call('GET', '/v1/acl/policy/wi', { token: root })).body;
    expect(p.JobACL).toEqual({ Namespace: 'default', JobID: 'web', Group: 'api', Task: '' });
    expect(Object.keys(p)).toEqual(['Name', 'Description', 'Rules', 'RulesJSON', 'JobACL', 'Hash', 'CreateIndex', 'ModifyIndex']);
    const stubs = (await t.call('GET', '/v1/acl/policies', { token: root })).body as Array<Record<string, unknown>>;
    expect(stubs.find((s) => s.Name === 'wi')?.JobACL).toEqual(p.JobACL);
    expect(stubs.find((s) => s.Name === 'ops')).toMatchObject({ JobACL: null });
    expect(Object.keys(stubs[0] ?? {})).toEqual(['Name', 'Description', 'JobACL', 'Hash', 'CreateIndex', 'ModifyIndex']);
  });

  it('changes the hash when only the JobACL changes (replication compares hashes)', async () => {
    await put('h', { JobACL: { Namespace: 'a' } });
    const a = (await t.call('GET', '/v1/acl/policy/h', { token: root })).body.Hash;
    await put('h', { JobACL: { Namespace: 'b' } });
    const b = (await t.call('GET', '/v1/acl/policy/h', { token: root })).body.Hash;
    await put('h', { JobACL: null });
    const c = (await t.call('GET', '/v1/acl/policy/h', { token: root })).body;
    expect(new Set([a, b, c.Hash]).size).toBe(3);
    expect(c.JobACL).toBeNull();
  });

  it.each([
    [{ JobID: 'web' }, 'namespace must be set to set job ID'],
    [{ Namespace: 'n', Group: 'g' }, 'job ID must be set to set group'],
    [{ Namespace: 'n', JobID: 'j', Task: 't' }, 'group must be set to set task'],
  ])('validates %j as Nomad does', async (jobACL, message) => {
    const r = await put('bad', { JobACL: jobACL });
    expect(r.status).toBe(400);
    expect(r.text).toBe(`policy 0 invalid: 1 error occurred:\n\t* ${message}\n\n`);
  });

  it('refuses a JobACL of the wrong type', async () => {
    expect((await put('bad', { JobACL: 'default' })).text).toBe('Request decode failed: JobACL must be an object or null');
    expect((await put('bad', { JobACL: { Namespace: 1 } })).text).toBe('Request decode failed: JobACL.Namespace must be a string');
  });
});

describe('GET /v1/acl/policy/self', () => {
  it("answers a client token's own policies, every policy for management, and the anonymous token's without a token", async () => {
    const tok = (await create({ Type: 'client', Policies: ['ops', 'missing'] })).body;
    const mine = await t.call('GET', '/v1/acl/policy/self', { token: tok.SecretID });
    expect(mine.status).toBe(200);
    expect((mine.body as Array<{ Name: string }>).map((p) => p.Name)).toEqual(['ops']);
    expect(mine.headers.get('x-nomad-index')).toMatch(/^[1-9]\d*$/);
    const all = (await t.call('GET', '/v1/acl/policy/self', { token: root })).body as unknown[];
    expect(all.length).toBeGreaterThanOrEqual(1);
    expect((await t.call('GET', '/v1/acl/policy/self')).body).toEqual([]);
    expect((await t.call('GET', '/v1/acl/policy/self', { token: '00000000-0000-0000-0000-000000000000' })).status).toBe(403);
  });
});

describe('X-Nomad-Index on read errors', () => {
  it('is on 404 and 403 answers of token and policy reads', async () => {
    const client = (await create({ Type: 'client', Policies: ['ops'] })).body;
    for (const [path, token, status] of [
      ['/v1/acl/token/00000000-0000-0000-0000-000000000000', root, 404],
      [`/v1/acl/token/${client.AccessorID}`, (await create({ Type: 'client', Policies: ['ops'] })).body.SecretID, 403],
      ['/v1/acl/policy/nope', root, 404],
      ['/v1/acl/policy/secret-stuff', client.SecretID, 403],
    ] as const) {
      const r = await t.call('GET', path, { token });
      expect(r.status, path).toBe(status);
      expect(r.headers.get('x-nomad-index'), path).toMatch(/^[1-9]\d*$/);
    }
  });
});

describe('policies and authorize', () => {
  it('accepts two blocks with one label in a policy and unions them when checking', async () => {
    const rules =
      'namespace "a" { policy = "read" }\nnamespace "a" { capabilities = ["submit-job"] }\n' +
      'node_pool "gpu" { policy = "read" }\nnode_pool "gpu" { capabilities = ["write"] }';
    const w = await t.call('POST', '/v1/acl/policy/twice', { token: root, body: { Name: 'twice', Rules: rules } });
    expect(w.status, w.text).toBe(200);
    const tok = (await create({ Type: 'client', Policies: ['twice'] })).body;
    const r = await t.call('POST', '/v1/acl/authorize', {
      token: tok.SecretID,
      body: {
        Checks: [
          { Resource: 'namespace', Name: 'a', Capability: 'read-job' },
          { Resource: 'namespace', Name: 'a', Capability: 'submit-job' },
          { Resource: 'node_pool', Name: 'gpu', Capability: 'write' },
          { Resource: 'node_pool', Name: 'gpu' },
          { Resource: 'host_volume', Name: 'ssd-1' },
        ],
      },
    });
    expect(r.status, r.text).toBe(200);
    expect((r.body.Results as Array<{ Allowed: boolean }>).map((x) => x.Allowed)).toEqual([true, true, true, true, false]);
  });
});

describe('persistence', () => {
  it('keeps a JobACL across a restart and loads policies stored without one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-jobacl-'));
    try {
      let a = await startTestAgent({}, { dataDir });
      const mgmt = (await a.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
      await a.call('POST', '/v1/acl/policy/plain', { token: mgmt, body: { Name: 'plain', Rules: '' } });
      await a.call('POST', '/v1/acl/policy/wi', { token: mgmt, body: { Name: 'wi', Rules: '', JobACL: { Namespace: 'default', JobID: 'web' } } });
      const before = (await a.call('GET', '/v1/acl/policies', { token: mgmt })).body;
      await a.close();
      a = await startTestAgent({}, { dataDir });
      try {
        const after = (await a.call('GET', '/v1/acl/policies', { token: mgmt })).body;
        expect(after).toEqual(before);
        expect(after.find((p: { Name: string }) => p.Name === 'plain').JobACL).toBeNull();
        expect(after.find((p: { Name: string }) => p.Name === 'wi').JobACL).toEqual({ Namespace: 'default', JobID: 'web', Group: '', Task: '' });
      } finally {
        await a.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
