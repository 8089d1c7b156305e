import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../config.js';
import { startTestAgent, until } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';
import type { ReplicationEvent } from './replication-loop.js';

/**
 * Two regions in one process, over real gRPC on loopback: `global`
 * (authoritative) and `eu-west`. The e2e suite repeats the important paths
 * with real processes; these run in a second.
 */

let global: TestAgent;
let root: string;
const followers: TestAgent[] = [];

async function follower(extra: Partial<AgentConfigInput> = {}, opts: { dataDir?: string } = {}): Promise<TestAgent> {
  const f = await startTestAgent(
    {
      region: 'eu-west',
      ...extra,
      server: {
        authoritative_region: 'global',
        region_peers: { global: [global.agent.rpcAddress] },
        replication_wait: '2s',
        ...extra.server,
      },
      acl: { replication_token: root, ...extra.acl },
    },
    opts,
  );
  followers.push(f);
  return f;
}

/** A follower that has caught up with everything `global` holds now. */
async function caughtUp(f: TestAgent): Promise<TestAgent> {
  await f.agent.awaitAuthoritativeIndex(global.agent.store.index());
  return f;
}

async function nextEvent(t: TestAgent, match: (ev: ReplicationEvent) => boolean, timeoutMs = 10_000): Promise<ReplicationEvent> {
  const loop = t.agent.replication;
  if (loop === undefined) throw new Error('no replication loop');
  for await (const ev of loop.events(AbortSignal.timeout(timeoutMs))) if (match(ev)) return ev;
  throw new Error('no matching replication event');
}

async function createToken(t: TestAgent, body: Record<string, unknown>): Promise<{ AccessorID: string; SecretID: string; index: number }> {
  const r = await t.call('POST', '/v1/acl/token', { token: root, body });
  expect(r.status, r.text).toBe(200);
  return { ...r.body, index: Number(r.headers.get('x-nomad-index')) };
}

beforeAll(async () => {
  global = await startTestAgent({ region: 'global' });
  const boot = await global.call('POST', '/v1/acl/bootstrap');
  expect(boot.status).toBe(200);
  root = boot.body.SecretID;
  const pol = await global.call('POST', '/v1/acl/policy/readers', {
    token: root,
    body: { Name: 'readers', Rules: 'namespace "default" { policy = "read" }' },
  });
  expect(pol.status).toBe(200);
});

afterEach(async () => {
  while (followers.length > 0) await followers.pop()!.close();
});

afterAll(async () => {
  await global.close();
});

