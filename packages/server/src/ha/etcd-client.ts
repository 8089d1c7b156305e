import { readFileSync } from 'node:fs';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import type { CallContext } from 'etcd3';
import { ConfigError } from '../errors.js';

/** Options of `createEtcdClient`. */
export interface EtcdClientOptions {
  /** `http://host:port` URLs of the region's etcd members. */
  readonly endpoints: readonly string[];
  /**
   * Deadline of every unary etcd call (range, txn, lease grant…), so a call
   * to an unreachable etcd fails instead of hanging. Streams (watch, lease
   * keep-alive) have none.
   * @default 3000
   */
  readonly callTimeoutMs?: number;
  /** `etcd.ca_file`: the CA of etcd's server certificate (https endpoints). */
  readonly caFile?: string;
  /** `etcd.cert_file`/`etcd.key_file`: this agent's client certificate (etcd's `--client-cert-auth`). */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** `etcd.username`/`etcd.password`: etcd's own authentication. */
  readonly username?: string;
  readonly password?: string;
}

/**
 * The etcd client of an HA agent (`etcd3` over grpc-js), configured for a
 * log follower rather than etcd3's general-purpose defaults:
 *
 * - no automatic retries: a transaction that failed in flight may have been
 *   applied, and retrying it blindly could report a conflict for the
 *   caller's own write; the region log decides (see `etcd-retry.ts`);
 * - no per-host circuit breaker: etcd3's default opens for 5 s after three
 *   failures, which would delay recovery after an outage by up to 5 s; the
 *   region log's own probe decides when to refuse writes;
 * - short grpc reconnect backoff (200 ms → 2 s instead of 1 s → 120 s), so
 *   an agent reconnects within about two seconds of etcd coming back;
 * - a deadline on every unary call.
 */
export function createEtcdClient(opts: EtcdClientOptions): Etcd3 {
  if (!Array.isArray(opts.endpoints) || opts.endpoints.length === 0) {
    throw new TypeError('etcd.endpoints must list at least one endpoint');
  }
  const timeout = opts.callTimeoutMs ?? 3000;
  const read = (f: string, key: string): Buffer => {
    try {
      return readFileSync(f);
    } catch (err) {
      throw new ConfigError(`${key}: cannot read ${f} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  // TLS whenever a CA or a client certificate is configured (etcd3 then dials the https endpoints securely).
  const credentials =
    opts.caFile === undefined && opts.certFile === undefined
      ? undefined
      : {
          rootCertificate: opts.caFile === undefined ? (undefined as unknown as Buffer) : read(opts.caFile, 'etcd.ca_file'),
          ...(opts.certFile === undefined ? {} : { certChain: read(opts.certFile, 'etcd.cert_file'), privateKey: read(opts.keyFile!, 'etcd.key_file') }),
        };
  return new Etcd3({
    hosts: [...opts.endpoints],
    ...(credentials === undefined ? {} : { credentials }),
    ...(opts.username === undefined ? {} : { auth: { username: opts.username, password: opts.password ?? '' } }),
    dialTimeout: timeout,
    defaultCallOptions: (ctx: CallContext) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    faultHandling: { host: () => noop, global: noop },
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
      // Listings of a large region come back in pages, but a single page of
      // big policies can exceed grpc's 4 MiB default.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    },
  });
}
