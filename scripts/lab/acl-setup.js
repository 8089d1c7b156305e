// @ts-check
// ACL set-up shared by the loopback lab (scripts/lab.js) and the container
// lab's one-shot init service (scripts/lab/compose-init.js): wait for the
// authoritative agent, bootstrap it (or reuse an earlier bootstrap), and make
// sure a global management token exists for the followers to replicate with.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LabError } from './errors.js';

/** Per-request deadline: the agents are on loopback or one Docker network. */
const REQUEST_TIMEOUT_MS = 5_000;

/** @type {typeof fetch} */
let labFetch = globalThis.fetch;

/**
 * Makes every `agentCall` of this process trust the lab CA (the agents serve
 * HTTPS). Called once at start, before any call.
 *
 * @param {string} caFile
 */
export async function trustLabCa(caFile) {
  const { tlsFetch } = await import('@tollgate/client');
  labFetch = tlsFetch({ caCert: caFile });
}

/**
 * One JSON call to an agent's HTTP API. Never throws on an HTTP status; only
 * on a transport failure or timeout.
 *
 * @param {string} addr e.g. `http://127.0.0.1:4646`
 * @param {string} method
 * @param {string} path
 * @param {{ token?: string, body?: unknown, timeoutMs?: number }} [opts]
 * @returns {Promise<{ status: number, body: any, text: string }>}
 */
export async function agentCall(addr, method, path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (opts.token !== undefined) headers['X-Nomad-Token'] = opts.token;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await labFetch(addr + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/**
 * Polls `/v1/agent/health` until the agent answers 200, for at most
 * `timeoutMs` (default 60 s: a container may still be pulling its image).
 *
 * @param {string} addr
 * @param {{ timeoutMs?: number, signal?: AbortSignal }} [opts]
 */
export async function waitHealthy(addr, opts = {}) {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last = 'no answer';
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const r = await agentCall(addr, 'GET', '/v1/agent/health', { timeoutMs: 2_000 });
      if (r.status === 200) return;
      last = `HTTP ${r.status} ${r.text.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new LabError('TOLLGATE_LAB_AGENT_UNHEALTHY', `${addr} is not healthy: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Reads a secret file written by `writeSecretFile`; undefined when missing.
 *
 * @param {string} file
 */
export async function readSecretFile(file) {
  try {
    const s = (await readFile(file, 'utf8')).trim();
    return s === '' ? undefined : s;
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes a secret with mode 0600, atomically (temp file + rename), so a
 * crash never leaves a half-written token behind for the next run to trust.
 *
 * @param {string} file
 * @param {string} content
 */
export async function writeSecretFile(file, content) {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content.endsWith('\n') ? content : `${content}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * Whether `secret` resolves to a management token at `addr` (and, with
 * `global`, to a global one).
 *
 * @param {string} addr
 * @param {string} secret
 * @param {{ global?: boolean }} [opts]
 */
export async function isManagementToken(addr, secret, opts = {}) {
  const r = await agentCall(addr, 'GET', '/v1/acl/token/self', { token: secret });
  if (r.status !== 200 || r.body?.Type !== 'management') return false;
  return opts.global !== true || r.body?.Global === true;
}

/**
 * Makes sure the authoritative region is bootstrapped and returns a working
 * management SecretID.
 *
 * Order: the token saved by an earlier run (`tokenFile`), then
 * `bootstrapSecret` if given (the container lab's fixed, lab-only secret);
 * when neither works, bootstrap (with `bootstrapSecret` as Nomad's
 * `BootstrapSecret` when given) and save the new token. A region that is
 * already bootstrapped by someone else is an error: the lab cannot recover
 * a token it never saw.
 *
 * @param {{ addr: string, tokenFile: string, bootstrapSecret?: string }} opts
 * @returns {Promise<{ secret: string, how: 'reused' | 'bootstrapped' }>}
 */
export async function ensureManagementToken({ addr, tokenFile, bootstrapSecret }) {
  const saved = await readSecretFile(tokenFile);
  for (const candidate of [saved, bootstrapSecret]) {
    if (candidate !== undefined && (await isManagementToken(addr, candidate))) {
      if (candidate !== saved) await writeSecretFile(tokenFile, candidate);
      return { secret: candidate, how: 'reused' };
    }
  }
  const r = await agentCall(addr, 'POST', '/v1/acl/bootstrap', {
    body: bootstrapSecret === undefined ? undefined : { BootstrapSecret: bootstrapSecret },
  });
  if (r.status === 200 && typeof r.body?.SecretID === 'string') {
    await writeSecretFile(tokenFile, r.body.SecretID);
    return { secret: r.body.SecretID, how: 'bootstrapped' };
  }
  if (r.status === 400 && /already done/.test(r.text)) {
    throw new LabError(
      'TOLLGATE_LAB_BOOTSTRAPPED_ELSEWHERE',
      `${addr} is already bootstrapped, but ${tokenFile} holds no working management token. ` +
        'Remove the lab base dir to start afresh (docs/lab.md, "Starting over").',
    );
  }
  throw new LabError('TOLLGATE_LAB_BOOTSTRAP_FAILED', `bootstrap at ${addr} failed: HTTP ${r.status} ${r.text.slice(0, 300)}`);
}

/**
 * Makes sure a global management token for replication exists, reusing the
 * one in `tokenFile` while it still works, and returns its SecretID. It is a
 * token of its own (not the bootstrap token) so that it can be revoked
 * without locking the operator out.
 *
 * @param {{ addr: string, managementToken: string, tokenFile: string }} opts
 * @returns {Promise<{ secret: string, how: 'reused' | 'created' }>}
 */
export async function ensureReplicationToken({ addr, managementToken, tokenFile }) {
  const saved = await readSecretFile(tokenFile);
  if (saved !== undefined && (await isManagementToken(addr, saved, { global: true }))) {
    return { secret: saved, how: 'reused' };
  }
  const r = await agentCall(addr, 'POST', '/v1/acl/token', {
    token: managementToken,
    body: { Name: 'lab replication', Type: 'management', Global: true },
  });
  if (r.status !== 200 || typeof r.body?.SecretID !== 'string') {
    throw new LabError(
      'TOLLGATE_LAB_REPLICATION_TOKEN_FAILED',
      `creating the replication token at ${addr} failed: HTTP ${r.status} ${r.text.slice(0, 300)}`,
    );
  }
  await writeSecretFile(tokenFile, r.body.SecretID);
  return { secret: r.body.SecretID, how: 'created' };
}
