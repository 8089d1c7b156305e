// `npm run bench`: Tollgate's figures, each next to a baseline measured in
// the same run on the same machine, so the ratio is what counts.
import { execFileSync } from 'node:child_process';
import { BIN, call, ensureTool, spawnJson, startAgent, stop, wrk, REPO } from './bench/common.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const only = process.argv[2];
const results = [];

function report(name, value, baseline, unit, target) {
  const ratio = value / baseline;
  results.push({ name, value, baseline, ratio, unit, target });
  console.log(`${name}: ${value.toFixed(0)} ${unit} vs baseline ${baseline.toFixed(0)} ${unit} → ratio ${ratio.toFixed(2)} (target ${target})`);
}

async function benchAuthorize() {
  ensureTool('wrk', 'wrk');
  const agent = await startAgent();
  try {
    const boot = await call(agent.addr, 'POST', '/v1/acl/bootstrap');
    const mgmt = boot.SecretID;
    await call(agent.addr, 'POST', '/v1/acl/policy/bench', {
      token: mgmt,
      body: { Name: 'bench', Rules: 'namespace "default" { policy = "write" }\nnamespace "prod-*" { policy = "read" }' },
    });
    const tok = await call(agent.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Type: 'client', Policies: ['bench'] } });
    const body = JSON.stringify({ Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'submit-job' }] });
    const headers = { 'X-Nomad-Token': tok.SecretID };
    const check = await call(agent.addr, 'POST', '/v1/acl/authorize', { token: tok.SecretID, body: JSON.parse(body) });
    if (check.Results[0].Allowed !== true) throw new Error('authorize bench setup: expected an allowed check');
    const bare = await spawnJson(process.execPath, [`${REPO}/scripts/bench/bare-http.js`], (o) => o.msg === 'listening');
    try {
      // Warm both up, then measure alternately so drift hits both alike.
      await wrk(`${agent.addr}/v1/acl/authorize`, { body, headers, seconds: 2 });
      await wrk(`http://127.0.0.1:${bare.line.port}/`, { body, headers, seconds: 2 });
      const a = await wrk(`${agent.addr}/v1/acl/authorize`, { body, headers, seconds: SECONDS });
      const b = await wrk(`http://127.0.0.1:${bare.line.port}/`, { body, headers, seconds: SECONDS });
      if (a.non2xx > 0 || a.errors > 0) throw new Error(`authorize bench saw ${a.non2xx} non-2xx and ${a.errors} errors`);
      report('authorize checks/s (wrk, 64 connections)', a.rps, b.rps, 'req/s', '≥ 0.70');
      console.log(`  latency p50/p99: agent ${a.p50.toFixed(2)}/${a.p99.toFixed(2)} ms, bare ${b.p50.toFixed(2)}/${b.p99.toFixed(2)} ms`);
    } finally {
      await stop(bare.proc);
    }
  } finally {
    await stop(agent.proc);
  }
}

async function benchCreates() {
  ensureTool('wrk', 'wrk');
  const agent = await startAgent();
  try {
    const boot = await call(agent.addr, 'POST', '/v1/acl/bootstrap');
    const body = JSON.stringify({ Name: 'bench', Type: 'client', Policies: ['bench'] });
    const a = await wrk(`${agent.addr}/v1/acl/token`, { body, headers: { 'X-Nomad-Token': boot.SecretID }, seconds: SECONDS });
    if (a.non2xx > 0 || a.errors > 0) throw new Error(`create bench saw ${a.non2xx} non-2xx and ${a.errors} errors`);
    const out = execFileSync(process.execPath, [`${REPO}/scripts/bench/sync-puts.js`, String(Math.min(SECONDS, 5))], { encoding: 'utf8' });
    const b = JSON.parse(out);
    report('durable token creates/s (HTTP, 64 concurrent clients)', a.rps, b.perSecond, 'writes/s', '≥ 2.0');
    console.log(`  create latency p50/p99: ${a.p50.toFixed(2)}/${a.p99.toFixed(2)} ms`);
  } finally {
    await stop(agent.proc);
  }
}

const suites = { authorize: benchAuthorize, creates: benchCreates };
for (const [name, fn] of Object.entries(suites)) {
  if (only && only !== name) continue;
  console.log(`\n== ${name}`);
  await fn();
}
console.log('\nJSON ' + JSON.stringify({ bin: BIN, seconds: SECONDS, results }));
