import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '../testing/test-agent.js';
import type { TestAgent } from '../testing/test-agent.js';
import { until } from '../testing/until.js';

/**
 * `GET /v1/acl/replication` as a blocking query (the UI's live regions
 * page), its lag history, and `GET /v1/regions`, on two in-process regions.
 * A blocking read here waits up to 60 s, longer than the test's timeout:
 * only a wake-up on the change lets it pass.
 */

let global: TestAgent;
let eu: TestAgent;
let root: string;

beforeAll(async () => {
  global = await startTestAgent({ region: 'global' });
  root = (await global.call('POST', '/v1/acl/bootstrap')).body.SecretID;
});

afterAll(async () => {
  await eu?.close();
  await global?.close();
});

const status = (t: TestAgent, query = '') => t.call('GET', `/v1/acl/replication${query}`, { token: root });

describe('live replication status', () => {
  it('wakes a blocking read of the authoritative region when a follower starts streaming', async () => {
    const first = await status(global);
    expect(first.status).toBe(200);
    const index = Number(first.headers.get('x-nomad-index'));
    expect(index).toBeGreaterThan(0);
    expect(first.body.Followers).toEqual([]);
    const held = status(global, `?index=${index}&wait=60s`);
    eu = await startTestAgent({
      region: 'eu-west',
      server: { authoritative_region: 'global', region_peers: { global: [global.agent.rpcAddress] } },
      acl: { replication_token: root },
    });
    const woke = await held;
    expect(woke.status).toBe(200);
    expect(Number(woke.headers.get('x-nomad-index'))).toBeGreaterThan(index);
    const streaming = await until(async () => {
      const s = await status(global);
      return s.body.Followers.length === 1 && s.body;
    });
    expect(streaming.Followers[0].Region).toBe('eu-west');
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
