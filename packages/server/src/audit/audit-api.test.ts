import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';
import { verifyAuditLog } from './audit-verify.js';

/**
 * The audit lines of real requests: two regions in one process (`global`
 * authoritative, `eu-west` forwarding), each with its own audit file.
 */

type Line = Record<string, any>;

let dir: string;
let global: TestAgent;
let eu: TestAgent;
let root: string;
const secrets: string[] = [];

const auditPath = (name: string): string => join(dir, name, 'audit.log');

async function linesOf(t: TestAgent, name: string): Promise<Line[]> {
  await t.agent.audit?.writer.flush();
  return (await readFile(auditPath(name), 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-api-'));
  global = await startTestAgent({ audit: { enabled: true, path: auditPath('global') } });
  const boot = await global.call('POST', '/v1/acl/bootstrap');
  root = boot.body.SecretID;
  secrets.push(root);
  await global.call('POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Rules: 'namespace "default" { policy = "read" }' } });
  eu = await startTestAgent({
    region: 'eu-west',
    audit: { enabled: true, path: auditPath('eu-west') },
    server: { authoritative_region: 'global', region_peers: { global: [global.agent.rpcAddress] }, replication_wait: '5s' },
    acl: { replication_token: root },
  });
});

afterAll(async () => {
  await eu?.close();
  await global?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('audit lines of requests', () => {
  it('logs every write kind durably before answering, each with its caller, target, result and index', async () => {
    const pol = await global.call('POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Description: 'again', Rules: 'namespace "default" { policy = "read" }' } });
    expect(pol.status).toBe(200);
    const created = await global.call('POST', '/v1/acl/token', { token: root, body: { Name: 'svc', Type: 'client', Policies: ['app'] } });
    secrets.push(created.body.SecretID);
    const accessor = created.body.AccessorID as string;
    const updated = await global.call('POST', `/v1/acl/token/${accessor}`, { token: root, body: { AccessorID: accessor, Name: 'svc2', Type: 'client', Policies: ['app'] } });
    expect(updated.status).toBe(200);
    const doomed = await global.call('POST', '/v1/acl/token', { token: root, body: { Name: 'doomed', Type: 'client', Policies: ['app'] } });
    secrets.push(doomed.body.SecretID);
    expect((await global.call('DELETE', `/v1/acl/token/${doomed.body.AccessorID}`, { token: root })).status).toBe(200);
    await global.call('POST', '/v1/acl/policy/tmp', { token: root, body: { Name: 'tmp', Rules: 'node { policy = "read" }' } });
    expect((await global.call('DELETE', '/v1/acl/policy/tmp', { token: root })).status).toBe(200);

    // Read without flushing: a write's line is on disk before its answer.
    const lines = (await readFile(auditPath('global'), 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
    const ops = lines.map((l) => l.op);
    for (const op of ['acl.bootstrap', 'acl.policy.write', 'acl.token.create', 'acl.token.update', 'acl.token.delete', 'acl.policy.delete']) {
      expect(ops).toContain(op);
    }
    const create = lines.find((l) => l.op === 'acl.token.create' && l.target?.accessor_id === accessor) as Line;
    expect(create).toMatchObject({
      type: 'audit',
      region: 'global',
      client: { address: '127.0.0.1' },
      auth: { name: 'Bootstrap Token', type: 'management', meta: {}, secret: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/) },
      method: 'POST',
      path: '/v1/acl/token',
      result: 'ok',
      status: 200,
      response: { accessor_id: accessor, secret_id: expect.stringMatching(/^hmac-sha256:/) },
      index: Number(created.headers.get('x-nomad-index')),
    });
    expect(create.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    expect(new Date(create.time as string).getTime()).toBeGreaterThan(0);
    const boot = lines.find((l) => l.op === 'acl.bootstrap') as Line;
    expect(boot.auth).toMatchObject({ accessor_id: 'anonymous' });
    expect(lines.find((l) => l.op === 'acl.token.delete')).toMatchObject({ target: { accessor_id: doomed.body.AccessorID }, result: 'ok' });
    expect(lines.find((l) => l.op === 'acl.policy.delete')).toMatchObject({ target: { policy: 'tmp' }, result: 'ok' });
  });

  it('logs renewals and revocations (cascade and revoke-orphan) durably, with the caller\'s Meta and parent and no secret', async () => {
    const parent = await global.call('POST', '/v1/acl/token', { token: root, body: { Name: 'lead', Type: 'management', Meta: { team: 'payments' } } });
    const kid = await global.call('POST', '/v1/acl/token', { token: parent.body.SecretID, body: { Name: 'kid', Type: 'management', Child: true, ExpirationTTL: '1h' } });
    const grand = await global.call('POST', '/v1/acl/token', { token: kid.body.SecretID, body: { Name: 'grand', Type: 'client', Policies: ['app'], Child: true } });
    secrets.push(parent.body.SecretID, kid.body.SecretID, grand.body.SecretID);
    expect((await global.call('POST', '/v1/acl/token/self/renew', { token: kid.body.SecretID, body: { Increment: '2h' } })).status).toBe(200);
    expect((await global.call('POST', `/v1/acl/token/${kid.body.AccessorID}/revoke-orphan`, { token: parent.body.SecretID })).status).toBe(200);
    expect((await global.call('DELETE', `/v1/acl/token/${parent.body.AccessorID}`, { token: root })).status).toBe(200);
    const lines = (await readFile(auditPath('global'), 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
    expect(lines.find((l) => l.op === 'acl.token.renew')).toMatchObject({
      auth: { accessor_id: kid.body.AccessorID, parent: parent.body.AccessorID, meta: {} },
      target: { accessor_id: kid.body.AccessorID },
      response: { accessor_id: kid.body.AccessorID, secret_id: expect.stringMatching(/^hmac-sha256:/) },
      result: 'ok',
      index: expect.any(Number),
    });
    expect(lines.find((l) => l.op === 'acl.token.revoke-orphan')).toMatchObject({
      auth: { accessor_id: parent.body.AccessorID, meta: { team: 'payments' } },
      target: { accessor_id: kid.body.AccessorID },
      result: 'ok',
      index: expect.any(Number),
    });
    // kid was revoked without its child: deleting a parent whose tree is gone takes nothing else.
    const del = lines.find((l) => l.op === 'acl.token.delete' && l.target?.accessor_id === parent.body.AccessorID) as Line;
    expect(del.target.revoked_descendants).toBeUndefined();
    expect((await global.call('GET', '/v1/acl/token/self', { token: grand.body.SecretID })).status).toBe(200);
  });

  it('logs allowed and denied checks with each reason, on the fast path and through Fastify', async () => {
    const tok = await global.call('POST', '/v1/acl/token', { token: root, body: { Name: 'checker', Type: 'client', Policies: ['app'] } });
    const secret = tok.body.SecretID as string;
    secrets.push(secret);
    const checks = [
      { Resource: 'namespace', Name: 'default', Capability: 'read-job' },
      { Resource: 'namespace', Name: 'default', Capability: 'submit-job' },
    ];
    const fast = await global.call('POST', '/v1/acl/authorize', { token: secret, body: { Checks: checks } });
    expect(fast.body.Results.map((r: { Allowed: boolean }) => r.Allowed)).toEqual([true, false]);
    const allowed = await global.call('POST', '/v1/acl/authorize', { token: secret, body: { Checks: [checks[0]] } });
    expect(allowed.status).toBe(200);
    // A query string takes the Fastify route; a management caller checks another token by its secret.
    const slow = await global.call('POST', '/v1/acl/authorize?stale', { token: root, body: { SecretID: secret, Checks: [checks[1]] } });
    expect(slow.body.Results[0].Allowed).toBe(false);
    const refused = await global.call('POST', '/v1/acl/authorize', { token: 'not-a-token', body: { Checks: [checks[0]] } });
    expect(refused.status).toBe(403);

    const lines = (await linesOf(global, 'global')).filter((l) => l.op === 'acl.authorize');
    const mine = lines.filter((l) => l.auth.accessor_id === tok.body.AccessorID);
    expect(mine[0]).toMatchObject({
      result: 'denied',
      status: 200,
      path: '/v1/acl/authorize',
      target: {
        checks: [
          { resource: 'namespace', name: 'default', capability: 'read-job', allowed: true, reason: expect.stringContaining('allowed by policy "app"') },
          { resource: 'namespace', name: 'default', capability: 'submit-job', allowed: false, reason: expect.stringContaining('does not grant') },
        ],
      },
    });
    expect(mine[1]).toMatchObject({ result: 'allowed', target: { checks: [{ allowed: true }] } });
    const onBehalf = lines.find((l) => l.target?.accessor_id === tok.body.AccessorID) as Line;
    expect(onBehalf).toMatchObject({ auth: { type: 'management' }, result: 'denied', target: { secret: expect.stringMatching(/^hmac-sha256:/), checks: [{ allowed: false }] } });
    expect(onBehalf.target.secret).toBe(mine[0]?.auth.secret);
    const unknown = lines.find((l) => l.status === 403) as Line;
    expect(unknown).toMatchObject({ result: 'denied', reason: 'Permission denied', auth: { accessor_id: '', error: 'ACL token not found' } });
  });

  it('logs denials and reads that return a SecretID by its HMAC, which POST /v1/audit/hash reproduces', async () => {
    const tok = await global.call('POST', '/v1/acl/token', { token: root, body: { Name: 'reader', Type: 'client', Policies: ['app'] } });
    const secret = tok.body.SecretID as string;
    secrets.push(secret);
    expect((await global.call('GET', '/v1/acl/tokens', { token: secret })).status).toBe(403);
    expect((await global.call('GET', '/v1/acl/token/self', { token: secret })).status).toBe(200);
    const hash = await global.call('POST', '/v1/audit/hash', { token: root, body: { Input: secret } });
    expect(hash.body.Hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect((await global.call('POST', '/v1/audit/hash', { token: secret, body: { Input: secret } })).status).toBe(403);
    const lines = await linesOf(global, 'global');
    const denied = lines.find((l) => l.op === 'acl.token.list' && l.status === 403) as Line;
    expect(denied).toMatchObject({ result: 'denied', reason: 'Permission denied', auth: { accessor_id: tok.body.AccessorID, secret: hash.body.Hash } });
    const self = lines.find((l) => l.op === 'acl.token.self' && l.auth.accessor_id === tok.body.AccessorID) as Line;
    expect(self.response).toEqual({ accessor_id: tok.body.AccessorID, secret_id: hash.body.Hash });
    // Every line with this secret is found by its hash.
    expect(lines.filter((l) => JSON.stringify(l).includes(hash.body.Hash as string)).length).toBeGreaterThanOrEqual(4);
  });

  it('logs a forwarded global write where it arrived and where it was applied, with one request id', async () => {
    const created = await eu.call('POST', '/v1/acl/token', { token: root, body: { Name: 'global-one', Type: 'client', Policies: ['app'], Global: true } });
    expect(created.status).toBe(200);
    secrets.push(created.body.SecretID);
    const arrived = (await linesOf(eu, 'eu-west')).find((l) => l.op === 'acl.token.create' && l.target?.accessor_id === created.body.AccessorID) as Line;
    expect(arrived).toMatchObject({ region: 'eu-west', forwarded: { role: 'arrived', to_region: 'global' }, result: 'ok' });
    const applied = (await linesOf(global, 'global')).find((l) => l.op === 'acl.token.create' && l.target?.accessor_id === created.body.AccessorID) as Line;
    expect(applied).toMatchObject({
      region: 'global',
      forwarded: { role: 'applied', from_region: 'eu-west', origin_request_id: arrived.request_id, peer: expect.stringMatching(/:\d+$/) },
      result: 'ok',
    });
    expect(applied.client.address).toBe(applied.forwarded.peer);
  });

  it('logs a ?region= request in the region it arrived in and in the one that answered it', async () => {
    const r = await eu.call('GET', '/v1/acl/tokens?region=global', { token: root });
    expect(r.status).toBe(200);
    const arrived = (await linesOf(eu, 'eu-west')).filter((l) => l.op === 'acl.token.list').at(-1) as Line;
    expect(arrived).toMatchObject({ forwarded: { role: 'arrived', to_region: 'global' }, path: '/v1/acl/tokens', status: 200 });
    const applied = (await linesOf(global, 'global')).find((l) => l.op === 'acl.token.list' && l.forwarded?.origin_request_id === arrived.request_id);
    expect(applied).toMatchObject({ forwarded: { role: 'applied', from_region: 'eu-west' }, result: 'ok' });
  });

  it('does not trust a forwarded marker sent by a client', async () => {
    const r = await global.call('GET', '/v1/acl/token/self', { token: root, headers: { 'x-tollgate-audit-origin': 'x {"region":"evil"}' } });
    expect(r.status).toBe(200);
    const line = (await linesOf(global, 'global')).filter((l) => l.op === 'acl.token.self').at(-1) as Line;
    expect(line.forwarded).toBeUndefined();
  });

  it('never writes a SecretID, and both logs verify', async () => {
    // Secrets of this test's own requests, plus those of any test run before.
    const own = [root];
    for (const [t, global_] of [[global, false], [eu, false], [eu, true]] as const) {
      const tok = await t.call('POST', '/v1/acl/token', { token: root, body: { Name: 'scan', Type: 'client', Policies: ['app'], Global: global_ } });
      own.push(tok.body.SecretID);
      await t.call('POST', '/v1/acl/authorize', { token: tok.body.SecretID, body: { Checks: [{ Resource: 'namespace', Name: 'default' }] } });
      await t.call('POST', '/v1/acl/authorize?stale', { token: root, body: { SecretID: tok.body.SecretID, Checks: [{ Resource: 'node', Capability: 'read' }] } });
      await t.call('GET', `/v1/acl/token/${tok.body.AccessorID}`, { token: root });
      await t.call('GET', '/v1/acl/token/self', { token: tok.body.SecretID });
      await t.call('DELETE', `/v1/acl/token/${tok.body.AccessorID}`, { token: root });
    }
    for (const [t, name] of [[global, 'global'], [eu, 'eu-west']] as const) {
      await t.agent.audit?.writer.flush();
      const text = await readFile(auditPath(name), 'utf8');
      expect(text).toContain('"op":"acl.token.self"');
      for (const s of [...own, ...secrets]) expect(text).not.toContain(s);
      expect(verifyAuditLog([{ name, text }])).toMatchObject({ ok: true });
    }
  });
});
