import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real single-member etcd on loopback, for tests and the bench. */
export interface EtcdProcess {
  /** `http://127.0.0.1:<client port>` (`https://` with `tls`), what `etcd { endpoints = [...] }` takes. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** Everything etcd wrote to stdout/stderr (it logs to stderr). */
  output(): string;
  /** SIGKILL and wait for exit (the data dir is kept, so `restart()` resumes it). */
  kill(): Promise<void>;
  /** Starts etcd again on the same ports and data dir; resolves once it is healthy. */
  restart(): Promise<void>;
  /** Kills etcd and removes its data dir. */
  close(): Promise<void>;
}

/** Options of `startEtcd`. */
export interface StartEtcdOptions {
  /** @default "/usr/bin/etcd" or the first `etcd` on PATH */
  readonly bin?: string;
  /** @default 15000 */
  readonly timeoutMs?: number;
  /**
   * etcd's `--max-txn-ops` (etcd's default: 128). Token revocations take a
   * whole tree in one transaction; operators raise this with
   * `etcd.max_txn_ops` (README "HA regions on etcd").
   */
  readonly maxTxnOps?: number;
  /**
   * Serve clients over TLS with this certificate and require client
   * certificates signed by `caFile` (`--client-cert-auth`); `client` is the
   * certificate the health probe presents.
   */
  readonly tls?: {
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
    readonly client: { readonly certFile: string; readonly keyFile: string };
  };
}

/** Where the etcd binary is, or `undefined` when it is not installed (tests skip then). */
export function findEtcd(): string | undefined {
  const which = spawnSync('which', ['etcd'], { encoding: 'utf8' });
  const path = which.status === 0 ? which.stdout.trim() : '';
  return path === '' ? undefined : path;
}

/**
 * Why the etcd-backed suites should skip, or `undefined` when they must run.
 * Under `CI=true` they always run, so a CI without etcd fails (startEtcd
 * throws in the suite's setup) instead of going green without HA; elsewhere a
 * missing etcd skips them, and the reason is printed so the skip is seen.
 */
export function etcdSkipReason(suite: string): string | undefined {
  if (process.env['CI'] === 'true') return undefined;
  if (findEtcd() !== undefined) return undefined;
  const reason = 'skipped: etcd is not installed (apt-get install etcd-server)';
  console.warn(`[${suite}] ${reason}`);
  return reason;
}

/** A port the kernel says is free right now (bind 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a single-member etcd on two free loopback ports with a temporary
 * data dir and resolves once `/health` answers. etcd cannot report a port it
 * picked itself, so ports are probed free first (a small race a test run can
 * live with).
 */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdProcess> {
  const bin = opts.bin ?? findEtcd();
  if (bin === undefined) throw new Error('etcd is not installed (Debian: apt-get install etcd-server)');
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const tls = opts.tls;
  const endpoint = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'tg',
    '--data-dir', join(dataDir, 'member'),
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `tg=${peer}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    ...(opts.maxTxnOps === undefined ? [] : ['--max-txn-ops', String(opts.maxTxnOps)]),
    ...(tls === undefined
      ? []
      : ['--cert-file', tls.certFile, '--key-file', tls.keyFile, '--trusted-ca-file', tls.caFile, '--client-cert-auth']),
  ];
  let text = '';
  let proc: ChildProcess;
  const launch = async (): Promise<void> => {
    proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (text += c.toString()));
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`etcd exited with ${proc.exitCode}:\n${text.slice(-4000)}`);
      try {
        if ((await health(endpoint, tls)) === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`etcd did not become healthy within ${opts.timeoutMs ?? 15_000} ms:\n${text.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    endpoint,
    clientPort,
    dataDir,
    get proc() {
      return proc;
    },
    output: () => text,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    close: async () => {
      await kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** etcd's `/health` answer (`"true"` when healthy), over TLS with the client certificate when etcd wants one. */
async function health(endpoint: string, tls: StartEtcdOptions['tls']): Promise<string | undefined> {
  if (tls === undefined) {
    const res = await fetch(`${endpoint}/health`);
    return ((await res.json()) as { health?: string }).health;
  }
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}/health`,
      { ca: readFileSync(tls.caFile), cert: readFileSync(tls.client.certFile), key: readFileSync(tls.client.keyFile), timeout: 2000 },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          try {
            resolve((JSON.parse(text) as { health?: string }).health);
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
