import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, runCli, startCluster } from './testkit.js';
import type { Cluster } from './testkit.js';

/**
 * Three regions as real agent processes on loopback: `global`
 * (authoritative), `eu-west` and `us-east`, replicating over gRPC. The tests
 * share one cluster and run in order; the ones that stop agents restore
 * them before they end.
 */

let c: Cluster;
const addr = (region: string): string => c.agent(region).addr;
const MIN = 'X-Tollgate-Min-Index';

async function create(region: string, body: Record<string, unknown>): Promise<{ AccessorID: string; SecretID: string; index: number }> {
  const r = await api(addr(region), 'POST', '/v1/acl/token', { token: c.management, body: { Type: 'client', Policies: ['readers'], ...body } });
  expect(r.status, r.text).toBe(200);
  return { ...r.body, index: Number(r.headers.get('x-nomad-index')) };
}

const selfStatus = async (region: string, secret: string, minIndex?: number): Promise<number> =>
  (await api(addr(region), 'GET', '/v1/acl/token/self', { token: secret, headers: minIndex === undefined ? {} : { [MIN]: String(minIndex) } })).status;

beforeAll(async () => {
  c = await startCluster({ serverHcl: '  replication_wait = "2s"' });
  const pol = await api(addr('global'), 'POST', '/v1/acl/policy/readers', {
    token: c.management,
    body: { Name: 'readers', Rules: 'namespace "default" { policy = "read" }' },
  });
  expect(pol.status).toBe(200);
  await c.waitReplicated();
});

afterAll(async () => {
  await c?.close();
});

