import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, collect, descendants, freeLabPorts, until } from './lab-kit.js';
import type { Collected } from './lab-kit.js';
import { BIN, REPO, api, eventually } from './testkit.js';

// A newcomer's first hour (issue 16): the things a first try trips over,
// each run the way the README tells a user to run it.

/** Temp dirs and processes a test made; removed after it whatever happened. */
const dirs: string[] = [];
const procs: Collected[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    for (const pid of descendants(p.proc.pid!)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const tempDir = async (prefix: string) => {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const started = (c: Collected) => (procs.push(c), c);
/** Listens on 127.0.0.1:port if nobody does yet; either way the port is busy after. */
const occupy = (port: number) =>
  new Promise<Server>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(s));
    s.listen({ host: '127.0.0.1', port }, () => resolve(s));
  });
const release = (s: Server) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)));

describe('stopping through npm', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`\`npm start\` stops the whole lab on ${signal} sent to the npm process`, async () => {
      const base = await tempDir('tollgate-npm-lab-');
      const { http } = await freeLabPorts();
      const npm = started(collect('npm', ['start', '--', `--base-dir=${base}`, `--ports=${http.join(',')}`, '--no-prometheus'], { cwd: REPO }));
      await until(npm, () => npm.stdout().includes('Ctrl-C stops the lab'));
      const state = JSON.parse(await readFile(join(base, 'lab.json'), 'utf8')) as { pid: number; regions: Array<{ pid: number }> };
      const pids = [state.pid, ...state.regions.map((r) => r.pid), ...descendants(npm.proc.pid!)];
      expect(state.regions).toHaveLength(3);
      expect(pids.every(alive)).toBe(true);
      npm.proc.kill(signal);
      await Promise.race([npm.exited, new Promise((r) => setTimeout(r, 30_000))]);
      expect(await eventually(() => pids.filter(alive).length === 0, 20_000, 100)).toBe(true);
      expect(npm.stderr()).toContain('[lab] stopped');
    });

    it(`\`npx tollgate agent -dev\` stops on ${signal} sent to npx, and deletes its throwaway data dir`, async () => {
      const npx = started(collect('npx', ['tollgate', 'agent', '-dev', '-http-port=0', '-rpc-port=0'], { cwd: REPO }));
      await until(npx, () => npx.stderr().includes('==> -dev agent:'));
      const [, addr, dataDir] = /==> -dev agent: HTTP (\S+), RPC \S+; data dir (\S+) \(deleted on exit\)/.exec(npx.stderr()) ?? [];
      expect((await api(addr!, 'GET', '/v1/agent/health')).status).toBe(200);
      expect(existsSync(dataDir!)).toBe(true);
      const pids = descendants(npx.proc.pid!);
      expect(pids.length).toBeGreaterThan(0);
      npx.proc.kill(signal);
      await Promise.race([npx.exited, new Promise((r) => setTimeout(r, 30_000))]);
      expect(await eventually(() => pids.filter(alive).length === 0, 20_000, 100)).toBe(true);
      expect(existsSync(dataDir!)).toBe(false);
    });
  }
});

