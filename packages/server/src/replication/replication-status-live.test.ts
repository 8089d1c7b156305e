import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, until } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

/**
 * `GET /v1/acl/replication` as a blocking query (the UI's live regions
 * page), its lag history, and `GET /v1/regions`, on two in-process regions.
 * A blocking read here waits up to 60 s, longer than the test's timeout:
 * only a wake-up on the change lets it pass.
 */

let global: TestAgent;
let eu: TestAgent;
let root: string;

function follower(region: string): Promise<TestAgent> {
  return startTestAgent({
    region,
    server: { authoritative_region: 'global', region_peers: { global: [global.agent.rpcAddress] } },
    acl: { replication_token: root },
  });
}

beforeAll(async () => {
  global = await startTestAgent({ region: 'global' });
  root = (await global.call('POST', '/v1/acl/bootstrap')).body.SecretID;
  eu = await follower('eu-west');
  await eu.agent.awaitAuthoritativeIndex(global.agent.store.index());
});

afterAll(async () => {
  await eu?.close();
  await global?.close();
});

const status = (t: TestAgent, query = '') => t.call('GET', `/v1/acl/replication${query}`, { token: root });

describe('live replication status', () => {
  it('wakes a blocking read of the authoritative region when a follower starts and stops streaming', async () => {
    const first = await status(global);
    expect(first.status).toBe(200);
    const index = Number(first.headers.get('x-nomad-index'));
    expect(index).toBeGreaterThan(0);
    expect(first.body.Followers.map((f: { Region: string }) => f.Region)).not.toContain('us-east');
    const held = status(global, `?index=${index}&wait=60s`);
    const us = await follower('us-east');
    try {
      const woke = await held;
      expect(woke.status).toBe(200);
      expect(Number(woke.headers.get('x-nomad-index'))).toBeGreaterThan(index);
      const streaming = await until(async () => {
        const s = await status(global);
        return s.body.Followers.some((f: { Region: string }) => f.Region === 'us-east') && s;
      });
      const gone = status(global, `?index=${streaming.headers.get('x-nomad-index')}&wait=60s`);
      await us.close();
      expect((await gone).status).toBe(200);
      const after = await until(async () => {
        const s = await status(global);
        return !s.body.Followers.some((f: { Region: string }) => f.Region === 'us-east') && s.body;
      });
      expect(after.Followers.map((f: { Region: string }) => f.Region)).toEqual(['eu-west']);
    } finally {
      await us.close();
    }
  });

  it('wakes a blocking read of a follower when a global write replicates', async () => {
    const now = await status(eu);
    const index = Number(now.headers.get('x-nomad-index'));
    const held = status(eu, `?index=${index}&wait=60s`);
    const created = await global.call('POST', '/v1/acl/token', { token: root, body: { Type: 'management', Global: true } });
    expect(created.status).toBe(200);
    const woke = await held;
    expect(woke.status).toBe(200);
    expect(woke.body.Region).toBe('eu-west');
    expect(Number(woke.headers.get('x-nomad-index'))).toBeGreaterThan(index);
    const caught = await until(async () => {
      const s = await status(eu);
      return s.body.Sources[0].AppliedIndex >= Number(created.headers.get('x-nomad-index')) && s.body.Sources[0];
    });
    expect(caught.IndexLag).toBe(0);
  });

  it('adds the lag history only when asked', async () => {
    expect((await status(eu)).body.Sources[0].LagHistory).toBeUndefined();
    const history = await until(async () => {
      const s = await status(eu, '?history=true');
      const h = s.body.Sources[0].LagHistory as Array<[number, number]>;
      return h.length > 0 && h;
    });
    for (const [t, lag] of history) {
      expect(t).toBeLessThanOrEqual(Date.now());
      expect(lag).toBeGreaterThanOrEqual(0);
    }
  });

  it('counts the global and local tokens and the policies each region holds', async () => {
    const local = await eu.call('POST', '/v1/acl/token', { token: root, body: { Type: 'management', Global: false } });
    expect(local.status).toBe(200);
    const g = (await status(global)).body.Counts;
    expect(g.LocalTokens).toBe(0);
    expect(g.GlobalTokens).toBeGreaterThanOrEqual(1);
    expect(g.Policies).toBe(0);
    await eu.agent.awaitAuthoritativeIndex(global.agent.store.index());
    const e = (await status(eu)).body.Counts;
    expect(e).toEqual({ GlobalTokens: g.GlobalTokens, LocalTokens: 1, Policies: 0 });
  });

  it('keeps the status closed to non-management callers, even as a blocking read', async () => {
    expect((await global.call('GET', '/v1/acl/replication?index=1&wait=60s')).status).toBe(403);
  });

  it('lists every region the agent knows, sorted, without a token', async () => {
    const r = await eu.call('GET', '/v1/regions');
    expect(r.status).toBe(200);
    expect(r.body).toEqual(['eu-west', 'global']);
    expect((await global.call('GET', '/v1/regions')).body).toEqual(['global']);
  });
});
