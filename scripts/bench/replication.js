// Replication benchmarks: lag from an acknowledged write in the
// authoritative region to the token being resolvable (or refused, after a
// delete) in each follower, at a steady write rate; and how fast a new
// follower catches up from a large authoritative region.
//
// Lag is observed with Tollgate's consistency header: right after a write
// is acknowledged with X-Nomad-Index N, each follower is asked for
// `GET /v1/acl/token/self` with `X-Tollgate-Min-Index: N`; the agent answers
// the moment its replica has applied N (it does not poll), so the time to
// that answer is the replication lag plus one loopback HTTP round trip.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { removeDir, tempDir } from './cleanup.js';
import { REPO, call, percentile, startAgent } from './common.js';

// node:http with keep-alive rather than fetch: at 1500 calls/s the client's
// own CPU cost shows up in the measured lag on a 2-core machine, and
// node:http costs a fraction of fetch's per call.
const keepAlive = new Agent({ keepAlive: true, maxSockets: 512 });
/** @type {HttpsAgent | undefined} made once the bench CA exists (a TLS run) */
let keepAliveTls;

/**
 * Starts `global` plus followers replicating from it; returns the agents, the
 * management secret, and `startFollower(region)` to add one more.
 * `bin`: the build every agent runs (default: this tree's).
 */
export async function startRegions(followers, { serverHcl, tls, bin } = {}) {
  if (tls !== undefined) keepAliveTls ??= new HttpsAgent({ keepAlive: true, maxSockets: 512, ca: readFileSync(tls.caFile) });
  // One load generator on loopback is every request's client: on a busy
  // machine it can hold more than the default 100 connections to an agent.
  const common = { hcl: 'limits {\n  http_max_conns_per_client = 0\n}\n', server: serverHcl, tls, bin };
  const main = await startAgent({ region: 'global', ...common });
  const boot = await call(main.addr, 'POST', '/v1/acl/bootstrap');
  const mgmt = boot.SecretID;
  await call(main.addr, 'POST', '/v1/acl/policy/bench', {
    token: mgmt,
    body: { Name: 'bench', Rules: 'namespace "default" { policy = "read" }' },
  });
  const repl = await call(main.addr, 'POST', '/v1/acl/token', {
    token: mgmt,
    body: { Name: 'replication', Type: 'management', Global: true },
  });
  const startFollower = (region) =>
    startAgent({ region, peers: { authoritative: 'global', rpc: main.rpc }, replicationToken: repl.SecretID, ...common });
  const agents = await Promise.all(followers.map(startFollower));
  return { main, followers: agents, mgmt, startFollower };
}