describe('multi-region cluster', () => {
  it('makes a global token created in eu-west usable there at once and in us-east after replication', async () => {
    const tok = await create('eu-west', { Name: 'made-in-eu', Global: true });
    // Read-your-writes: the forwarded write answered only once eu-west had it.
    expect(await selfStatus('eu-west', tok.SecretID)).toBe(200);
    // The index is the authoritative one: a consistency token for any region.
    expect(await selfStatus('us-east', tok.SecretID, tok.index)).toBe(200);
    expect(await selfStatus('global', tok.SecretID)).toBe(200);
  });

  it('propagates a deletion made in global to every region (403 afterwards)', async () => {
    const tok = await create('global', { Global: true });
    expect(await selfStatus('eu-west', tok.SecretID, tok.index)).toBe(200);
    expect(await selfStatus('us-east', tok.SecretID, tok.index)).toBe(200);
    const del = await api(addr('global'), 'DELETE', `/v1/acl/token/${tok.AccessorID}`, { token: c.management });
    expect(del.status).toBe(200);
    const delIndex = Number(del.headers.get('x-nomad-index'));
    expect(await selfStatus('eu-west', tok.SecretID, delIndex)).toBe(403);
    expect(await selfStatus('us-east', tok.SecretID, delIndex)).toBe(403);
  });

  it('keeps a local token in its own region: 403 everywhere else', async () => {
    const tok = await create('eu-west', { Name: 'local-eu' });
    expect(await selfStatus('eu-west', tok.SecretID)).toBe(200);
    await c.waitReplicated();
    expect(await selfStatus('us-east', tok.SecretID)).toBe(403);
    expect(await selfStatus('global', tok.SecretID)).toBe(403);
  });

  it("runs a request in the region named by ?region=, from the API and from the CLI's -region", async () => {
    // A local token written into eu-west through us-east.
    const viaUs = await api(addr('us-east'), 'POST', '/v1/acl/token?region=eu-west', {
      token: c.management,
      body: { Name: 'remote-local', Type: 'client', Policies: ['readers'] },
    });
    expect(viaUs.status, viaUs.text).toBe(200);
    expect(await selfStatus('eu-west', viaUs.body.SecretID)).toBe(200);
    expect(await selfStatus('us-east', viaUs.body.SecretID)).toBe(403);
    const listed = await api(addr('global'), 'GET', `/v1/acl/tokens?region=eu-west&prefix=${viaUs.body.AccessorID}`, { token: c.management });
    expect(listed.status).toBe(200);
    expect(listed.body.map((t: { AccessorID: string }) => t.AccessorID)).toEqual([viaUs.body.AccessorID]);
    const cli = await runCli(['acl', 'token', 'info', '-region', 'eu-west', viaUs.body.AccessorID], {
      env: { TOLLGATE_ADDR: addr('us-east'), TOLLGATE_TOKEN: c.management },
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('remote-local');
  });

  it('waits for X-Tollgate-Min-Index and answers 504 with a clear message when the index does not come', async () => {
    const before = Number((await api(addr('global'), 'GET', '/v1/agent/health')).body.index);
    // A read asking for an index that global has not reached yet waits for it…
    const pending = api(addr('us-east'), 'POST', '/v1/acl/authorize', {
      token: c.management,
      headers: { [MIN]: String(before + 1) },
      body: { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'read-job' }] },
    });
    await new Promise((r) => setTimeout(r, 200));
    await create('global', { Global: true });
    const answered = await pending;
    expect(answered.status, answered.text).toBe(200);
    expect(answered.body.Results[0].Allowed).toBe(true);
    // …and gives up after server.replication_wait.
    const started = Date.now();
    const late = await api(addr('eu-west'), 'GET', '/v1/acl/policies', { token: c.management, headers: { [MIN]: String(before + 1_000_000) } });
    expect(late.status).toBe(504);
    expect(late.text).toMatch(/^timed out after 2000 ms waiting for region "eu-west" to replicate index \d+ from authoritative region "global"/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it('catches up without loss after a follower is killed mid-stream and restarted', async () => {
    const made: string[] = [];
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        const batch = await Promise.all(Array.from({ length: 8 }, () => create('global', { Global: true })));
        for (const t of batch) made.push(t.SecretID);
      }
    })();
    await eventually(() => made.length >= 100, 20_000);
    await c.agent('us-east').kill();
    await eventually(() => made.length >= 200, 20_000);
    await c.restart('us-east');
    await eventually(() => made.length >= 300, 20_000);
    stop = true;
    await writer;
    await c.waitReplicated();
    const global = await api(addr('global'), 'GET', '/v1/acl/tokens', { token: c.management });
    const us = await api(addr('us-east'), 'GET', '/v1/acl/tokens', { token: c.management });
    const globalIds = (rows: Array<{ AccessorID: string; Global: boolean }>): string[] =>
      rows.filter((t) => t.Global).map((t) => t.AccessorID).sort();
    expect(globalIds(us.body)).toEqual(globalIds(global.body));
    for (const secret of made) expect(await selfStatus('us-east', secret)).toBe(200);
    const status = await api(addr('us-east'), 'GET', '/v1/acl/replication', { token: c.management });
    expect(status.body.Sources[0]).toMatchObject({ SourceRegion: 'global', Streaming: true, IndexLag: 0 });
  });

  it('keeps a follower serving while global is down, fails global writes fast naming the region, and catches up after', async () => {
    const known = await create('global', { Global: true });
    await c.waitReplicated(known.index);
    await c.agent('global').kill();

    expect(await selfStatus('eu-west', known.SecretID)).toBe(200);
    const authz = await api(addr('eu-west'), 'POST', '/v1/acl/authorize', {
      token: known.SecretID,
      body: { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'read-job' }] },
    });
    expect(authz.status).toBe(200);
    expect(authz.body.Results[0].Allowed).toBe(true);
    const local = await create('eu-west', { Name: 'written-while-global-down' });
    expect(await selfStatus('eu-west', local.SecretID)).toBe(200);

    const started = Date.now();
    const global = await api(addr('eu-west'), 'POST', '/v1/acl/token', {
      token: c.management,
      body: { Type: 'client', Policies: ['readers'], Global: true },
    });
    expect(global.status).toBe(503);
    expect(global.text).toMatch(/^authoritative region "global" unreachable: /);
    expect(Date.now() - started).toBeLessThan(5_000);
    const policy = await api(addr('eu-west'), 'POST', '/v1/acl/policy/while-down', { token: c.management, body: { Name: 'while-down', Rules: '' } });
    expect(policy.status).toBe(503);

    const down = await eventually(async () => {
      const s = await api(addr('eu-west'), 'GET', '/v1/acl/replication', { token: c.management });
      return s.body.Sources[0].Streaming === false && s.body.Sources[0];
    });
    expect(down.LastError.Reason).toMatch(/unreachable|heartbeat_timeout|stream_error/);
    const metrics = await api(addr('eu-west'), 'GET', '/v1/metrics?format=prometheus');
    expect(metrics.text).toMatch(/tollgate_replication_lag_seconds\{source_region="global",region="eu-west"\} (?!0\n)[\d.e-]+/);

    await c.restart('global');
    const after = await create('global', { Global: true });
    expect(await selfStatus('eu-west', after.SecretID, after.index)).toBe(200);
    expect(await selfStatus('us-east', after.SecretID, after.index)).toBe(200);
    const viaEu = await create('eu-west', { Global: true });
    expect(await selfStatus('eu-west', viaEu.SecretID)).toBe(200);
  });

  it('refuses a client-type replication token with a clear error and deletes nothing', async () => {
    const client = await create('global', { Name: 'not-a-replicator', Global: true });
    await c.waitReplicated(client.index);
    const before = await api(addr('us-east'), 'GET', '/v1/acl/tokens', { token: c.management });
    const us = await c.restart('us-east', { replicationToken: client.SecretID });
    const status = await eventually(async () => {
      const s = await api(us.addr, 'GET', '/v1/acl/replication', { token: c.management });
      return s.body.Sources[0].LastError !== null && s.body.Sources[0];
    });
    expect(status.LastError.Reason).toBe('permission_denied');
    expect(status.LastError.Message).toMatch(/replication token must be a management token/);
    const metrics = await api(us.addr, 'GET', '/v1/metrics?format=prometheus');
    expect(metrics.text).toMatch(/tollgate_replication_errors_total\{source_region="global",reason="permission_denied",region="us-east"\} [1-9]/);
    const logged = us.logs.find((l) => typeof l.msg === 'string' && l.msg.includes('replication token refused'));
    expect(logged?.level).toBe(50); // pino "error"
    // A global write made now does not reach us-east, and nothing there was deleted.
    await create('global', { Global: true });
    await new Promise((r) => setTimeout(r, 500));
    const after = await api(us.addr, 'GET', '/v1/acl/tokens', { token: c.management });
    expect(after.body.map((t: { AccessorID: string }) => t.AccessorID).sort()).toEqual(
      before.body.map((t: { AccessorID: string }) => t.AccessorID).sort(),
    );
    expect(await selfStatus('us-east', client.SecretID)).toBe(200);
    await c.restart('us-east');
    await c.waitReplicated();
  });
});
