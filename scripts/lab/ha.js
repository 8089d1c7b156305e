// @ts-check
// HA regions in the loopback lab (`npm start -- --ha`, issue #6): each region
// gets its own single-member etcd and a second agent, both agents following
// that etcd. Ports are derived from the region's HTTP port (see HA_PORTS).
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readSecretFile, writeSecretFile } from './acl-setup.js';
import { LabError } from './errors.js';
import { ManagedProcess } from './managed-process.js';

/** Offsets from a region's HTTP port (its first agent: HTTP +0, RPC +1). */
export const HA_PORTS = /** @type {const} */ ({ agent2Http: 2, agent2Rpc: 3, etcdClient: 4, etcdPeer: 5 });

/** How long the lab waits for an etcd to answer /health. */
const ETCD_READY_MS = 20_000;

/** The etcd binary, or undefined when it is not installed. */
export function findEtcd() {
  const r = spawnSync('which', ['etcd'], { encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim() : '';
  return path === '' ? undefined : path;
}

/**
 * Every port an HA region needs besides its first agent's, for the
 * up-front port check.
 *
 * @param {{ name: string, httpPort: number }} r
 */
export function haPortsOf(r) {
  return [
    { port: r.httpPort + HA_PORTS.agent2Http, what: `${r.name} second agent HTTP` },
    { port: r.httpPort + HA_PORTS.agent2Rpc, what: `${r.name} second agent RPC` },
    { port: r.httpPort + HA_PORTS.etcdClient, what: `${r.name} etcd client` },
    { port: r.httpPort + HA_PORTS.etcdPeer, what: `${r.name} etcd peer` },
  ];
}

/**
 * The region-wide `acl.encryption_key` every agent of an HA region needs
 * (base64 of 32 bytes), kept in the base dir (mode 0600) so a later run
 * opens the same etcd data.
 *
 * @param {string} file
 */
export async function ensureRegionKey(file) {
  const existing = await readSecretFile(file);
  if (existing !== undefined) return existing;
  const key = randomBytes(32).toString('base64');
  await writeSecretFile(file, key);
  return key;
}

/**
 * Starts one region's etcd (data in `<dataDir>`, reused by the next run)
 * and resolves once it answers `/health`.
 *
 * With `tls`, etcd serves clients over TLS with the region's server
 * certificate and requires client certificates from the lab CA
 * (`--client-cert-auth`); the agents present their own server certificate.
 *
 * @param {{ bin: string, name: string, dataDir: string, clientPort: number, peerPort: number, logFile: string, tls?: { caFile: string, certFile: string, keyFile: string } }} o
 * @returns {Promise<{ proc: ManagedProcess, endpoint: string }>}
 */
export async function startRegionEtcd(o) {
  const tls = o.tls;
  const endpoint = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${o.clientPort}`;
  const peer = `http://127.0.0.1:${o.peerPort}`;
  const proc = new ManagedProcess({
    name: `${o.name} etcd`,
    cmd: o.bin,
    args: [
      '--name', o.name,
      '--data-dir', o.dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `${o.name}=${peer}`,
      '--logger', 'zap',
      '--log-outputs', 'stderr',
      ...(tls === undefined ? [] : ['--cert-file', tls.certFile, '--key-file', tls.keyFile, '--trusted-ca-file', tls.caFile, '--client-cert-auth']),
    ],
    logFile: o.logFile,
  });
  /** @type {typeof fetch} */
  let healthFetch = fetch;
  if (tls !== undefined) {
    const { tlsFetch } = await import('@tollgate/client');
    healthFetch = tlsFetch({ caCert: tls.caFile, clientCert: tls.certFile, clientKey: tls.keyFile });
  }
  const deadline = Date.now() + ETCD_READY_MS;
  for (;;) {
    if (proc.status === 'exited') throw new LabError('TOLLGATE_LAB_CHILD_EXITED', `${o.name} etcd exited before it was ready:\n${proc.tail}`);
    try {
      const res = await healthFetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && (/** @type {{ health?: string }} */ (await res.json())).health === 'true') return { proc, endpoint };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new LabError('TOLLGATE_LAB_START_TIMEOUT', `${o.name} etcd did not answer /health within ${ETCD_READY_MS} ms:\n${proc.tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The HCL an HA agent adds to its config: the region's etcd and key.
 *
 * @param {{ endpoint: string, key: string, tls?: { caFile: string, certFile: string, keyFile: string } }} c
 */
export function haHcl(c) {
  return [
    `# HA region (npm start -- --ha): every agent of the region follows this etcd.`,
    `etcd {`,
    `  endpoints = [${JSON.stringify(c.endpoint)}]`,
    ...(c.tls === undefined
      ? []
      : [`  ca_file   = ${JSON.stringify(c.tls.caFile)}`, `  cert_file = ${JSON.stringify(c.tls.certFile)}`, `  key_file  = ${JSON.stringify(c.tls.keyFile)}`]),
    `}`,
    ``,
    `acl {`,
    `  encryption_key = ${JSON.stringify(c.key)}`,
    `}`,
    ``,
  ].join('\n');
}

/** etcd's data dir of a region under the lab's base dir. */
export const etcdDataDir = (/** @type {string} */ baseDir, /** @type {string} */ region) => join(baseDir, `${region}-etcd`);