/** Resolves once a follower's replica has applied `index` (polls /v1/acl/replication). */
export async function waitApplied(addr, mgmt, index, timeoutMs = 600_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await call(addr, 'GET', '/v1/acl/replication', { token: mgmt }).catch(() => undefined);
    if (s?.Sources?.[0]?.AppliedIndex >= index) return s.Sources[0];
    if (Date.now() > end) throw new Error(`${addr} did not reach index ${index} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function timed(fn) {
  const t = performance.now();
  const v = await fn();
  return { v, ms: performance.now() - t };
}

/** One HTTP call returning status, X-Nomad-Index and the body text (no throw on 4xx). */
export function raw(addr, method, path, { token, body, headers = {} } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const https = addr.startsWith('https:');
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : request)(
      addr + path,
      {
        method,
        agent: https ? keepAliveTls : keepAlive,
        headers: {
          ...(token ? { 'X-Nomad-Token': token } : {}),
          ...(payload === undefined ? {} : { 'Content-Length': Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, index: Number(res.headers['x-nomad-index']), text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Runs `op` `rate` times per second for `seconds` (open loop: a slow answer
 * does not slow the schedule). Resolves with every op's result.
 */
export async function steady(rate, seconds, op) {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending = [];
  let launched = 0;
  while (launched < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (launched < due) pending.push(op(launched++));
    await new Promise((r) => setTimeout(r, 1));
  }
  const results = await Promise.all(pending);
  return { results, elapsedS: (performance.now() - started) / 1000 };
}

function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

/**
 * Replication and revocation lag at a steady write rate. Phase 1 creates
 * global tokens in `global` at `rate`/s and measures, per follower, the time
 * from the create's acknowledgement to the new secret resolving there.
 * Phase 2 deletes those tokens at the same rate and measures the time from
 * the delete's acknowledgement to the secret being refused (403).
 * `regions`: the follower regions; `targets`: the target printed with the
 * lag and revocation rows; `bin`: the build every agent runs, named in the
 * rows by `label`.
 */
export async function benchReplicationLag({
  rate,
  seconds,
  warmupSeconds = 3,
  report,
  tls,
  regions = ['eu-west', 'us-east'],
  targets = { lag: 'p99 ≤ 100 ms', revocation: 'p99 ≤ 100 ms' },
  bin,
  label = '',
}) {
  const { main, followers, mgmt } = await startRegions(regions, { tls, bin });
  const suffix = `${label}${tls === undefined ? '' : ', TLS on'}${regions.length === 2 ? '' : `, ${regions.length} followers`}, ${rate} writes/s`;
  const names = regions;
  try {
    await Promise.all(followers.map((f) => waitApplied(f.addr, mgmt, 1)));
    // Warm-up at the same rate, not measured: JIT, HTTP keep-alive pools and
    // LevelDB files of all three agents and of this client get going. A
    // cold start costs a few hundred ms in the first second on 2 cores.
    await steady(rate, warmupSeconds, async () => {
      const w = await raw(main.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Type: 'client', Policies: ['bench'], Global: true } });
      const tok = JSON.parse(w.text);
      await Promise.all(
        followers.map((f) => raw(f.addr, 'GET', '/v1/acl/token/self', { token: tok.SecretID, headers: { 'X-Tollgate-Min-Index': String(w.index) } })),
      );
    });
    const lag = names.map(() => []);
    const revoke = names.map(() => []);
    let failures = 0;
    const created = [];
    const p1 = await steady(rate, seconds, async () => {
      const w = await raw(main.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Type: 'client', Policies: ['bench'], Global: true } });
      if (w.status !== 200) {
        failures++;
        return;
      }
      const tok = JSON.parse(w.text);
      created.push(tok);
      await Promise.all(
        followers.map(async (f, i) => {
          const r = await timed(() => raw(f.addr, 'GET', '/v1/acl/token/self', { token: tok.SecretID, headers: { 'X-Tollgate-Min-Index': String(w.index) } }));
          if (r.v.status === 200) lag[i].push(r.ms);
          else failures++;
        }),
      );
    });
    const p2 = await steady(rate, Math.min(seconds, created.length / rate), async (i) => {
      const tok = created[i];
      if (tok === undefined) return;
      const d = await raw(main.addr, 'DELETE', `/v1/acl/token/${tok.AccessorID}`, { token: mgmt });
      if (d.status !== 200) {
        failures++;
        return;
      }
      await Promise.all(
        followers.map(async (f, j) => {
          const r = await timed(() => raw(f.addr, 'GET', '/v1/acl/token/self', { token: tok.SecretID, headers: { 'X-Tollgate-Min-Index': String(d.index) } }));
          if (r.v.status === 403) revoke[j].push(r.ms);
          else failures++;
        }),
      );
    });
    console.log(
      `  warm-up: ${warmupSeconds} s at ${rate}/s, not measured; phase 1: ${created.length} global creates in ${p1.elapsedS.toFixed(1)} s (${(created.length / p1.elapsedS).toFixed(0)}/s achieved); ` +
        `phase 2: ${p2.results.length} deletes in ${p2.elapsedS.toFixed(1)} s (${(p2.results.length / p2.elapsedS).toFixed(0)}/s achieved); failed calls: ${failures}`,
    );
    if (failures > 0) throw new Error(`replication bench saw ${failures} failed calls`);
    names.forEach((n, i) => {
      report(`replication lag global→${n} (ms, create ack → resolvable${suffix})`, summary(lag[i]), targets.lag);
      report(`revocation lag global→${n} (ms, delete ack → 403${suffix})`, summary(revoke[i]), targets.revocation);
    });
  } finally {
    await Promise.all([main, ...followers].map((a) => a.stop()));
  }
}

/**
 * Catch-up of a new follower: fills `global` with `tokens` global tokens
 * (`concurrency` creates in flight), then starts a follower with an empty
 * data dir and measures the time until it has applied the authoritative
 * index: tokens per second.
 */
export async function benchCatchUp({ tokens, concurrency, report, reportRatio }) {
  const { main, mgmt, startFollower } = await startRegions([]);
  let follower;
  try {
    let next = 0;
    let failures = 0;
    const fill = await timed(() =>
      Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < tokens) {
            next++;
            const w = await raw(main.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Type: 'client', Policies: ['bench'], Global: true } });
            if (w.status !== 200) failures++;
          }
        }),
      ),
    );
    if (failures > 0) throw new Error(`catch-up bench: ${failures} creates failed`);
    const health = await call(main.addr, 'GET', '/v1/agent/health');
    console.log(`  filled global with ${tokens} global tokens in ${(fill.ms / 1000).toFixed(1)} s (${((tokens * 1000) / fill.ms).toFixed(0)} creates/s); index ${health.index}`);
    const t0 = performance.now();
    follower = await startFollower('ap-south');
    const started = performance.now();
    const src = await waitApplied(follower.addr, mgmt, health.index);
    const done = performance.now();
    const count = await call(follower.addr, 'GET', '/v1/metrics?format=json');
    const tokensHere = count.find((m) => m.name === 'tollgate_tokens')?.values?.[0]?.value;
    const path = src.Resyncs > 0 ? 'snapshot' : 'change feed';
    const seconds = (done - started) / 1000;
    console.log(
      `  follower process up in ${((started - t0) / 1000).toFixed(1)} s; caught up (${path}) in ${seconds.toFixed(2)} s; ${tokensHere} tokens there`,
    );
    // Same-run baseline: the floor of a follower's work, the same records
    // (sealed secret, MAC, index and feed entries) written straight to a
    // fresh LevelDB, 2,000 tokens a batch, no network and no planning.
    const floor = await rawLevelLoad(tokens);
    report(`catch-up of a new follower from ${tokens} global tokens`, { tokensPerSecond: Math.round(tokens / seconds), seconds, path }, '≥ 100,000 tokens/s');
    reportRatio(
      `catch-up of a new follower (${path}), vs a raw LevelDB load of the same ${tokens} records`,
      tokens / seconds,
      floor,
      'tokens/s',
      '≥ 100,000 tokens/s',
    );
  } finally {
    await Promise.all([main, follower].filter(Boolean).map((a) => a.stop()));
  }
}

/**
 * Tokens/s of a raw bulk load: `n` global token records made with the state
 * package's own encoding (sealed SecretID, MAC, secret and policy index
 * entries, a feed entry) and written to a fresh LevelDB in batches of 2,000.
 */
export async function rawLevelLoad(n) {
  const state = (m) => import(join(REPO, 'packages/state/dist', m));
  const { SecretBox } = await state('secret-box.js');
  const L = await state('level-layout.js');
  const { makeToken } = await state('object-shape.js');
  const { Level } = await import('level');
  const dir = await tempDir('tollgate-bench-raw-');
  const db = new Level(dir, { valueEncoding: 'json' });
  await db.open();
  const box = new SecretBox(randomBytes(32));
  const created = new Date().toISOString();
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i += 2_000) {
      const batch = db.batch();
      for (let j = i; j < Math.min(n, i + 2_000); j++) {
        const index = j + 2;
        const t = makeToken({
          AccessorID: randomUUID(), SecretID: randomUUID(), Name: '', Type: 'client', Policies: ['bench'], Global: true,
          Hash: randomBytes(32).toString('base64'), CreateTime: created, ExpirationTime: null, ExpirationTTL: 0, CreateIndex: index, ModifyIndex: index,
        });
        batch.put(L.tokenKey(t.AccessorID), L.sealToken(t, box));
        for (const k of L.tokenIndexKeys(t)) batch.put(k, L.tokenIndexValue(k, t));
        batch.put(L.feedKey(index, 0), { index, table: 'acl_token', op: 'upsert', key: t.AccessorID, global: true });
      }
      await batch.write();
    }
    return (n * 1000) / (performance.now() - t0);
  } finally {
    await db.close();
    await removeDir(dir);
  }
}
