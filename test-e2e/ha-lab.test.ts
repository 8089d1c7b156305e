/**
 * The HA lab (`npm start -- --ha`, issue #6) for real: three regions, each
 * with its own etcd and two agents, from a temp base dir on free ports; and
 * the HA compose variant's files.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tlsFetch } from '@tollgate/client';
import { loadAgentConfigFile, mergeAgentConfig, resolveAgentConfig } from '@tollgate/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdSkipReason, haStatus, leaderOf } from './ha-kit.js';
import { REPO, api, eventually } from './testkit.js';
import type { RunningAgent } from './testkit.js';

interface HaLabState {
  regions: Array<{ name: string; http: string; pid: number }>;
  ha: { agents: Array<{ region: string; http: string; pid: number }>; etcds: Array<{ region: string; endpoint: string; pid: number }> } | null;
  managementTokenFile: string;
  tls: { caFile: string } | null;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Three HTTP ports each followed by five free ports (an HA region uses HTTP + 0 to + 5). */
async function freeHaPorts(): Promise<number[]> {
  const chosen: number[] = [];
  while (chosen.length < 3) {
    const p = 30_000 + 10 * Math.floor(Math.random() * 3000);
    if (chosen.includes(p)) continue;
    let free = true;
    for (let d = 0; d < 6 && free; d++) free = await isPortFree(p + d);
    if (free) chosen.push(p);
  }
  return chosen;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Just enough of a RunningAgent for `leaderOf` (it reads `addr` and the process state). */
function asAgent(http: string, pid: number): RunningAgent {
  return { addr: http, proc: { exitCode: alive(pid) ? null : 0, signalCode: null } as ChildProcess } as RunningAgent;
}

const SKIP = etcdSkipReason('ha-lab');

describe.skipIf(SKIP !== undefined)(`npm start -- --ha${SKIP === undefined ? '' : ` — ${SKIP}`}`, () => {
  let proc: ChildProcess;
  let out = '';
  let err = '';
  let exited: Promise<number | string | null>;
  let state: HaLabState;
  let mgmt: string;
  let labFetch: typeof fetch;
  const call: typeof api = (addr, method, path, o = {}) => api(addr, method, path, { ...o, fetch: labFetch });

  beforeAll(async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'tollgate-halab-'));
    const ports = await freeHaPorts();
    // With TLS, as `npm start -- --ha` runs by default.
    proc = spawn(process.execPath, [join(REPO, 'scripts/lab.js'), '--ha', '--no-prometheus', `--base-dir=${baseDir}`, `--ports=${ports.join(',')}`], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    exited = new Promise((resolve) => proc.once('close', (code, sig) => resolve(code ?? sig)));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + 90_000;
    while (!out.includes('Ctrl-C stops the lab')) {
      if (gone) throw new Error(`lab exited before it was up:\n${err}\n${out}`);
      if (Date.now() > deadline) throw new Error(`lab not up within 90 s:\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    state = JSON.parse(await readFile(join(baseDir, 'lab.json'), 'utf8')) as HaLabState;
    mgmt = (await readFile(state.managementTokenFile, 'utf8')).trim();
    labFetch = tlsFetch({ caCert: state.tls!.caFile });
  }, 120_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    }
    for (const pid of [...(state?.regions ?? []), ...(state?.ha?.agents ?? []), ...(state?.ha?.etcds ?? [])].map((x) => x.pid)) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('prints each region\'s second agent and etcd, and runs them', () => {
    expect(out).toContain('HA (--ha): every region runs on its own etcd with a second agent');
    expect(state.ha?.agents.map((a) => a.region).sort()).toEqual(['eu-west', 'global', 'us-east']);
    expect(state.ha?.etcds).toHaveLength(3);
    for (const p of [...state.ha!.agents, ...state.ha!.etcds]) expect(alive(p.pid)).toBe(true);
    // etcd over TLS, requiring the agents' client certificates.
    for (const e of state.ha!.etcds) expect(e.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:/);
  });

  it('gives every region one leader among its two agents, and takes writes through either', async () => {
    for (const r of state.regions) {
      const second = state.ha!.agents.find((a) => a.region === r.name)!;
      const agents = [asAgent(r.http, r.pid), asAgent(second.http, second.pid)];
      const leader = await leaderOf(agents, 15_000, labFetch);
      // A follower agent learns who leads by polling (once a second), so
      // right after an election it may not know yet: wait for agreement.
      await eventually(async () => {
        const statuses = await Promise.all(agents.map((a) => haStatus(a.addr, labFetch)));
        return statuses.filter((s) => s.IsLeader).length === 1 && statuses.every((s) => s.Leader?.HTTPAddr === leader.addr);
      }, 10_000);
    }
    const [global] = state.regions;
    const global2 = state.ha!.agents.find((a) => a.region === 'global')!;
    const made = await call(global2.http, 'POST', '/v1/acl/token', { token: mgmt, body: { Name: 'via-global-2', Type: 'client', Policies: ['readonly'], Global: true } });
    expect(made.status).toBe(200);
    expect((await call(global!.http, 'GET', `/v1/acl/token/${made.body.AccessorID}`, { token: mgmt })).body.Name).toBe('via-global-2');
    // Replicated into eu-west's etcd by eu-west's leader, so both eu-west agents resolve it.
    for (const addr of [state.regions[1]!.http, state.ha!.agents.find((a) => a.region === 'eu-west')!.http]) {
      await eventually(async () => (await call(addr, 'GET', '/v1/acl/token/self', { token: made.body.SecretID })).status === 200, 15_000);
    }
  });

  it('stops every agent and etcd on SIGINT and exits 0', async () => {
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const p of [...state.regions, ...state.ha!.agents, ...state.ha!.etcds]) expect(alive(p.pid)).toBe(false);
  });
});

describe('HA compose variant', () => {
  it('merges each region\'s HA overlay into a valid HA agent config naming its etcd and both peers of every other region', () => {
    for (const region of ['global', 'eu-west', 'us-east']) {
      const base = loadAgentConfigFile(join(REPO, 'deploy/compose', `${region}.hcl`));
      const ha = loadAgentConfigFile(join(REPO, 'deploy/compose/ha', `${region}.hcl`));
      const cfg = resolveAgentConfig(mergeAgentConfig(base, ha));
      expect(cfg.etcd?.endpoints).toEqual([`http://etcd-${region}:2379`]);
      expect(cfg.acl.encryptionKey?.length).toBe(32);
      for (const [other, peers] of Object.entries(cfg.server.regionPeers)) expect(peers).toEqual([`${other}:4647`, `${other}-2:4647`]);
      expect(cfg.server.authoritativeRegion).toBe('global');
    }
  });

  it('passes `docker-compose config` with the HA override (when docker-compose is installed)', (ctx) => {
    if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status !== 0) return ctx.skip();
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', 'docker-compose.ha.yml', 'config', '--services'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const services = r.stdout.trim().split('\n').sort();
    expect(services).toEqual(
      expect.arrayContaining(['etcd-global', 'etcd-eu-west', 'etcd-us-east', 'global', 'global-2', 'eu-west', 'eu-west-2', 'us-east', 'us-east-2']),
    );
  });
});
