/**
 * HA regions on etcd (issue #6), against real etcd and agent processes:
 * several agents per region, every write an etcd transaction, every agent
 * following etcd into its own state machine.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdSkipReason, haStatus, leaderOf, makeTlsLab, regionKey, startEtcd, startHaAgent, startTcpProxy } from './ha-kit.js';
import type { EtcdProcess } from './ha-kit.js';
import { api, eventually, startAgent } from './testkit.js';
import type { RunningAgent } from './testkit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SKIP = etcdSkipReason('ha');

describe.skipIf(SKIP !== undefined)(`HA region on etcd${SKIP === undefined ? '' : ` — ${SKIP}`}`, () => {
  let etcd: EtcdProcess;
  const running: RunningAgent[] = [];
  let regionSeq = 0;
  // etcd serves TLS and requires client certificates; agents present one (issue #10).
  const lab = makeTlsLab(['etcd', 'agent']);
  const etcdTls = { caFile: lab.caFile, certFile: lab.server('agent').cert, keyFile: lab.server('agent').key };

  beforeAll(async () => {
    const s = lab.server('etcd');
    etcd = await startEtcd({ tls: { caFile: lab.caFile, certFile: s.cert, keyFile: s.key, client: { certFile: etcdTls.certFile, keyFile: etcdTls.keyFile } } });
  });
  afterAll(async () => {
    for (const a of running) await a.kill();
    await etcd?.close();
    lab.remove();
  });

  /** Two agents of a fresh region (its own etcd prefix) sharing one key. */
  async function region(n = 2, endpoints?: (i: number) => string[]): Promise<{ agents: RunningAgent[]; key: string; name: string }> {
    const name = `ha${++regionSeq}`;
    const key = regionKey();
    const agents: RunningAgent[] = [];
    for (let i = 0; i < n; i++) {
      const a = await startHaAgent({ region: name, key, endpoints: endpoints?.(i) ?? [etcd.endpoint], etcdTls });
      running.push(a);
      agents.push(a);
    }
    return { agents, key, name };
  }

  it('two agents in one region see each other\'s writes, with the same indexes, blocking queries across agents', async () => {
    const { agents: [a, b] } = await region();
    const boot = await api(a!.addr, 'POST', '/v1/acl/bootstrap');
    expect(boot.status).toBe(200);
    const root = boot.body.SecretID as string;

    // A default read on B waits until B has applied what A acknowledged.
    const made = await api(a!.addr, 'POST', '/v1/acl/token', { token: root, body: { Name: 'via-a', Type: 'client', Policies: ['app'] } });
    expect(made.status).toBe(200);
    const onB = await api(b!.addr, 'GET', `/v1/acl/token/${made.body.AccessorID}`, { token: root });
    expect(onB.status).toBe(200);
    expect(onB.body).toMatchObject({ Name: 'via-a', CreateIndex: made.body.CreateIndex, ModifyIndex: made.body.ModifyIndex });

    // A blocking query on A wakes up for a policy written through B.
    const before = await api(a!.addr, 'GET', '/v1/acl/policies', { token: root });
    const index = Number(before.headers.get('x-nomad-index'));
    const blocked = api(a!.addr, 'GET', `/v1/acl/policies?index=${index}&wait=10s`, { token: root });
    await sleep(100);
    const pol = await api(b!.addr, 'POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Rules: 'namespace "default" { policy = "read" }' } });
    expect(pol.status).toBe(200);
    const woke = await blocked;
    expect(woke.body.map((p: { Name: string }) => p.Name)).toEqual(['app']);
    expect(Number(woke.headers.get('x-nomad-index'))).toBe(Number(pol.headers.get('x-nomad-index')));

    // Authorization stays local; X-Tollgate-Min-Index makes B wait for a write made on A.
    const upd = await api(a!.addr, 'POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Rules: 'namespace "default" { policy = "write" }' } });
    const check = await api(b!.addr, 'POST', '/v1/acl/authorize', {
      token: made.body.SecretID,
      headers: { 'X-Tollgate-Min-Index': String(upd.headers.get('x-nomad-index')) },
      body: { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'submit-job' }] },
    });
    expect(check.status).toBe(200);
    expect(check.body.Results[0].Allowed).toBe(true);

    // One leader; both agents at the same applied revision; leadership in /v1/acl/replication too.
    const leader = await leaderOf([a!, b!]);
    const [sa, sb] = [await haStatus(a!.addr), await haStatus(b!.addr)];
    expect([sa.IsLeader, sb.IsLeader].filter(Boolean)).toHaveLength(1);
    expect(sb.Leader?.HTTPAddr).toBe(leader.addr);
    await eventually(async () => (await haStatus(a!.addr)).AppliedIndex === (await haStatus(b!.addr)).AppliedIndex);
    const repl = await api(b!.addr, 'GET', '/v1/acl/replication', { token: root });
    expect(repl.body.HA).toMatchObject({ Mode: 'etcd', AppliedIndex: expect.any(Number), Leader: { HTTPAddr: leader.addr } });
  });

  it('racing bootstraps on two agents yield exactly one management token; a reset file is read on the agent that handles it', async () => {
    const { agents: [a, b] } = await region();
    const attempts = await Promise.all([a, b, a, b, a, b].map((x) => api(x!.addr, 'POST', '/v1/acl/bootstrap')));
    const won = attempts.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    const resetIndex = won[0]!.body.CreateIndex as number;
    for (const r of attempts.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(400);
      expect(r.text).toBe(`ACL bootstrap already done (reset index: ${resetIndex})`);
    }
    const root = won[0]!.body.SecretID as string;
    for (const x of [a!, b!]) {
      const list = await api(x.addr, 'GET', '/v1/acl/tokens', { token: root });
      expect(list.body.filter((t: { Type: string }) => t.Type === 'management')).toHaveLength(1);
    }
    // The reset file counts on the agent that handles the request (B), not on A.
    await mkdir(join(b!.dataDir, 'server'), { recursive: true });
    await writeFile(join(b!.dataDir, 'server', 'acl-bootstrap-reset'), `${resetIndex}\n`);
    expect((await api(a!.addr, 'POST', '/v1/acl/bootstrap')).status).toBe(400);
    const reset = await api(b!.addr, 'POST', '/v1/acl/bootstrap');
    expect(reset.status).toBe(200);
    expect(reset.body.CreateIndex).toBeGreaterThan(resetIndex);
  });

  it('kill -9 of the leader during steady writes loses no acknowledged write; writes succeed through the other agent within 5 s', async () => {
    const { agents } = await region();
    const root = (await api(agents[0]!.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const leader = await leaderOf(agents);
    const other = agents.find((x) => x !== leader)!;

    const acked: Array<{ AccessorID: string; CreateIndex: number }> = [];
    let target = leader;
    let killedAt = 0;
    let firstAfterKill = 0;
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const to = target;
        try {
          const r = await api(to.addr, 'POST', '/v1/acl/token', { token: root, body: { Name: `w${w}-${i}`, Type: 'client', Policies: ['p'] } });
          if (r.status === 200) {
            acked.push(r.body);
            if (killedAt > 0 && to === other && firstAfterKill === 0) firstAfterKill = Date.now();
          }
        } catch {
          // The killed agent's connections fail; the client moves to the other agent.
          target = other;
          await sleep(5);
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    while (acked.length < 200) await sleep(10);
    killedAt = Date.now();
    await leader.kill();
    target = other;
    await eventually(() => firstAfterKill > 0, 10_000);
    const gapMs = firstAfterKill - killedAt;
    while (acked.length < 400) await sleep(10);
    stop = true;
    await Promise.all(writers);
    expect(gapMs).toBeLessThan(5000);

    // Every acknowledged write is there, at the index it was acknowledged with.
    const list = await api(other.addr, 'GET', '/v1/acl/tokens', { token: root });
    const stored = new Map<string, number>(list.body.map((t: { AccessorID: string; CreateIndex: number }) => [t.AccessorID, t.CreateIndex]));
    expect(acked.filter((t) => stored.get(t.AccessorID) !== t.CreateIndex)).toEqual([]);
    // The survivor takes over the leadership once the dead leader's lease expires.
    expect(await leaderOf([other], 10_000)).toBe(other);
  });

  it('a restarted agent catches up from its stored revision without listing the region again', async () => {
    const { agents: [a, b], key, name } = await region();
    const root = (await api(a!.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const early = (await api(a!.addr, 'POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['x'] } })).body;
    await api(b!.addr, 'GET', '/v1/acl/tokens', { token: root }); // B caught up
    expect(await b!.stop()).toBe(0);
    const late = (await api(a!.addr, 'POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['y'] } })).body;
    expect((await api(a!.addr, 'DELETE', `/v1/acl/token/${early.AccessorID}`, { token: root })).status).toBe(200);

    const again = await startHaAgent({ region: name, key, endpoints: [etcd.endpoint], dataDir: b!.dataDir, etcdTls });
    running.push(again);
    expect(again.logs.filter((l) => l.msg === 'listed the region from etcd')).toEqual([]);
    const self = await api(again.addr, 'GET', '/v1/acl/token/self', { token: late.SecretID });
    expect(self.status).toBe(200);
    expect((await api(again.addr, 'GET', `/v1/acl/token/${early.AccessorID}`, { token: root })).status).toBe(404);
    expect((await haStatus(again.addr)).AppliedIndex).toBe((await haStatus(a!.addr)).AppliedIndex);
  });

  it('an agent cut off from etcd serves reads and authorization, refuses writes with 503, reports degraded, then recovers', async () => {
    const proxy = await startTcpProxy(etcd.clientPort);
    try {
      const { agents: [a, b] } = await region(2, (i) => (i === 0 ? [etcd.endpoint] : [proxy.endpoint.replace('http:', 'https:')]));
      const root = (await api(a!.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
      await api(a!.addr, 'POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Rules: 'namespace "default" { policy = "read" }' } });
      const tok = (await api(a!.addr, 'POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'] } })).body;
      expect((await api(b!.addr, 'GET', `/v1/acl/token/${tok.AccessorID}`, { token: root })).status).toBe(200);

      proxy.cut();
      const health = (await eventually(async () => {
        const h = await api(b!.addr, 'GET', '/v1/agent/health');
        return h.body.status === 'degraded' ? h : undefined;
      }, 10_000))!;
      expect(health.status).toBe(200);
      expect(health.body.server.message).toMatch(/etcd unreachable.*writes are refused/);

      const write = await api(b!.addr, 'POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'] } });
      expect(write.status).toBe(503);
      expect(write.text).toMatch(/etcd unreachable/);
      const check = await api(b!.addr, 'POST', '/v1/acl/authorize', {
        token: tok.SecretID,
        body: { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'read-job' }] },
      });
      expect(check.body.Results[0].Allowed).toBe(true);
      const read = await api(b!.addr, 'GET', `/v1/acl/token/${tok.AccessorID}`, { token: root });
      expect(read.status).toBe(200);
      expect(read.headers.get('x-nomad-knownleader')).toBe('false');
      expect(Number(read.headers.get('x-nomad-lastcontact'))).toBeGreaterThan(0);
      const metrics = await api(b!.addr, 'GET', '/v1/metrics?format=prometheus');
      expect(metrics.text).toMatch(/^tollgate_ha_etcd_reachable\{[^}]*\} 0$/m);

      // Meanwhile the region goes on through A.
      const later = (await api(a!.addr, 'POST', '/v1/acl/token', { token: root, body: { Name: 'later', Type: 'client', Policies: ['app'] } })).body;

      proxy.restore();
      await eventually(async () => (await api(b!.addr, 'GET', '/v1/agent/health')).body.status === 'serving', 15_000);
      const seen = await api(b!.addr, 'GET', `/v1/acl/token/${later.AccessorID}`, { token: root });
      expect(seen.status).toBe(200);
      expect(seen.headers.get('x-nomad-knownleader')).toBe('true');
      expect((await api(b!.addr, 'POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'] } })).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to start in HA mode without acl.encryption_key, naming the key', async () => {
    await expect(startHaAgent({ region: 'hakey', key: undefined, endpoints: [etcd.endpoint], etcdTls })).rejects.toThrow(
      /acl\.encryption_key: required in HA mode/,
    );
  });

  it('talks to an etcd that requires client certificates; an agent without one gets nothing from it', async () => {
    expect(etcd.endpoint).toMatch(/^https:/);
    const { agents: [a] } = await region(1);
    expect((await api(a!.addr, 'POST', '/v1/acl/bootstrap')).status).toBe(200);
    expect((await haStatus(a!.addr)).Reachable).toBe(true);
    const name = `ha${++regionSeq}`;
    const noCert = await startHaAgent({ region: name, key: regionKey(), endpoints: [etcd.endpoint], etcdTls: { caFile: lab.caFile } });
    running.push(noCert);
    const h = await api(noCert.addr, 'GET', '/v1/agent/health');
    expect(h.body.status).toBe('degraded');
    expect((await api(noCert.addr, 'POST', '/v1/acl/bootstrap')).status).toBe(503);
    await noCert.stop();
  });

  it('leaves an agent without an etcd block in embedded mode: no /v1/agent/ha, no HA metrics', async () => {
    const solo = await startAgent();
    running.push(solo);
    expect((await api(solo.addr, 'GET', '/v1/agent/ha')).status).toBe(404);
    expect((await api(solo.addr, 'GET', '/v1/metrics?format=prometheus')).text).not.toContain('tollgate_ha_');
  });
});
