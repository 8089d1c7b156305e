// `npm run bench -- abuse`: a well-behaved client's latency (sequential
// authorize checks from 127.0.0.2 over keep-alive) with no abuse, then while
// an abusive client on 127.0.0.1 holds 1,010 idle connections and floods
// anonymous ~970 KiB checks over 8 connections — same agent, same run,
// default limits.
import { request, Agent } from 'node:http';
import { REPO, call, percentile, spawnJson, startAgent } from './common.js';

/** Sequential checks for `ms` from 127.0.0.2; latencies in ms, sorted. */
async function goodClient(port, token, ms) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'read-job' }] });
  const lat = [];
  let failed = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const started = performance.now();
    const status = await new Promise((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/v1/acl/authorize', method: 'POST', agent, localAddress: '127.0.0.2', headers: { 'X-Nomad-Token': token, 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        },
      );
      req.setTimeout(10_000, () => req.destroy());
      req.on('error', () => resolve(0));
      req.end(body);
    });
    if (status === 200) lat.push(performance.now() - started);
    else failed++;
  }
  agent.destroy();
  return { lat: lat.sort((a, b) => a - b), failed };
}

export async function benchAbuse({ seconds }) {
  const agent = await startAgent();
  try {
    const port = Number(new URL(agent.addr).port);
    const boot = await call(agent.addr, 'POST', '/v1/acl/bootstrap');
    await call(agent.addr, 'POST', '/v1/acl/policy/app', { token: boot.SecretID, body: { Name: 'app', Rules: 'namespace "default" { policy = "read" }' } });
    const tok = await call(agent.addr, 'POST', '/v1/acl/token', { token: boot.SecretID, body: { Type: 'client', Policies: ['app'] } });
    const ms = Math.max(3, seconds) * 1000;
    await goodClient(port, tok.SecretID, 1000); // warm-up
    const quiet = await goodClient(port, tok.SecretID, ms);
    const abuser = await spawnJson(process.execPath, [`${REPO}/scripts/bench/abuser.js`, String(port), '1010', '8'], (o) => o.msg === 'flooding');
    let statuses = {};
    const done = new Promise((resolve) => {
      abuser.proc.stdout.on('data', (c) => {
        const m = /"msg":"done","statuses":(\{[^}]*\})/.exec(String(c));
        if (m) statuses = JSON.parse(m[1]);
      });
      abuser.proc.once('exit', resolve);
    });
    await new Promise((r) => setTimeout(r, 1000));
    const loaded = await goodClient(port, tok.SecretID, ms);
    abuser.proc.kill('SIGTERM');
    await done;
    const fmt = (r) =>
      `p50 ${percentile(r.lat, 50).toFixed(2)} ms, p99 ${percentile(r.lat, 99).toFixed(2)} ms (${r.lat.length} checks, ${r.failed} failed)`;
    console.log(`good client, no abuse:    ${fmt(quiet)}`);
    console.log(`good client, under abuse: ${fmt(loaded)}`);
    console.log(`abusive client's answers: ${JSON.stringify(statuses)} (0 = connection refused or reset)`);
    return { quiet, loaded, statuses };
  } finally {
    await agent.stop();
  }
}
