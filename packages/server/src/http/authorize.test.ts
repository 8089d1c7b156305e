import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeAnswerJson } from './authorize-route.js';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

let t: TestAgent;
let root: string;
let app: { AccessorID: string; SecretID: string };

const APP_RULES = `
namespace "default" {
  policy = "write"
  variables {
    path "app/*" { capabilities = ["read"] }
  }
}
namespace "prod-*" { policy = "read" }
namespace "prod-secret" { policy = "deny" }
host_volume "ssd-*" { policy = "read" }
node_pool "gpu" { policy = "write" }
node { policy = "read" }
plugin { policy = "list" }
operator { policy = "read" }
`;

async function authorize(token: string | undefined, body: unknown) {
  return t.call('POST', '/v1/acl/authorize', { token, body });
}

beforeAll(async () => {
  t = await startTestAgent();
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
  await t.call('POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Rules: APP_RULES } });
  app = (await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'], Name: 'app' } })).body;
});

afterAll(async () => {
  await t.close();
});

describe('POST /v1/acl/authorize', () => {
  it('answers every check in order with a reason naming what decided', async () => {
    const r = await authorize(app.SecretID, {
      Checks: [
        { Resource: 'namespace', Name: 'default', Capability: 'submit-job' },
        { Resource: 'namespace', Name: 'prod-api', Capability: 'read-job' },
        { Resource: 'namespace', Name: 'prod-api', Capability: 'submit-job' },
        { Resource: 'namespace', Name: 'prod-secret', Capability: 'read-job' },
        { Resource: 'namespace', Name: 'staging' },
        { Resource: 'variable', Namespace: 'default', Name: 'app/db', Capability: 'read' },
        { Resource: 'variable', Namespace: 'default', Name: 'app/db', Capability: 'write' },
        { Resource: 'host_volume', Name: 'ssd-1', Capability: 'mount-readonly' },
        { Resource: 'host_volume', Name: 'ssd-1', Capability: 'mount-readwrite' },
        { Resource: 'node_pool', Name: 'gpu', Capability: 'write' },
        { Resource: 'node', Capability: 'read' },
        { Resource: 'node', Capability: 'write' },
        { Resource: 'agent', Capability: 'read' },
        { Resource: 'plugin', Capability: 'list' },
        { Resource: 'plugin', Capability: 'read' },
        { Resource: 'operator', Capability: 'license-read' },
        { Resource: 'quota', Capability: 'read' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.AccessorID).toBe(app.AccessorID);
    const allowed = r.body.Results.map((x: { Allowed: boolean }) => x.Allowed);
    expect(allowed).toEqual([true, true, false, false, false, true, false, true, false, true, true, false, false, true, false, true, false]);
    const reasons: string[] = r.body.Results.map((x: { Reason: string }) => x.Reason);
    expect(reasons[0]).toMatch(/policy "app".*namespace "default"/);
    expect(reasons[1]).toMatch(/prod-\*/);
    expect(reasons[3]).toMatch(/deny/);
    expect(reasons[4]).toMatch(/no rule matched/);
    expect(reasons.every((s) => s.length > 0)).toBe(true);
  });

  it('treats Name "*" as "in any namespace"', async () => {
    const r = await authorize(app.SecretID, { Checks: [{ Resource: 'namespace', Name: '*', Capability: 'submit-job' }] });
    expect(r.body.Results[0].Allowed).toBe(true);
  });

  it('allows everything for a management token', async () => {
    const r = await authorize(root, { Checks: [{ Resource: 'operator', Capability: 'snapshot-save' }, { Resource: 'quota', Capability: 'write' }] });
    expect(r.body.Results.map((x: { Allowed: boolean }) => x.Allowed)).toEqual([true, true]);
    expect(r.body.Results[0].Reason).toMatch(/management/);
  });

  it('denies anonymous callers by default, and follows the anonymous policy once written', async () => {
    const before = await authorize(undefined, { Checks: [{ Resource: 'node', Capability: 'read' }] });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ AccessorID: 'anonymous', Results: [{ Allowed: false }] });
    await t.call('POST', '/v1/acl/policy/anonymous', { token: root, body: { Name: 'anonymous', Rules: 'node { policy = "read" }' } });
    const after = await authorize(undefined, { Checks: [{ Resource: 'node', Capability: 'read' }] });
    expect(after.body.Results[0].Allowed).toBe(true);
    await t.call('DELETE', '/v1/acl/policy/anonymous', { token: root });
    const gone = await authorize(undefined, { Checks: [{ Resource: 'node', Capability: 'read' }] });
    expect(gone.body.Results[0].Allowed).toBe(false);
  });

  it('sees a policy change at once (the compiled ACL cache is keyed by ModifyIndex)', async () => {
    await t.call('POST', '/v1/acl/policy/flip', { token: root, body: { Name: 'flip', Rules: 'agent { policy = "read" }' } });
    const tok = (await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['flip'] } })).body;
    const check = { Checks: [{ Resource: 'agent', Capability: 'write' }] };
    expect((await authorize(tok.SecretID, check)).body.Results[0].Allowed).toBe(false);
    await t.call('POST', '/v1/acl/policy/flip', { token: root, body: { Name: 'flip', Rules: 'agent { policy = "write" }' } });
    expect((await authorize(tok.SecretID, check)).body.Results[0].Allowed).toBe(true);
  });

  it('lets a management token check another token by SecretID, and no one else', async () => {
    const check = { Checks: [{ Resource: 'node', Capability: 'read' }], SecretID: app.SecretID };
    const byRoot = await authorize(root, check);
    expect(byRoot.status).toBe(200);
    expect(byRoot.body).toMatchObject({ AccessorID: app.AccessorID, Results: [{ Allowed: true }] });
    const byClient = await authorize(app.SecretID, check);
    expect(byClient.status).toBe(403);
    const unknown = await authorize(root, { ...check, SecretID: '00000000-0000-0000-0000-000000000000' });
    expect(unknown.status).toBe(200);
    expect(unknown.body.Results).toEqual([{ Allowed: false, Reason: 'ACL token not found' }]);
    const empty = await authorize(root, { ...check, SecretID: '' });
    expect(empty.body.Results).toEqual([{ Allowed: false, Reason: 'ACL token not found' }]);
  });

  it('answers an unknown caller token with 403', async () => {
    const r = await authorize('00000000-0000-0000-0000-000000000000', { Checks: [{ Resource: 'node', Capability: 'read' }] });
    expect(r.status).toBe(403);
    expect(r.text).toBe('Permission denied');
  });

  it.each([
    [{}, 'Checks must be a non-empty list'],
    [{ Checks: [] }, 'Checks must be a non-empty list'],
    [{ Checks: 'x' }, 'Checks must be a non-empty list'],
    [[1], 'Request body must be a JSON object'],
    [{ Checks: [{ Resource: 'namespace', Name: 'default' }, { Resource: 'nope' }] }, 'Checks[1]: Resource must be one of'],
    [{ Checks: [{ Resource: 'namespace' }] }, 'Checks[0]: '],
    [{ Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'fly' }] }, 'Checks[0]: '],
    [{ Checks: [{ Resource: 'node', Capability: 'list' }] }, 'Checks[0]: '],
    [{ Checks: [{ Resource: 'variable', Namespace: 'default', Name: 'a', Capability: 'read' }], SecretID: 5 }, 'SecretID must be a string'],
  ])('rejects malformed body %j with a 400 naming the position', async (body, text) => {
    const r = await authorize(app.SecretID, body);
    expect(r.status).toBe(400);
    expect(r.text).toContain(text);
  });

  it('answers alike on the raw fast path and through Fastify (query string, min-index header)', async () => {
    const body = { Checks: [{ Resource: 'node', Capability: 'read' }, { Resource: 'node', Capability: 'write' }] };
    const fast = await authorize(app.SecretID, body);
    const viaFastify = await t.call('POST', '/v1/acl/authorize?region=global', { token: app.SecretID, body });
    const withMinIndex = await t.call('POST', '/v1/acl/authorize', { token: app.SecretID, body, headers: { 'X-Tollgate-Min-Index': '1' } });
    expect(viaFastify.status).toBe(200);
    expect(viaFastify.body).toEqual(fast.body);
    expect(withMinIndex.body).toEqual(fast.body);
    const badFast = await t.call('POST', '/v1/acl/authorize', { token: app.SecretID, raw: '{"Checks":' });
    const badFastify = await t.call('POST', '/v1/acl/authorize?region=global', { token: app.SecretID, raw: '{"Checks":' });
    expect([badFast.status, badFast.text]).toEqual([400, 'Request decode failed: body is not valid JSON']);
    expect([badFastify.status, badFastify.text]).toEqual([badFast.status, badFast.text]);
    const huge = await t.call('POST', '/v1/acl/authorize', { token: app.SecretID, raw: JSON.stringify({ Checks: [], pad: 'x'.repeat(1_100_000) }) });
    expect(huge.status).toBe(413);
    const m = (await t.call('GET', '/v1/metrics?format=prometheus')).text;
    expect(m).toMatch(/tollgate_http_requests_total\{method="POST",route="\/v1\/acl\/authorize",code="200",region="global"\} [1-9]/);
  });

  it('refuses more checks than the configured limit', async () => {
    const checks = Array.from({ length: 257 }, () => ({ Resource: 'node', Capability: 'read' }));
    const r = await authorize(app.SecretID, { Checks: checks });
    expect(r.status).toBe(400);
    expect(r.text).toContain('at most 256');
  });

  it('counts decisions in tollgate_authorize_checks_total', async () => {
    // Its own calls, measured before and after: no dependence on the tests above.
    const counts = async (): Promise<{ allowed: number; denied: number }> => {
      const m = (await t.call('GET', '/v1/metrics?format=prometheus')).text;
      const value = (result: string): number =>
        Number(new RegExp(`tollgate_authorize_checks_total\\{result="${result}",region="global"\\} (\\d+)`).exec(m)?.[1] ?? 0);
      return { allowed: value('allowed'), denied: value('denied') };
    };
    const before = await counts();
    const r = await authorize(app.SecretID, { Checks: [{ Resource: 'node', Capability: 'read' }, { Resource: 'node', Capability: 'write' }, { Resource: 'quota', Capability: 'read' }] });
    expect(r.body.Results.map((x: { Allowed: boolean }) => x.Allowed)).toEqual([true, false, false]);
    expect(await counts()).toEqual({ allowed: before.allowed + 1, denied: before.denied + 2 });
  });
});

describe('authorizeAnswerJson', () => {
  it('writes exactly what JSON.stringify writes, for shared (frozen) and fresh decisions, each time', () => {
    const shared = Object.freeze({ Allowed: true, Reason: 'allowed by policy "a" namespace "d\u00e9fault"' });
    const fresh = { Allowed: false, Reason: 'no rule matched namespace "x\\"y"' };
    const answers = [
      { AccessorID: 'e2bd2c05-7a0f-4e1d-bb3b-5a1a0a6a0c11', Results: [shared] },
      { AccessorID: '', Results: [shared, fresh, shared] },
      { AccessorID: 'a', Results: [fresh] },
    ];
    for (let round = 0; round < 2; round++) {
      for (const a of answers) expect(authorizeAnswerJson(a)).toBe(JSON.stringify(a));
    }
  });
});
