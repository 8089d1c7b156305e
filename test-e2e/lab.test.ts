import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tlsFetch } from '@tollgate/client';
import { loadAgentConfigFile } from '@tollgate/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, api, eventually, runCli } from './testkit.js';
import { alive, collect, freeLabPorts, until } from './lab-kit.js';
import type { Collected } from './lab-kit.js';

// `npm start` (scripts/lab.js) for real: three agent processes and Debian's
// Prometheus, started from a temp base dir on free ports so that a lab a
// developer has running on the default ports is left alone.

const LAB = join(REPO, 'scripts/lab.js');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

type LabRun = Collected;

interface LabState {
  pid: number;
  regions: Array<{ name: string; http: string; rpc: string; pid: number; authoritative: boolean; config: string; log: string }>;
  prometheus: { url: string; pid: number } | null;
  managementTokenFile: string;
  tls: { caFile: string; cliCert: string; cliKey: string } | null;
}

function runLab(args: readonly string[]): LabRun {
  return collect(process.execPath, [LAB, ...args], { cwd: REPO });
}

/** Resolves once the banner is printed; rejects if the lab exits first. */
const labReady = (run: LabRun, timeoutMs = 90_000) => until(run, () => run.stdout().includes('Ctrl-C stops the lab'), timeoutMs);

