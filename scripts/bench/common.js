// Shared pieces of the benchmarks: agent processes, wrk runs, HTTP helpers.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir, track } from './cleanup.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'packages/cli/bin/tollgate.js');

/** Installs a Debian package when its binary is missing (root only). */
export function ensureTool(bin, pkg) {
  if (spawnSync('which', [bin]).status === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`${bin} is missing: apt-get install -y ${pkg}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
}

/** How long a spawned process may take to get ready (a busy machine needs more). */
const READY_TIMEOUT_MS = Number(process.env.BENCH_READY_TIMEOUT_MS ?? 30_000);
/** Output kept of a spawned process, for the error when it fails (its tail). */
const KEEP_OUTPUT = 64 * 1024;

/**
 * Spawns a process (registered with the cleanup registry) and resolves once
 * a stdout JSON line matches `ready`; `onLine` sees every JSON line, before
 * and after. Rejects (and kills it) when it exits first or is not ready
 * within `readyTimeoutMs`.
 */
export function spawnJson(cmd, args, ready, { onLine, readyTimeoutMs = READY_TIMEOUT_MS, ...opts } = {}) {
  const proc = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }));
  let out = '';
  const keep = (c) => (out = (out + c).slice(-KEEP_OUTPUT));
  let pending = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Leave no process behind: the caller never gets hold of it.
      proc.kill('SIGKILL');
      reject(new Error(`${cmd} did not get ready:\n${out}`));
    }, readyTimeoutMs);
    proc.stdout.on('data', (c) => {
      keep(c);
      pending += c;
      let nl;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let obj;
        try {
          obj = JSON.parse(line);
        } catch {
          continue;
        }
        onLine?.(obj);
        if (ready(obj)) {
          clearTimeout(timer);
          resolve({ proc, line: obj });
        }
      }
    });
    proc.stderr.on('data', keep);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited ${code}:\n${out}`));
    });
  });
}

