/**
 * HA pieces of the e2e test kit: real etcd processes, a TCP proxy to cut
 * one agent off from etcd, and agents configured for a region on etcd.
 * The etcd and proxy helpers come from `@tollgate/testkit`, shared with the
 * packages' unit tests.
 */
import { randomBytes } from 'node:crypto';
import { api, startAgent } from './testkit.js';
import type { RunningAgent, StartAgentOptions } from './testkit.js';

export { etcdSkipReason, startEtcd, startTcpProxy } from '@tollgate/testkit';
export type { EtcdProcess, TcpProxy } from '@tollgate/testkit';
export { makeTlsLab } from './tls-kit.js';

/** A region-wide `acl.encryption_key` (base64 of 32 bytes). */
export function regionKey(): string {
  return randomBytes(32).toString('base64');
}

/** Options of `startHaAgent`. */
export interface HaAgentOptions extends Omit<StartAgentOptions, 'hcl'> {
  /** etcd client URLs (or a proxy's). */
  readonly endpoints: readonly string[];
  /** `acl.encryption_key`, the same for every agent of the region; omitted = none (the agent must refuse to start). */
  readonly key: string | undefined;
  readonly hcl?: string;
  /** etcd over TLS: its CA, and the client certificate this agent presents (none: the agent has no client certificate). */
  readonly etcdTls?: { readonly caFile: string; readonly certFile?: string; readonly keyFile?: string };
}

/** Starts `tollgate agent` in HA mode (an `etcd` block) for `opts.region`. */
export function startHaAgent(opts: HaAgentOptions): Promise<RunningAgent> {
  const endpoints = opts.endpoints.map((e) => JSON.stringify(e)).join(', ');
  const t = opts.etcdTls;
  const tlsLines =
    t === undefined
      ? ''
      : `  ca_file = "${t.caFile}"\n` + (t.certFile === undefined ? '' : `  cert_file = "${t.certFile}"\n  key_file = "${t.keyFile}"\n`);
  const hcl =
    `etcd {\n  endpoints = [${endpoints}]\n${tlsLines}}\n` +
    (opts.key === undefined ? '' : `acl {\n  encryption_key = "${opts.key}"\n}\n`) +
    (opts.hcl ?? '');
  return startAgent({ ...opts, hcl });
}

/** `GET /v1/agent/ha` of an agent (`fetch`: one that trusts the agent's CA, for HTTPS). */
export async function haStatus(addr: string, fetchImpl?: typeof fetch): Promise<{
  IsLeader: boolean;
  Term: number;
  AppliedIndex: number;
  EtcdIndex: number;
  Reachable: boolean;
  Leader: { ID: string; HTTPAddr: string } | null;
  Degraded: string | null;
}> {
  const r = await api(addr, 'GET', '/v1/agent/ha', fetchImpl === undefined ? {} : { fetch: fetchImpl });
  if (r.status !== 200) throw new Error(`/v1/agent/ha answered ${r.status}: ${r.text}`);
  return r.body;
}

/** Resolves with the agent among `agents` that leads (polls `/v1/agent/ha`). */
export async function leaderOf(agents: readonly RunningAgent[], timeoutMs = 15_000, fetchImpl?: typeof fetch): Promise<RunningAgent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const a of agents) {
      if (a.proc.exitCode !== null || a.proc.signalCode !== null) continue;
      try {
        if ((await haStatus(a.addr, fetchImpl)).IsLeader) return a;
      } catch {
        // not answering (killed or starting)
      }
    }
    if (Date.now() > deadline) throw new Error(`no leader among ${agents.length} agents within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
