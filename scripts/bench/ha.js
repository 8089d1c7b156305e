// HA benchmarks (issue #6): write throughput of a region whose two agents
// share one etcd, next to etcd's own put rate measured in the same run; and
// the failover gap — the longest time without a successful write while the
// leader is killed with SIGKILL under steady load.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { forgetDir, track, trackDir } from './cleanup.js';
import { REPO, call, ensureTool, spawnJson, startAgent, wrk } from './common.js';

const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });

/** A real etcd (the testkit's), registered for cleanup; `close()` stops it and removes its data. */
async function startEtcd() {
  // Built by `npm run bench` (tsc -b); plain Node, no TypeScript at run time.
  const { startEtcd: start } = await import(`${REPO}/packages/testkit/dist/etcd-process.js`);
  const etcd = await start();
  track(etcd.proc);
  trackDir(etcd.dataDir);
  return {
    endpoint: etcd.endpoint,
    close: async () => {
      await etcd.close();
      forgetDir(etcd.dataDir);
    },
  };
}

/** Two agents of region `region` on `endpoint`, sharing one encryption key. */
async function startHaRegion(endpoint, region = 'global') {
  const config = { region, encryptionKey: randomBytes(32).toString('base64'), hcl: `etcd {\n  endpoints = ["${endpoint}"]\n}\n` };
  const a = await startAgent(config);
  const b = await startAgent(config);
  return [a, b];
}

/**
 * HA write throughput: 64 wrk connections split over the two agents, each
 * creating tokens (every create = the read barrier, one etcd read shared by
 * the writes that arrived before it was sent + a share of an etcd
 * transaction packing the concurrent creates + the watch applying it),
 * against 64 concurrent etcd puts of a value of the same size from one
 * etcd3 client, in the same run.
 */
export async function benchHaWrites({ seconds, report }) {
  ensureTool('wrk', 'wrk');
  const etcd = await startEtcd();
  const agents = await startHaRegion(etcd.endpoint);
  try {
    const boot = await call(agents[0].addr, 'POST', '/v1/acl/bootstrap');
    const body = JSON.stringify({ Name: 'bench', Type: 'client', Policies: ['bench'] });
    const headers = { 'X-Nomad-Token': boot.SecretID };
    // Warm up both agents.
    // In parallel (both agents must be loaded at once), with wrk's --timeout 10s.
    await Promise.all(agents.map((a) => wrk(`${a.addr}/v1/acl/token`, { body, headers, connections: 8, seconds: 2, timeout: '10s' })));
    const runs = await Promise.all(agents.map((a) => wrk(`${a.addr}/v1/acl/token`, { body, headers, connections: 32, seconds, timeout: '10s' })));
    for (const r of runs) if (r.non2xx > 0 || r.errors > 0) throw new Error(`HA create bench saw ${r.non2xx} non-2xx and ${r.errors} errors`);
    const ours = runs.reduce((n, r) => n + r.rps, 0);
    const base = await spawnJson(
      process.execPath,
      [`${REPO}/scripts/bench/etcd-puts.js`, etcd.endpoint, String(Math.min(seconds, 5)), '64'],
      (o) => o.perSecond !== undefined,
    );
    report('HA token creates/s (2 agents, 1 etcd, 64 wrk connections), vs etcd puts/s', ours, base.line.perSecond, 'writes/s', '≥ 0.6 (issue 15): each create is a batched linearizable etcd read, a share of a packed compare-and-put txn and a watch delivery, vs one put');
    console.log(`  per agent: ${runs.map((r) => `${r.rps.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms`).join('; ')}`);
    const m = await (await fetch(`${agents[0].addr}/v1/metrics?format=prometheus`)).text();
    const conflicts = Number(/tollgate_ha_txn_conflicts_total\{[^}]*\} (\S+)/.exec(m)?.[1] ?? 0);
    const lagSum = Number(/tollgate_ha_watch_lag_observed_seconds_sum\{[^}]*\} (\S+)/.exec(m)?.[1]);
    const lagCount = Number(/tollgate_ha_watch_lag_observed_seconds_count\{[^}]*\} (\S+)/.exec(m)?.[1]);
    console.log(`  agent 1: ${conflicts} txn conflicts, mean watch lag ${((lagSum / lagCount) * 1000).toFixed(2)} ms over ${lagCount} watch responses`);
  } finally {
    for (const a of agents) await a.stop();
    await etcd.close();
  }
}

/** One token create through node:http keep-alive; resolves true on 200. */
function create(addr, token) {
  return new Promise((resolve) => {
    const url = new URL('/v1/acl/token', addr);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: keepAlive, headers: { 'X-Nomad-Token': token, 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      },
    );
    req.on('error', () => resolve(false));
    req.setTimeout(5000, () => req.destroy());
    req.end(JSON.stringify({ Type: 'client', Policies: ['bench'] }));
  });
}

/**
 * Failover gap: 16 clients write steadily, each to either agent and moving
 * to the other one when a call fails (what a client behind a load balancer
 * does); after a few seconds the leader is killed with SIGKILL. The figure
 * is the longest time with no successful write in the whole run, next to
 * the 5 s the issue allows; the leader handover time is printed too.
 */
export async function benchHaFailover({ report }) {
  const etcd = await startEtcd();
  const agents = await startHaRegion(etcd.endpoint);
  try {
    const boot = await call(agents[0].addr, 'POST', '/v1/acl/bootstrap');
    const leader = await leaderOf(agents);
    const survivor = agents.find((a) => a !== leader);
    let stopAt = Number.POSITIVE_INFINITY;
    let lastOk = performance.now();
    let gap = 0;
    let ok = 0;
    let failed = 0;
    const client = async (i) => {
      let target = agents[i % 2];
      while (performance.now() < stopAt) {
        if (await create(target.addr, boot.SecretID)) {
          const now = performance.now();
          gap = Math.max(gap, now - lastOk);
          lastOk = now;
          ok++;
        } else {
          failed++;
          target = target === agents[0] ? agents[1] : agents[0];
        }
      }
    };
    const clients = Array.from({ length: 16 }, (_, i) => client(i));
    await new Promise((r) => setTimeout(r, 3000));
    const steadyGap = gap;
    const killedAt = performance.now();
    leader.proc.kill('SIGKILL');
    const handover = await leaderOf([survivor], 20_000).then(() => performance.now() - killedAt);
    stopAt = performance.now() + 2000;
    await Promise.all(clients);
    report('HA failover gap (leader SIGKILL under 16 writers)', gap, 5000, 'ms', '≤ 1.0 of the 5 s budget');
    console.log(`  ${ok} writes acknowledged, ${failed} failed calls (cut off by the kill); longest gap before the kill ${steadyGap.toFixed(0)} ms`);
    console.log(`  leader tasks moved to the survivor ${handover.toFixed(0)} ms after the kill (lease TTL 3 s)`);
  } finally {
    for (const a of agents) await a.stop();
    await etcd.close();
  }
}

async function leaderOf(agents, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const a of agents) {
      const s = await call(a.addr, 'GET', '/v1/agent/ha').catch(() => undefined);
      if (s?.IsLeader) return a;
    }
    if (Date.now() > end) throw new Error('no HA leader elected');
    await new Promise((r) => setTimeout(r, 20));
  }
}