/** Runs a command to its end (registered, so an interrupted run stops it); resolves its stdout. */
export function run(cmd, args, opts = {}) {
  const proc = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }));
  let out = '';
  let err = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (err = (err + c).slice(-KEEP_OUTPUT)));
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code ?? signal}:\n${err}${out}`))));
  });
}

/** The agent's config file text: the common settings, then the blocks the options ask for. */
function agentHcl({ region, dataDir, tls, peers, server, replicationToken, encryptionKey, hcl }) {
  const block = (name, lines) => (lines.length === 0 ? '' : `${name} {\n${lines.map((l) => `  ${l}\n`).join('')}}\n`);
  return (
    `region = "${region}"\ndata_dir = "${dataDir}"\nbind_addr = "127.0.0.1"\nlog_level = "info"\nports {\n  http = 0\n  rpc = 0\n}\n` +
    block('server', [
      ...(peers === undefined ? [] : [`authoritative_region = "${peers.authoritative}"`, `region_peers = { "${peers.authoritative}" = ["${peers.rpc}"] }`]),
      ...(server === undefined ? [] : [server]),
    ]) +
    block('acl', [
      ...(replicationToken === undefined ? [] : [`replication_token = "${replicationToken}"`]),
      ...(encryptionKey === undefined ? [] : [`encryption_key = "${encryptionKey}"`]),
    ]) +
    (tls === undefined ? '' : tls.hcl(region)) +
    hcl
  );
}

/**
 * Starts a Tollgate agent process: the one way every suite does. Options:
 * - `region` (default `global`); `bin`: another build's CLI (e.g. of the
 *   main branch, for a before/after run); `env`: the process environment;
 * - `dataDir`: run on this dir (e.g. a seeded store) and keep it; by
 *   default a fresh temp dir, removed by `stop()`;
 * - config: `tls` (what `benchTls()` made: HTTPS and mTLS for the region),
 *   `peers: { authoritative, rpc }` (replicate from that region's RPC
 *   address), `replicationToken`, `encryptionKey`, `server` (more lines of
 *   the `server` block), `hcl` (any other blocks);
 * - `onLine(obj)`: sees every JSON log line of the agent; `ready(obj)`: the
 *   line that means it is up (default: `agent started`); `readyTimeoutMs`.
 * Resolves `{ proc, addr, rpc, dataDir, line, spawnedAt, stop() }`:
 * `spawnedAt` is `performance.now()` at the spawn, `stop()` stops the agent
 * and removes the data dir it made.
 * BENCH_AGENT_NODE_ARGS: node flags for every agent (e.g. `--cpu-prof
 * --cpu-prof-dir=DIR` to profile a suite).
 */
export async function startAgent({ region = 'global', bin = BIN, env, dataDir, onLine, ready = (o) => o.msg === 'agent started', readyTimeoutMs, ...config } = {}) {
  const owned = dataDir === undefined;
  dataDir ??= await tempDir(`tollgate-bench-${region}-`);
  const removeOwned = async () => {
    if (owned) await removeDir(dataDir);
  };
  try {
    const cfg = join(dataDir, 'agent.hcl');
    await writeFile(cfg, agentHcl({ region, dataDir, hcl: '', ...config }));
    const nodeArgs = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const spawnedAt = performance.now();
    const { proc, line } = await spawnJson(process.execPath, [...nodeArgs, bin, 'agent', `-config=${cfg}`], ready, {
      onLine,
      readyTimeoutMs,
      ...(env === undefined ? {} : { env }),
    });
    const stopAgent = async () => {
      await stop(proc);
      await removeOwned();
    };
    return { proc, addr: line.http, rpc: line.rpc, dataDir, line, spawnedAt, stop: stopAgent };
  } catch (err) {
    await removeOwned();
    throw err;
  }
}

/** Stops a child process with SIGTERM and waits for its exit. */
export async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** @type {typeof fetch} */
let benchFetch = globalThis.fetch;
let tlsDir;

/**
 * The bench's TLS material, made once per run with the code of `tollgate tls`
 * (a CA, and a server certificate per region) in a temp dir; from then on
 * `call` trusts the CA. Returns `{ caFile, hcl(region), server(region) }`.
 */
export async function benchTls(regions = ['global', 'eu-west', 'us-east']) {
  const { CA_FILE, certFileNames, writeCaFiles, writeCertFiles } = await import('@tollgate/server');
  const { tlsFetch } = await import('@tollgate/client');
  if (tlsDir === undefined) {
    // Registered: no keys are left behind, whatever way the bench ends.
    tlsDir = await tempDir('tollgate-bench-tls-');
    writeCaFiles(tlsDir);
  }
  const server = (region) => {
    const n = certFileNames('server', region);
    return { cert: join(tlsDir, n.cert), key: join(tlsDir, n.key) };
  };
  for (const r of regions) if (!existsSync(server(r).cert)) writeCertFiles(tlsDir, { kind: 'server', region: r });
  const caFile = join(tlsDir, CA_FILE);
  benchFetch = tlsFetch({ caCert: caFile });
  return {
    caFile,
    server,
    hcl: (region) =>
      `tls {\n  http = true\n  rpc = true\n  ca_file = "${caFile}"\n  cert_file = "${server(region).cert}"\n  key_file = "${server(region).key}"\n  verify_server_hostname = true\n}\n`,
  };
}

export async function call(addr, method, path, { token, body } = {}) {
  const res = await benchFetch(addr + path, {
    method,
    headers: { ...(token ? { 'X-Nomad-Token': token } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Runs wrk with a Lua script that POSTs `body` with `headers`; returns
 * requests/second and latency percentiles (ms). `timeout`: wrk's
 * `--timeout` (its default, 2 s, when not given).
 */
export async function wrk(url, { body, headers = {}, connections = 64, threads = 1, seconds = 10, timeout }) {
  const dir = await tempDir('tollgate-wrk-');
  try {
    const script = join(dir, 'post.lua');
    const hdr = Object.entries({ 'Content-Type': 'application/json', ...headers })
      .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
      .join('\n');
    await writeFile(
      script,
      `wrk.method = "POST"\n${body === undefined ? '' : `wrk.body = ${JSON.stringify(body)}\n`}${hdr}\n` +
        `done = function(summary, latency, requests)\n` +
        `  io.write(string.format("JSON{\\"rps\\":%f,\\"p50\\":%f,\\"p99\\":%f,\\"errors\\":%d,\\"non2xx\\":%d}\\n", ` +
        `summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, ` +
        `summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))\n` +
        `end\n`,
    );
    const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, ...(timeout === undefined ? [] : ['--timeout', timeout]), '-s', script, url];
    const out = await run('wrk', args);
    const m = /JSON(\{.*\})/.exec(out);
    if (!m) throw new Error(`cannot read wrk output:\n${out}`);
    return JSON.parse(m[1]);
  } finally {
    await removeDir(dir);
  }
}

/**
 * User + system CPU seconds a process has used so far (Linux /proc); with
 * `thread`, only that thread's (the process id itself is its main thread,
 * the one running the event loop).
 */
export async function cpuSeconds(pid, thread) {
  const stat = await readFile(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the full line, in clock ticks (100/s on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A wrk run, with the CPU time `proc` used during it per request (µs) as `cpuUs`. */
export async function wrkCpu(proc, url, opts) {
  const before = await cpuSeconds(proc.pid);
  const res = await wrk(url, opts);
  const after = await cpuSeconds(proc.pid);
  return { ...res, cpuUs: ((after - before) * 1e6) / (res.rps * (opts.seconds ?? 10)) };
}

/** A process's RSS (MiB), and of it the anonymous part (heap; the rest is mapped files, e.g. LevelDB's tables). */
export async function rssOf(pid) {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN) / 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon') };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
