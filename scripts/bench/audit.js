// Authorize throughput with the audit log on (to a file) next to audit off,
// in the same run: two agents, measured alternately so drift hits both alike.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDir, tempDir } from './cleanup.js';
import { call, cpuSeconds, ensureTool, REPO, startAgent, stop, wrk } from './common.js';

async function setup(agent) {
  const boot = await call(agent.addr, 'POST', '/v1/acl/bootstrap');
  await call(agent.addr, 'POST', '/v1/acl/policy/bench', {
    token: boot.SecretID,
    body: { Name: 'bench', Rules: 'namespace "default" { policy = "write" }\nnamespace "prod-*" { policy = "read" }' },
  });
  const tok = await call(agent.addr, 'POST', '/v1/acl/token', { token: boot.SecretID, body: { Type: 'client', Policies: ['bench'] } });
  return tok.SecretID;
}

/**
 * `npm run bench -- audit`: the same authorize request against an agent
 * without and with `audit { enabled = true }` (a file on the data dir's disk),
 * `rounds` alternating rounds; reports the medians' ratio (target ≥ 0.85).
 */
export async function benchAudit({ seconds, report }) {
  ensureTool('wrk', 'wrk');
  const dir = await tempDir('tollgate-bench-audit-');
  const path = join(dir, 'audit.log');
  const off = await startAgent();
  const on = await startAgent({ hcl: `audit {\n  enabled = true\n  path = "${path}"\n}\n` });
  try {
    const body = JSON.stringify({ Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'submit-job' }] });
    const targets = [];
    for (const agent of [off, on]) targets.push({ url: `${agent.addr}/v1/acl/authorize`, headers: { 'X-Nomad-Token': await setup(agent) } });
    for (const t of targets) await wrk(t.url, { body, headers: t.headers, seconds: 2 });
    const rounds = 3;
    const per = Math.max(3, Math.round(seconds / rounds));
    const rps = [[], []];
    // The agent's own CPU time per request: less moved by other load on the machine than throughput.
    const cpuUs = [[], []];
    const procs = [off.proc, on.proc];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 2; i++) {
        const cpu0 = await cpuSeconds(procs[i].pid);
        const res = await wrk(targets[i].url, { body, headers: targets[i].headers, seconds: per });
        const cpu1 = await cpuSeconds(procs[i].pid);
        if (res.non2xx > 0 || res.errors > 0) throw new Error(`audit bench saw ${res.non2xx} non-2xx and ${res.errors} errors`);
        rps[i].push(res.rps);
        cpuUs[i].push(((cpu1 - cpu0) * 1e6) / (res.rps * per));
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    await stop(on.proc);
    const size = (await stat(path)).size;
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n').length - 1;
    // The log written under load must still be one unbroken chain.
    const { verifyAuditLog } = await import(`${REPO}/packages/server/dist/index.js`);
    const verdict = verifyAuditLog([{ name: path, text }]);
    if (!verdict.ok) throw new Error(`audit log written under load does not verify: ${verdict.file}:${verdict.line}: ${verdict.problem}`);
    console.log(`  audit log verifies: ok, ${verdict.lines} lines`);
    console.log(`  rounds (req/s): audit off ${rps[0].map((x) => x.toFixed(0)).join(', ')}; audit on ${rps[1].map((x) => x.toFixed(0)).join(', ')}`);
    console.log(`  audit file: ${lines} lines, ${(size / 1048576).toFixed(1)} MiB (${(size / Math.max(1, lines)).toFixed(0)} bytes/line)`);
    console.log(`  agent CPU per request (µs): audit off ${cpuUs[0].map((x) => x.toFixed(1)).join(', ')}; audit on ${cpuUs[1].map((x) => x.toFixed(1)).join(', ')}`);
    report('authorize checks/s with the audit log on (file) vs off', median(rps[1]), median(rps[0]), 'req/s', '≥ 0.85');
    report('agent CPU µs per authorize, audit off vs on (ratio = off/on)', median(cpuUs[0]), median(cpuUs[1]), 'µs', '≥ 0.85');
  } finally {
    await off.stop();
    await on.stop();
    await removeDir(dir);
  }
}
