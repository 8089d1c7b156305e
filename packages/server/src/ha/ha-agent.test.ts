import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdSkipReason, startEtcd, startTestAgent } from '@tollgate/testkit';
import type { EtcdProcess, TestAgent } from '@tollgate/testkit';
import type { LeaderTask } from './leader-tasks.js';

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stand-in for the replication loop: counts its starts and stops. */
function fakeLoop(): LeaderTask & { running: boolean; starts: number } {
  const task = {
    name: 'fake-replication',
    running: false,
    starts: 0,
    start() {
      task.running = true;
      task.starts++;
    },
    async stop() {
      task.running = false;
    },
  };
  return task;
}

describe('leader tasks with one agent per region', () => {
  it('run from start to shutdown', async () => {
    const t = await startTestAgent();
    const loop = fakeLoop();
    t.agent.addLeaderTask(loop);
    await until(() => loop.running);
    expect(t.agent.ha).toBeUndefined();
    await t.close();
    expect(loop.running).toBe(false);
  });
});

const SKIP = etcdSkipReason('ha-agent');

describe.skipIf(SKIP !== undefined)(`agents of an HA region${SKIP === undefined ? '' : ` — ${SKIP}`}`, () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(async () => {
    await etcd?.close();
  });

  async function pair(): Promise<[TestAgent, TestAgent]> {
    const region = `r${randomUUID().slice(0, 8)}`;
    const input = { region, etcd: { endpoints: [etcd.endpoint] }, acl: { encryption_key: randomBytes(32).toString('base64') } };
    return [await startTestAgent(input), await startTestAgent(input)];
  }

  it('run a leader task on the leader only, and move it to the other agent when the leader shuts down', async () => {
    const [a, b] = await pair();
    try {
      const la = fakeLoop();
      const lb = fakeLoop();
      a.agent.addLeaderTask(la);
      b.agent.addLeaderTask(lb);
      await until(() => la.running || lb.running);
      const [leader, lead, follower, follow] = la.running ? [a, la, b, lb] : [b, lb, a, la];
      expect(follow.running).toBe(false);
      expect(leader.agent.ha?.status()).toMatchObject({ IsLeader: true, LeaderTasks: expect.arrayContaining(['fake-replication', 'etcd-compaction']) });
      expect(follower.agent.ha?.status()).toMatchObject({ IsLeader: false, LeaderTasks: [] });
      // Who leads is polled once a second for status.
      await until(() => follower.agent.ha?.status().Leader?.HTTPAddr === leader.addr, 3000);
      await leader.close();
      expect(lead.running).toBe(false);
      // The leader resigned on shutdown: no TTL to wait for.
      await until(() => follow.running, 3000);
      expect(follower.agent.ha?.status().Term).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('collects expired tokens on the leader only, through a fenced write', async () => {
    const [a, b] = await pair();
    try {
      await until(() => a.agent.ha!.status().IsLeader || b.agent.ha!.status().IsLeader);
      const [leader, follower] = a.agent.ha!.status().IsLeader ? [a, b] : [b, a];
      const root = (await leader.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
      const made = await leader.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['p'], ExpirationTTL: '1h' } });
      expect(made.status).toBe(200);
      const later = new Date(Date.now() + 3 * 3_600_000);
      await follower.call('GET', '/v1/acl/tokens', { token: root });
      expect(await follower.agent.collectExpiredTokens(later)).toBe(0);
      expect(await leader.agent.collectExpiredTokens(later)).toBe(1);
      const gone = await follower.call('GET', `/v1/acl/token/${made.body.AccessorID}`, { token: root });
      expect(gone.status).toBe(404);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers ?stale at once from local state with X-Nomad-LastContact, and default reads after the other agent\'s writes', async () => {
    const [a, b] = await pair();
    try {
      const root = (await a.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
      const made = await a.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['p'] } });
      const consistent = await b.call('GET', `/v1/acl/token/${made.body.AccessorID}`, { token: root });
      expect(consistent.status).toBe(200);
      expect(consistent.headers.get('x-nomad-knownleader')).toBe('true');
      const stale = await b.call('GET', '/v1/acl/tokens?stale', { token: root });
      expect(stale.status).toBe(200);
      expect(stale.headers.get('x-nomad-knownleader')).toBe('true');
      expect(Number(stale.headers.get('x-nomad-lastcontact'))).toBeGreaterThanOrEqual(0);
      expect((await b.call('GET', '/v1/acl/tokens?stale=maybe', { token: root })).status).toBe(400);
      const ha = await b.call('GET', '/v1/agent/ha');
      expect(ha.body).toMatchObject({ Mode: 'etcd', Reachable: true, Degraded: null, AppliedIndex: made.body.ModifyIndex });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a token edited in etcd by an unauthenticated put: the token stops working, by name in the log, counted', async () => {
    const region = `r${randomUUID().slice(0, 8)}`;
    const t = await startTestAgent({ region, etcd: { endpoints: [etcd.endpoint] }, acl: { encryption_key: randomBytes(32).toString('base64') } });
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      const root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID as string;
      const tok = (await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['none'] } })).body;
      expect((await t.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status).toBe(200);
      const key = `/tollgate/${region}/data/t/${tok.AccessorID}`;
      const stored = JSON.parse((await client.get(key).string())!) as Record<string, unknown>;
      await client.put(key).value(JSON.stringify({ ...stored, Type: 'management', Policies: null }));
      await until(async () => (await t.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status === 403);
      expect((await t.call('GET', '/v1/acl/tokens', { token: tok.SecretID })).status).toBe(403);
      expect(t.logText()).toContain(`token ${tok.AccessorID} from etcd refused`);
      const metrics = await t.call('GET', '/v1/metrics?format=prometheus');
      expect(metrics.text).toMatch(/tollgate_state_records_refused_total\{[^}]*source="etcd"[^}]*\} 1/);
    } finally {
      client.close();
      await t.close();
    }
  }, 30_000);
});