describe('tollgate agent', () => {
  it('-dev gives way to a free port when a default one is taken, says so, and deletes its data dir on exit', async () => {
    const blocker = await occupy(4647);
    try {
      const agent = started(collect(process.execPath, [BIN, 'agent', '-dev', '-http-port=0'], { cwd: REPO }));
      await until(agent, () => agent.stderr().includes('==> -dev agent:'));
      expect(agent.stderr()).toContain('==> -dev: port 4647 is in use; RPC takes a free port (-rpc-port=<port> picks one)');
      const [, rpc, dataDir] = /RPC (\S+); data dir (\S+)/.exec(agent.stderr()) ?? [];
      expect(rpc).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(rpc).not.toBe('127.0.0.1:4647');
      agent.proc.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      expect(existsSync(dataDir!)).toBe(false);
    } finally {
      await release(blocker);
    }
  });

  it('reports a busy RPC port once, on one line naming the flag, with no stack', async () => {
    const blocker = await occupy(4647);
    try {
      const dataDir = await tempDir('tollgate-busy-rpc-');
      const agent = started(collect(process.execPath, [BIN, 'agent', `-data-dir=${dataDir}`, '-bind=127.0.0.1', '-http-port=0'], { cwd: REPO }));
      expect(await agent.exited).toBe(1);
      expect(agent.stderr().trim()).toBe(
        'Error starting agent: cannot listen for RPC on 127.0.0.1:4647: the port is in use (another agent or lab?); ' +
          'choose another with -rpc-port=<port> or ports.rpc (0 picks a free port)',
      );
      expect(agent.stdout()).not.toMatch(/stack|No address added|EADDRINUSE/);
      expect(agent.stdout()).toMatch(/"code":"TOLLGATE_RPC_LISTEN","msg":"agent failed to start"/);
    } finally {
      await release(blocker);
    }
  });

  it('-dev deletes its data dir when the start fails too', async () => {
    const before = new Set((await import('node:fs')).readdirSync(tmpdir()).filter((n) => n.startsWith('tollgate-dev-')));
    const blocker = await occupy(4646);
    try {
      // A busy port given explicitly is not moved: the agent fails to start.
      const agent = started(collect(process.execPath, [BIN, 'agent', '-dev', '-http-port=4646', '-rpc-port=0'], { cwd: REPO }));
      expect(await agent.exited).toBe(1);
      expect(agent.stderr()).toContain('choose another with -http-port=<port> or ports.http');
    } finally {
      await release(blocker);
    }
    const after = (await import('node:fs')).readdirSync(tmpdir()).filter((n) => n.startsWith('tollgate-dev-') && !before.has(n));
    expect(after).toEqual([]);
  });
});

describe('lab state', () => {
  it('refuses to run --ha on a plain lab\u2019s base dir, saying what to do, before starting anything', async () => {
    const base = await tempDir('tollgate-lab-kinds-');
    const { http } = await freeLabPorts();
    const plain = started(collect(process.execPath, [join(REPO, 'scripts/lab.js'), `--base-dir=${base}`, `--ports=${http.join(',')}`, '--no-prometheus'], { cwd: REPO }));
    await until(plain, () => plain.stdout().includes('Ctrl-C stops the lab'));
    plain.proc.kill('SIGINT');
    expect(await plain.exited).toBe(0);
    expect(readFileSync(join(base, 'lab-kind'), 'utf8').trim()).toBe('plain');
    // Ports far from the plain lab's: --ha needs HTTP + 0 … + 5 free.
    const ha = started(collect(process.execPath, [join(REPO, 'scripts/lab.js'), '--ha', `--base-dir=${base}`, '--ports=31000,31010,31020', '--no-prometheus'], { cwd: REPO }));
    expect(await ha.exited).toBe(1);
    expect(ha.stderr()).toContain(`${base} holds the state of a plain (no --ha) lab, which npm start -- --ha cannot reuse.`);
    expect(ha.stderr()).toContain(`Choose another --base-dir (the default is .lab-ha with --ha, .lab without), or start over with rm -rf ${base}.`);
    expect(existsSync(join(base, 'global-etcd'))).toBe(false);
  });
});

describe('npm run bench', () => {
  it('refuses an unknown suite with a non-zero exit, naming the valid ones', async () => {
    const run = collect('npm', ['run', '-s', 'bench', '--', 'nosuchsuite'], { cwd: REPO });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain("bench: unknown suite 'nosuchsuite'");
    expect(run.stderr()).toContain('Suites: authorize, creates, replication, catchup, fanout, ha, failover');
    expect(run.stdout()).not.toContain('== ');
  });
});

describe('npm ci on the supported Node', () => {
  it('installs nothing whose engines exclude the oldest Node the project supports (no EBADENGINE)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    expect(oldest).toBe('20.19.0');
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string }; optional?: boolean }>;
    };
    const excluded = Object.entries(lock.packages)
      // Optional packages (platform binaries) are skipped where they do not fit.
      .filter(([name, p]) => name !== '' && !p.optional && p.engines?.node && !semver.satisfies(oldest, p.engines.node))
      .map(([name, p]) => `${name} (${p.engines!.node})`);
    expect(excluded).toEqual([]);
  });
});
