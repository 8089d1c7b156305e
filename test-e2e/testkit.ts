/**
 * Test kit for end-to-end tests: real agent processes (the built `tollgate`
 * bin) on loopback with port 0 and temporary data dirs, and the CLI as a
 * child process. Log assertions parse the agents' JSON lines.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, httpCall, type HttpAnswer } from '@tollgate/testkit';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(REPO, 'packages/cli/bin/tollgate.js');

/** A running agent process. */
export interface RunningAgent {
  /** `http://127.0.0.1:<port>` */
  readonly addr: string;
  /** `127.0.0.1:<port>` of the gRPC listener, when the agent has one. */
  readonly rpcAddr: string | undefined;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** Every stdout line so far, parsed as JSON where possible. */
  readonly logs: Array<Record<string, unknown>>;
  /** Raw stdout + stderr text so far. */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface StartAgentOptions {
  readonly region?: string;
  /** Extra HCL config appended to the generated file. */
  readonly hcl?: string;
  /** Reuse a data dir (to restart an agent); a fresh temp dir by default. */
  readonly dataDir?: string;
  /** Fixed ports (default 0 = free ports). */
  readonly httpPort?: number;
  readonly rpcPort?: number;
  readonly extraArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /**
   * How long to wait for "agent started". Bounds a hung start, not a slow
   * one: an agent start costs ~2.5 CPU-seconds (module loading, the store,
   * TLS), which a 2-core machine at a load of 20 stretches past 30 s.
   * @default 60000
   */
  readonly timeoutMs?: number;
}

/** Starts `tollgate agent` and resolves once it logs "agent started". */
export async function startAgent(opts: StartAgentOptions = {}): Promise<RunningAgent> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'tollgate-e2e-')));
  const region = opts.region ?? 'global';
  const cfg = join(dataDir, `agent-${Date.now()}-${Math.random().toString(36).slice(2)}.hcl`);
  await writeFile(
    cfg,
    `region = "${region}"\ndata_dir = "${dataDir}"\nbind_addr = "127.0.0.1"\nlog_level = "info"\n` +
      `ports {\n  http = ${opts.httpPort ?? 0}\n  rpc = ${opts.rpcPort ?? 0}\n}\n` +
      (opts.hcl ?? ''),
  );
  const proc = spawn(process.execPath, [BIN, 'agent', `-config=${cfg}`, ...(opts.extraArgs ?? [])], {
    cwd: REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let text = '';
  let pending = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`agent did not start within ${opts.timeoutMs ?? 60_000} ms:\n${text}`)),
      opts.timeoutMs ?? 60_000,
    );
    proc.stdout!.on('data', (chunk: Buffer) => {
      const s = chunk.toString();
      text += s;
      pending += s;
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const obj = JSON.parse(line) as Record<string, unknown>;
          logs.push(obj);
          if (obj.msg === 'agent started') {
            clearTimeout(timer);
            resolve(obj);
          }
        } catch {
          // not a JSON line
        }
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before starting:\n${text}`));
    });
  });
  const line = await started;
  return {
    addr: String(line.http),
    rpcAddr: typeof line.rpc === 'string' ? line.rpc : undefined,
    dataDir,
    proc,
    logs,
    output: () => text,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Teardown steps of a test file, run (last first) after each test. */
export type Cleanups = (() => Promise<unknown>)[];

/**
 * Starts an agent with extra HCL (and optionally an existing data dir) whose
 * stop and data-dir removal go on `cleanups`.
 */
export async function agentWith(cleanups: Cleanups, hcl: string, dataDir?: string): Promise<RunningAgent> {
  const a = await startAgent({ hcl, ...(dataDir === undefined ? {} : { dataDir }) });
  cleanups.push(async () => {
    await a.stop();
    await rm(a.dataDir, { recursive: true, force: true });
  });
  return a;
}

/** Runs the built `tollgate` CLI and collects its output. */
export function runCli(
  args: readonly string[],
  opts: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
    // Tests choose their token explicitly.
    if (opts.env?.TOLLGATE_TOKEN === undefined) delete env.TOLLGATE_TOKEN;
    if (opts.env?.NOMAD_TOKEN === undefined) delete env.NOMAD_TOKEN;
    const p = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(opts.stdin ?? '');
  });
}

/** A JSON HTTP call against an agent: status, parsed body (or text), headers. */
export function api(
  addr: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; fetch?: typeof fetch } = {},
): Promise<HttpAnswer> {
  const { rawBody, ...rest } = opts;
  return httpCall(addr, method, path, { ...rest, raw: rawBody });
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

// `freePort`: a free TCP port on loopback (closed again at once: a test's agent binds it next).
export { freePort };

/** Options of `startCluster`. */
export interface StartClusterOptions {
  /** Region names; the first is authoritative. @default ['global', 'eu-west', 'us-east'] */
  readonly regions?: readonly string[];
  /** Extra lines inside every agent's `server { … }` block, e.g. `replication_wait = "1s"`. */
  readonly serverHcl?: string;
  /** Extra lines inside each follower's `server { … }` block, by region. */
  readonly followerServerHcl?: Readonly<Record<string, string>>;
  /** Extra top-level HCL for a region's agent (e.g. its `tls` block). */
  readonly agentHcl?: (region: string) => string;
  /** The fetch every HTTP call of the kit uses (an HTTPS cluster needs its CA). @default fetch */
  readonly fetch?: typeof fetch;
  /** Fixed RPC ports by region (free ports otherwise). */
  readonly rpcPorts?: Readonly<Record<string, number>>;
  /** Where `from` dials region `to` (e.g. through a proxy); the region's own RPC address otherwise. */
  readonly peerAddr?: (from: string, to: string) => string | undefined;
}

/** A multi-region cluster of agent processes on loopback, each with its own data dir and fixed ports. */
export interface Cluster {
  /** The authoritative region's name. */
  readonly authoritative: string;
  readonly regions: readonly string[];
  /** The bootstrap (management) SecretID. */
  readonly management: string;
  /** The global management token the followers replicate with. */
  readonly replicationToken: string;
  /** The running agent of a region (changes after `restart`). */
  agent(region: string): RunningAgent;
  /** `host:port` of a region's gRPC listener. */
  rpcAddr(region: string): string;
  /**
   * Starts a region's agent again with the same data dir and ports
   * (stopping it first if it runs); `replicationToken` overrides the
   * follower's `acl.replication_token` for this start.
   */
  restart(region: string, opts?: { replicationToken?: string }): Promise<RunningAgent>;
  /** Resolves once every follower has applied the authoritative index it has now (or `index`). */
  waitReplicated(index?: number, timeoutMs?: number): Promise<void>;
  /** Stops every agent. */
  close(): Promise<void>;
}

/**
 * Starts a multi-region cluster the way an operator would: the
 * authoritative region first, ACLs bootstrapped there, a global management
 * token created for replication, then the followers with that token. Every
 * agent knows every region's RPC address (`server.region_peers`), so
 * `?region=` works in all directions, and ports are fixed so that an agent
 * can be restarted where it was. Resolves once every follower is caught up.
 *
 * @example
 * const c = await startCluster();
 * await api(c.agent('eu-west').addr, 'GET', '/v1/acl/token/self', { token: c.management });
 * await c.close();
 */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const regions = opts.regions ?? ['global', 'eu-west', 'us-east'];
  const authoritative = regions[0]!;
  const ports = new Map<string, { http: number; rpc: number }>();
  for (const r of regions) ports.set(r, { http: await freePort(), rpc: opts.rpcPorts?.[r] ?? (await freePort()) });
  const call: typeof api = (addr, method, path, o = {}) => api(addr, method, path, { ...o, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const dataDirs = new Map<string, string>();
  for (const r of regions) dataDirs.set(r, await mkdtemp(join(tmpdir(), `tollgate-e2e-${r}-`)));
  const rpcAddr = (r: string): string => `127.0.0.1:${ports.get(r)!.rpc}`;
  const peersFor = (from: string): string =>
    regions.map((r) => `    "${r}" = ["${opts.peerAddr?.(from, r) ?? rpcAddr(r)}"]`).join('\n');
  const agents = new Map<string, RunningAgent>();
  let replicationToken = '';

  const start = (region: string, token?: string): Promise<RunningAgent> => {
    const follower = region !== authoritative;
    const hcl =
      `server {\n  authoritative_region = "${authoritative}"\n  region_peers = {\n${peersFor(region)}\n  }\n` +
      `${opts.serverHcl ?? ''}\n${(follower && opts.followerServerHcl?.[region]) || ''}\n}\n` +
      (follower ? `acl {\n  replication_token = "${token ?? replicationToken}"\n}\n` : '') +
      (opts.agentHcl?.(region) ?? '');
    const p = ports.get(region)!;
    return startAgent({ region, dataDir: dataDirs.get(region)!, httpPort: p.http, rpcPort: p.rpc, hcl });
  };

  const main = await start(authoritative);
  agents.set(authoritative, main);
  const boot = await call(main.addr, 'POST', '/v1/acl/bootstrap');
  if (boot.status !== 200) throw new Error(`bootstrap failed: ${boot.status} ${boot.text}`);
  const management = boot.body.SecretID as string;
  const repl = await call(main.addr, 'POST', '/v1/acl/token', {
    token: management,
    body: { Name: 'replication', Type: 'management', Global: true },
  });
  if (repl.status !== 200) throw new Error(`replication token: ${repl.status} ${repl.text}`);
  replicationToken = repl.body.SecretID as string;
  const started = await Promise.all(regions.slice(1).map((r) => start(r)));
  regions.slice(1).forEach((r, i) => agents.set(r, started[i]!));

  const cluster: Cluster = {
    authoritative,
    regions,
    management,
    replicationToken,
    agent(region) {
      const a = agents.get(region);
      if (a === undefined) throw new Error(`no agent for region ${region}`);
      return a;
    },
    rpcAddr,
    async restart(region, o = {}) {
      await agents.get(region)?.stop();
      const a = await start(region, o.replicationToken);
      agents.set(region, a);
      return a;
    },
    async waitReplicated(index, timeoutMs = 20_000) {
      const target = index ?? Number((await call(cluster.agent(authoritative).addr, 'GET', '/v1/agent/health')).body.index);
      await Promise.all(
        regions.slice(1).map((r) =>
          eventually(async () => {
            const s = await call(cluster.agent(r).addr, 'GET', '/v1/acl/replication', { token: replicationToken });
            return s.status === 200 && s.body.Sources?.[0]?.AppliedIndex >= target;
          }, timeoutMs),
        ),
      );
    },
    async close() {
      await Promise.all([...agents.values()].map((a) => a.stop()));
    },
  };
  await cluster.waitReplicated();
  return cluster;
}