/** SIGTERM a lab still running (test failure paths), then any child it left. */
async function cleanup(run: LabRun | undefined, state: LabState | undefined): Promise<void> {
  if (run && run.proc.exitCode === null && run.proc.signalCode === null) {
    run.proc.kill('SIGTERM');
    await Promise.race([run.exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
  for (const pid of [...(state?.regions.map((r) => r.pid) ?? []), state?.prometheus?.pid]) {
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

describe('lab command line', () => {
  it('refuses an unknown option with exit status 2 and the usage', async () => {
    const run = runLab(['--bogus']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/^lab: Unknown option '--bogus'/);
    expect(run.stderr()).toContain('Usage: npm start');
  });

  it('refuses --ha ports that overlap (an HA region also uses HTTP + 2 to + 5); test-e2e/ha-lab.test.ts runs --ha', async () => {
    const run = runLab(['--ha', '--ports=20000,20004,20010']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/port 20004 is used twice .*--ha uses HTTP \+ 2 to \+ 5 too/);
  });

  it('refuses a --ports list without one port per region', async () => {
    const run = runLab(['--ports=7000,7002']);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/--ports: expected 3 HTTP ports \(global, eu-west, us-east\)/);
  });

  it('prints its usage for --help and exits 0', async () => {
    const run = runLab(['--help']);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain('--base-dir=DIR');
  });

  it('names a busy port and its region instead of starting anything', async () => {
    const { http } = await freeLabPorts();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: http[1]! + 1 }, () => r()));
    try {
      const base = await mkdtemp(join(tmpdir(), 'tollgate-lab-busy-'));
      const run = runLab([`--base-dir=${base}`, `--ports=${http.join(',')}`, '--no-prometheus']);
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`port in use: ${http[1]! + 1} (eu-west RPC)`);
      expect(run.stderr()).toContain('choose other ports with --ports=G,E,U.');
      expect(existsSync(join(base, 'global'))).toBe(false);
      await rm(base, { recursive: true, force: true });
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
  it('checks an explicitly chosen Prometheus port before starting any agent', async () => {
    const { http, prometheus } = await freeLabPorts();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: prometheus }, () => r()));
    try {
      const base = await mkdtemp(join(tmpdir(), 'tollgate-lab-busy-'));
      const run = runLab([`--base-dir=${base}`, `--ports=${http.join(',')}`, `--prometheus-port=${prometheus}`]);
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`port in use: ${prometheus} (Prometheus)`);
      // The hint names the flag that moves Prometheus, not --ports.
      expect(run.stderr()).toContain('choose other ports with --prometheus-port=PORT (or --no-prometheus).');
      expect(run.stderr()).not.toContain('--ports');
      expect(existsSync(join(base, 'global'))).toBe(false);
      await rm(base, { recursive: true, force: true });
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

describe('a running lab', () => {
  let base: string;
  let ports: { http: number[]; prometheus: number };
  let run: LabRun | undefined;
  let state: LabState | undefined;
  let token: string;
  // The lab runs with TLS by default: calls trust its CA.
  let labFetch: typeof fetch;
  const call: typeof api = (addr, method, path, o = {}) => api(addr, method, path, { ...o, fetch: labFetch });

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'tollgate-lab-'));
    ports = await freeLabPorts();
    run = runLab([`--base-dir=${base}`, `--ports=${ports.http.join(',')}`, `--prometheus-port=${ports.prometheus}`]);
    await labReady(run);
    state = JSON.parse(await readFile(join(base, 'lab.json'), 'utf8')) as LabState;
    token = /Management token[^\n]*\n\s+(\S+)/.exec(run.stdout())?.[1] ?? '';
    labFetch = tlsFetch({ caCert: state.tls!.caFile });
  });
  afterAll(async () => {
    await cleanup(run, state);
    await rm(base, { recursive: true, force: true });
  });

  it('prints every region with its HTTP and RPC address and starts global as authoritative', () => {
    const [g, e, u] = ports.http as [number, number, number];
    expect(run!.stdout()).toMatch(new RegExp(`global +https://127\\.0\\.0\\.1:${g} +127\\.0\\.0\\.1:${g + 1} +authoritative`));
    expect(run!.stdout()).toMatch(new RegExp(`eu-west +https://127\\.0\\.0\\.1:${e} +127\\.0\\.0\\.1:${e + 1} +follower`));
    expect(run!.stdout()).toMatch(new RegExp(`us-east +https://127\\.0\\.0\\.1:${u} +127\\.0\\.0\\.1:${u + 1} +follower`));
    expect(state!.regions.map((r) => [r.name, r.authoritative])).toEqual([
      ['global', true],
      ['eu-west', false],
      ['us-east', false],
    ]);
  });

  it('runs each region as its own agent, answering health with its own region and data dir', async () => {
    for (const r of state!.regions) {
      const h = await call(r.http, 'GET', '/v1/agent/health');
      expect({ region: r.name, status: h.status, body: h.body.region }).toEqual({ region: r.name, status: 200, body: r.name });
      expect(existsSync(join(base, r.name, 'server'))).toBe(true);
    }
    expect(new Set(state!.regions.map((r) => r.pid)).size).toBe(3);
  });

  it('prints a management token that works in global and is saved with mode 0600', async () => {
    expect(token).toMatch(UUID);
    const self = await call(state!.regions[0]!.http, 'GET', '/v1/acl/token/self', { token });
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ Type: 'management', Global: true, Name: 'Bootstrap Token' });
    expect(readFileSync(join(base, 'management-token'), 'utf8').trim()).toBe(token);
    expect(statSync(join(base, 'management-token')).mode & 0o777).toBe(0o600);
  });

  it('gives the followers a global management replication token and every other region as a peer', async () => {
    const repl = readFileSync(join(base, 'replication-token'), 'utf8').trim();
    expect(repl).not.toBe(token);
    const self = await call(state!.regions[0]!.http, 'GET', '/v1/acl/token/self', { token: repl });
    expect(self.body).toMatchObject({ Type: 'management', Global: true });
    const rpc = Object.fromEntries(state!.regions.map((r) => [r.name, r.rpc]));
    for (const r of state!.regions) {
      const cfg = loadAgentConfigFile(r.config);
      const others = Object.fromEntries(Object.entries(rpc).filter(([n]) => n !== r.name).map(([n, a]) => [n, [a]]));
      expect(cfg.server).toEqual({ authoritative_region: 'global', region_peers: others });
      expect(cfg.acl?.replication_token).toBe(r.authoritative ? undefined : repl);
      expect(statSync(r.config).mode & 0o777).toBe(0o600);
    }
  });

  it('makes a lab CA and per-region certificates on first start and runs every region with TLS and verify_server_hostname', async () => {
    const tlsDir = join(base, 'tls');
    for (const f of ['tollgate-agent-ca.pem', 'global-server-tollgate.pem', 'eu-west-server-tollgate.pem', 'us-east-server-tollgate.pem', 'global-cli-tollgate.pem']) {
      expect(existsSync(join(tlsDir, f)), f).toBe(true);
    }
    expect(statSync(join(tlsDir, 'tollgate-agent-ca-key.pem')).mode & 0o777).toBe(0o600);
    for (const r of state!.regions) {
      expect(loadAgentConfigFile(r.config).tls).toEqual({
        http: true,
        rpc: true,
        ca_file: join(tlsDir, 'tollgate-agent-ca.pem'),
        cert_file: join(tlsDir, `${r.name}-server-tollgate.pem`),
        key_file: join(tlsDir, `${r.name}-server-tollgate-key.pem`),
        verify_server_hostname: true,
      });
    }
    // Plain HTTP is not served, and the banner tells the CLI where the CA is.
    await expect(fetch(state!.regions[0]!.http.replace('https:', 'http:') + '/v1/agent/health')).rejects.toThrow();
    expect(run!.stdout()).toContain('export TOLLGATE_CACERT=');
  });

  it('answers the CLI command it suggests: token list in global with the printed token', async () => {
    expect(run!.stdout()).toContain(`TOLLGATE_ADDR=${state!.regions[0]!.http} npx tollgate acl token list`);
    const r = await runCli(['acl', 'token', 'list'], { env: { TOLLGATE_ADDR: state!.regions[0]!.http, TOLLGATE_TOKEN: token, TOLLGATE_CACERT: state!.tls!.caFile } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Bootstrap Token');
    expect(r.stdout).toContain('lab replication');
  });

  it('has Prometheus scrape all three agents (over HTTPS, trusting the lab CA)', async () => {
    expect(state!.prometheus?.url).toBe(`http://127.0.0.1:${ports.prometheus}`);
    const url = `${state!.prometheus!.url}/api/v1/query?query=${encodeURIComponent('up{job="tollgate"} == 1')}`;
    const instances = await eventually(async () => {
      const r = (await (await fetch(url)).json()) as { data: { result: Array<{ metric: { instance: string } }> } };
      const got = r.data.result.map((s) => s.metric.instance).sort();
      return got.length === 3 ? got : undefined;
    }, 30_000, 500);
    expect(instances).toEqual(ports.http.map((p) => `127.0.0.1:${p}`).sort());
  });

  // Needs issue #5 part 1 (replication) in the agent: it exports the series.
  it('has Prometheus answer tollgate_replication_lag_seconds for both followers', async () => {
    const url = `${state!.prometheus!.url}/api/v1/query?query=tollgate_replication_lag_seconds`;
    let last: unknown;
    const regions = await eventually(
      async () => {
        const r = (await (await fetch(url)).json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
        last = r.data.result;
        const got = [...new Set(r.data.result.filter((s) => s.metric.source_region === 'global').map((s) => s.metric.region))].sort();
        return got.includes('eu-west') && got.includes('us-east') ? got : undefined;
      },
      30_000,
      500,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last result: ${JSON.stringify(last)}`);
    });
    expect(regions).toEqual(['eu-west', 'us-east']);
  });

  it('stops every child and exits 0 on SIGINT, leaving no process behind', async () => {
    const pids = [...state!.regions.map((r) => r.pid), state!.prometheus!.pid];
    expect(pids.every(alive)).toBe(true);
    run!.proc.kill('SIGINT');
    expect(await run!.exited).toBe(0);
    expect(run!.stderr()).toContain('[lab] stopped');
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(join(base, 'lab.json'))).toBe(false);
  });

  it('reuses the management token and data on the next run in the same base dir (here plaintext, --no-tls)', async () => {
    const again = runLab([`--base-dir=${base}`, `--ports=${ports.http.join(',')}`, '--no-prometheus', '--no-tls']);
    let againState: LabState | undefined;
    try {
      await labReady(again);
      againState = JSON.parse(await readFile(join(base, 'lab.json'), 'utf8')) as LabState;
      expect(again.stderr()).toContain('reusing the management token');
      expect(again.stderr()).toContain('reusing the replication token');
      expect(again.stdout()).toContain(token);
      const self = await api(againState.regions[0]!.http, 'GET', '/v1/acl/token/self', { token });
      expect(self.status).toBe(200);
      expect(again.stdout()).toContain('Prometheus: not started (--no-prometheus)');
      expect(againState.regions[0]!.http).toMatch(/^http:\/\//);
      expect(again.stdout()).toContain('plaintext lab (--no-tls)');
      again.proc.kill('SIGTERM');
      expect(await again.exited).toBe(0);
      expect(againState.regions.map((r) => r.pid).filter(alive)).toEqual([]);
    } finally {
      await cleanup(again, againState);
    }
  });
});