describe('replication from the authoritative region', () => {
  it('copies global tokens and policies, SecretIDs included, and reports itself caught up', async () => {
    const tok = await createToken(global, { Type: 'client', Policies: ['readers'], Global: true });
    const eu = await follower();
    const self = await until(async () => {
      const r = await eu.call('GET', '/v1/acl/token/self', { token: tok.SecretID });
      return r.status === 200 && r.body;
    });
    expect(self).toMatchObject({ AccessorID: tok.AccessorID, Policies: ['readers'], Global: true });
    const pol = await eu.call('GET', '/v1/acl/policy/readers', { token: root });
    expect(pol.body.Rules).toBe('namespace "default" { policy = "read" }');
    const status = await until(async () => {
      const r = await eu.call('GET', '/v1/acl/replication', { token: root });
      return r.body.Sources[0]?.Streaming === true && r.body;
    });
    expect(status.Sources[0]).toMatchObject({ SourceRegion: 'global', Running: true, LastError: null, IndexLag: 0 });
    expect(status.Sources[0].AppliedIndex).toBe(global.agent.store.index());
    const metrics = await eu.call('GET', '/v1/metrics?format=prometheus');
    expect(metrics.text).toMatch(/tollgate_replication_lag_seconds\{source_region="global",region="eu-west"\} 0/);
  });

  it('propagates a deletion: the token is refused in the follower afterwards', async () => {
    const tok = await createToken(global, { Type: 'client', Policies: ['readers'], Global: true });
    const eu = await follower();
    await until(async () => (await eu.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status === 200);
    const del = await global.call('DELETE', `/v1/acl/token/${tok.AccessorID}`, { token: root });
    expect(del.status).toBe(200);
    await until(async () => (await eu.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status === 403);
  });

  it('keeps a local token of the authoritative region out of the follower', async () => {
    const eu = await follower();
    const local = await createToken(global, { Type: 'client', Policies: ['readers'] });
    // The follower's cursor passes the local token's index (heartbeat progress) without copying it.
    await eu.agent.awaitAuthoritativeIndex(local.index);
    expect((await eu.call('GET', '/v1/acl/token/self', { token: local.SecretID })).status).toBe(403);
  });
});

describe('writes made in a follower', () => {
  it('forwards a global token create and answers once the token works here (read-your-writes)', async () => {
    const eu = await follower();
    await nextEvent(eu, (e) => e.type === 'connected');
    const r = await eu.call('POST', '/v1/acl/token', { token: root, body: { Name: 'from-eu', Type: 'client', Policies: ['readers'], Global: true } });
    expect(r.status, r.text).toBe(200);
    const index = Number(r.headers.get('x-nomad-index'));
    // The answer is the authoritative one: its index, its CreateIndex.
    expect(global.agent.store.tokenByAccessor(r.body.AccessorID)?.CreateIndex).toBe(index);
    expect(r.body.CreateIndex).toBe(index);
    // No polling: it must work in this region right away.
    const self = await eu.call('GET', '/v1/acl/token/self', { token: r.body.SecretID });
    expect(self.status).toBe(200);
    expect(self.body.Name).toBe('from-eu');
  });

  it("answers the authoritative region's refusal unchanged", async () => {
    const eu = await follower();
    const bad = await eu.call('POST', '/v1/acl/policy/x', { token: root, body: { Name: 'y', Rules: '' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toBe('ACL policy name does not match request path');
    const again = await eu.call('POST', '/v1/acl/bootstrap');
    expect(again.status).toBe(400);
    expect(again.text).toMatch(/^ACL bootstrap already done \(reset index: \d+\)$/);
  });

  it('answers a forwarded error with the same code and status as a local one (TOLLGATE_BOOTSTRAP through a follower)', async () => {
    const eu = await follower();
    const local = await global.call('POST', '/v1/acl/bootstrap');
    const forwarded = await eu.call('POST', '/v1/acl/bootstrap');
    expect(local.status).toBe(400);
    expect(local.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_BOOTSTRAP');
    expect([forwarded.status, forwarded.headers.get('x-tollgate-error-code'), forwarded.text]).toEqual([local.status, 'TOLLGATE_BOOTSTRAP', local.text]);
    const body = { Name: 'y', Rules: '' };
    const localBad = await global.call('POST', '/v1/acl/policy/x', { token: root, body });
    const forwardedBad = await eu.call('POST', '/v1/acl/policy/x', { token: root, body });
    expect(localBad.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_BAD_REQUEST');
    expect([forwardedBad.status, forwardedBad.headers.get('x-tollgate-error-code'), forwardedBad.text]).toEqual([
      localBad.status,
      'TOLLGATE_BAD_REQUEST',
      localBad.text,
    ]);
  });

  it('writes a local token in the follower only', async () => {
    const eu = await caughtUp(await follower());
    const local = await createToken(eu, { Type: 'client', Policies: ['readers'] });
    expect((await eu.call('GET', '/v1/acl/token/self', { token: local.SecretID })).status).toBe(200);
    expect(global.agent.store.tokenByAccessor(local.AccessorID)).toBeUndefined();
    expect((await global.call('GET', '/v1/acl/token/self', { token: local.SecretID })).status).toBe(403);
  });
});

describe('?region= and X-Tollgate-Min-Index', () => {
  it('runs a request in the region it names and answers with that region’s data', async () => {
    const eu = await caughtUp(await follower());
    const local = await createToken(eu, { Type: 'client', Policies: ['readers'] });
    // Asked from eu-west for global: the local token is unknown there.
    const there = await eu.call('GET', '/v1/acl/token/self?region=global', { token: local.SecretID });
    expect(there.status).toBe(403);
    const here = await eu.call('GET', '/v1/acl/token/self?region=eu-west', { token: local.SecretID });
    expect(here.status).toBe(200);
    const listed = await eu.call('GET', `/v1/acl/tokens?region=global&prefix=${local.AccessorID.slice(0, 8)}`, { token: root });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
    expect(Number(listed.headers.get('x-nomad-index'))).toBeGreaterThan(0);
  });

  it("answers Nomad's 500 `No path to region` for a region without peers", async () => {
    const eu = await follower();
    const r = await eu.call('GET', '/v1/acl/policies?region=mars', { token: root });
    expect(r.status).toBe(500);
    expect(r.text).toBe('No path to region');
  });

  it('waits for the replica to reach the index, and gives up with 504 naming both regions', async () => {
    const eu = await follower({ server: { replication_wait: '300ms' } });
    // Past the first catch-up (policies are parsed, on a thread just started, before they apply).
    await until(async () => eu.agent.store.policy('readers') !== undefined);
    const tok = await createToken(global, { Type: 'client', Policies: ['readers'], Global: true });
    const seen = await eu.call('GET', '/v1/acl/token/self', { token: tok.SecretID, headers: { 'X-Tollgate-Min-Index': String(tok.index) } });
    expect(seen.status).toBe(200);
    const started = Date.now();
    const future = await eu.call('POST', '/v1/acl/authorize', {
      token: tok.SecretID,
      headers: { 'X-Tollgate-Min-Index': String(tok.index + 1_000_000) },
      body: { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'read-job' }] },
    });
    expect(future.status).toBe(504);
    expect(future.text).toMatch(/waiting for region "eu-west" to replicate index \d+ from authoritative region "global"/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const bad = await eu.call('GET', '/v1/acl/policies', { token: root, headers: { 'X-Tollgate-Min-Index': 'soon' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/X-Tollgate-Min-Index/);
  });
});

describe('failures', () => {
  it('refuses a client-type replication token, says why, and deletes nothing', async () => {
    const tok = await createToken(global, { Type: 'client', Policies: ['readers'], Global: true });
    const eu1 = await follower();
    await until(async () => (await eu1.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status === 200);
    const dataDir = eu1.dataDir;
    await eu1.agent.close();
    followers.pop();

    const eu = await follower({ acl: { replication_token: tok.SecretID } }, { dataDir });
    const err = await nextEvent(eu, (e) => e.type === 'error');
    expect(err).toMatchObject({ type: 'error', reason: 'permission_denied' });
    expect((err as { message: string }).message).toMatch(/must be a management token/);
    // The refused token may read the status page that explains the refusal.
    const status = await eu.call('GET', '/v1/acl/replication', { token: tok.SecretID });
    expect(status.status).toBe(200);
    expect(status.body.Sources[0].LastError).toMatchObject({ Reason: 'permission_denied' });
    const metrics = await eu.call('GET', '/v1/metrics?format=prometheus');
    expect(metrics.text).toMatch(/tollgate_replication_errors_total\{source_region="global",reason="permission_denied",region="eu-west"\} [1-9]/);
    // Everything replicated before is still there.
    expect((await eu.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status).toBe(200);
    expect((await eu.call('GET', '/v1/acl/token/self', { token: root })).status).toBe(200);
    expect(eu.logText()).toMatch(/replication failed: replication token refused/);
    await dataDirCleanup(dataDir);
  });

  it('fails global writes fast with 503 naming the region when it is unreachable, and keeps serving', async () => {
    const before = await caughtUp(await follower());
    const dataDir = before.dataDir;
    await before.agent.close();
    followers.pop();
    const eu = await follower({ server: { region_peers: { global: ['127.0.0.1:1'] } } }, { dataDir });
    const local = await createToken(eu, { Type: 'client', Policies: ['readers'] });
    const started = Date.now();
    const r = await eu.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['readers'], Global: true } });
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/^authoritative region "global" unreachable: /);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await eu.call('GET', '/v1/acl/token/self', { token: local.SecretID })).status).toBe(200);
    const status = await until(async () => {
      const s = await eu.call('GET', '/v1/acl/replication', { token: root });
      return s.body.Sources[0]?.LastError !== null && s.body;
    });
    expect(status.Sources[0].LastError.Reason).toBe('unreachable');
    expect(status.Sources[0].LagSeconds).toBeGreaterThan(0);
    await dataDirCleanup(dataDir);
  });

  it("replicates a policy's JobACL through the change stream and through a resync snapshot", async () => {
    const jobACL = { Namespace: 'default', JobID: 'web', Group: 'api', Task: '' };
    const w = await global.call('POST', '/v1/acl/policy/workload', { token: root, body: { Name: 'workload', Rules: '', JobACL: jobACL } });
    expect(w.status, w.text).toBe(200);
    const eu = await follower({ server: { anti_entropy_interval: '200ms' } });
    await nextEvent(eu, (e) => e.type === 'connected');
    await caughtUp(eu);
    const streamed = await eu.call('GET', '/v1/acl/policy/workload', { token: root });
    expect(streamed.body).toMatchObject({ JobACL: jobACL, Hash: (await global.call('GET', '/v1/acl/policy/workload', { token: root })).body.Hash });
    expect(eu.agent.store.globalDigest()).toBe(global.agent.store.globalDigest());
    // Lose the policy behind the loop's back: the digest differs and the snapshot brings it back whole.
    await eu.agent.store.applyReplicated({
      sourceIndex: eu.agent.store.replicationCursor(),
      upsertTokens: [],
      deleteTokens: [],
      upsertPolicies: [],
      deletePolicies: ['workload'],
    });
    await nextEvent(eu, (e) => e.type === 'resynced');
    expect((await eu.call('GET', '/v1/acl/policy/workload', { token: root })).body.JobACL).toEqual(jobACL);
    await global.call('DELETE', '/v1/acl/policy/workload', { token: root });
  });

  it('repairs a replica that drifted: anti-entropy sees the digest differ and resyncs from a snapshot', async () => {
    const eu = await follower({ server: { anti_entropy_interval: '200ms' } });
    await nextEvent(eu, (e) => e.type === 'connected');
    await eu.agent.awaitAuthoritativeIndex(global.agent.store.index());
    const cursor = eu.agent.store.replicationCursor();
    // Corrupt the replica behind the loop's back: a global token the source never had.
    const stray = { ...global.agent.store.tokenBySecret(root)!, AccessorID: '00000000-0000-0000-0000-00000000beef', SecretID: '00000000-0000-0000-0000-00000000cafe', Name: 'stray' };
    await eu.agent.store.applyReplicated({ sourceIndex: cursor, upsertTokens: [stray], deleteTokens: [], upsertPolicies: [], deletePolicies: [] });
    expect(eu.agent.store.tokenByAccessor(stray.AccessorID)).toBeDefined();
    const ev = await nextEvent(eu, (e) => e.type === 'resynced');
    expect(ev).toMatchObject({ reason: 'digest_mismatch' });
    expect(eu.agent.store.tokenByAccessor(stray.AccessorID)).toBeUndefined();
    expect(eu.agent.store.globalDigest()).toBe(global.agent.store.globalDigest());
    const metrics = await eu.call('GET', '/v1/metrics?format=prometheus');
    expect(metrics.text).toMatch(/tollgate_replication_resyncs_total\{source_region="global",reason="digest_mismatch",region="eu-west"\} [1-9]/);
  });
});

async function dataDirCleanup(dir: string): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
}
