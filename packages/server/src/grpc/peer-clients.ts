import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { roleName } from '../tls/cert-authority.js';
import type { ForwardClient } from '../generated/tollgate/v1/Forward.js';
import type { ReplicationClient } from '../generated/tollgate/v1/Replication.js';
import { loadTollgateProto } from './proto-definitions.js';
import { PeerConnectError } from './retry.js';

/** Largest message a peer may send us (a snapshot chunk, a forwarded answer). */
export const GRPC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Channel options for calls to other regions. grpc-js reconnects with a
 * backoff that grows to 120 s by default; a region coming back must be seen
 * within a couple of seconds, so the backoff is capped at 2 s. Each channel
 * has subchannels of its own (not grpc-js' process-wide pool), so a channel
 * made by `retryNow` starts without the backoff of the one it replaces.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
  'grpc.use_local_subchannel_pool': 1,
  'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
};

/** How PeerClients connect with `tls { rpc = true }`. */
export interface PeerTls {
  /** The CA, certificate and key in use now (read per new channel, so a reload applies to the next connection). */
  readonly material: () => TlsMaterial;
  /**
   * `tls.verify_server_hostname`: a peer listed for region R must present
   * `server.R.tollgate`. Without it any certificate from the CA is accepted.
   */
  readonly verifyServerHostname: boolean;
  /** Told of every peer refused for its name (log line and metric). */
  readonly onRefused: (address: string, expected: string, err: Error) => void;
  /**
   * Told why a TLS connection to a peer failed (a certificate from another
   * CA, no TLS at all…), found by a handshake-only probe after a failed
   * connect; nothing is sent over the probe.
   */
  readonly onHandshakeFailed?: (address: string, reason: string) => void;
}

/** Options of {@link PeerClients}; without any, channels are plaintext. */
export interface PeerClientsOptions {
  readonly tls?: () => PeerTls | undefined;
  /** `server.region_peers`: which region each address belongs to (the name its certificate must carry). */
  readonly regionPeers?: Readonly<Record<string, readonly string[]>>;
}

interface Peer {
  readonly channel: grpc.Channel;
  readonly forward: ForwardClient;
  readonly replication: ReplicationClient;
}

/**
 * One HTTP/2 channel per peer address (`host:port`; DNS names resolve
 * through grpc-js' resolver), shared by the Forward and Replication clients
 * and kept for the agent's life so forwarded writes reuse a warm connection.
 *
 * ```ts
 * const peers = new PeerClients();
 * await peers.connect('127.0.0.1:4647', 2000);
 * peers.forward('127.0.0.1:4647').Http(req, md, { deadline }, cb);
 * peers.close();
 * ```
 */
export class PeerClients {
  readonly #peers = new Map<string, Peer>();
  readonly #o: PeerClientsOptions;
  #closed = false;

  constructor(opts: PeerClientsOptions = {}) {
    this.#o = opts;
  }

  /**
   * After a certificate reload: channels made from now on use the new
   * material. Current channels are closed for new calls; calls in progress
   * (a replication stream) finish on them.
   */
  renew(): void {
    for (const peer of this.#peers.values()) peer.channel.close();
    this.#peers.clear();
  }

  #credentials(address: string): { creds: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
    const tls = this.#o.tls?.();
    if (tls === undefined) return { creds: grpc.credentials.createInsecure(), options: CHANNEL_OPTIONS };
    const m = tls.material();
    const region = this.#regionOf(address);
    const expected = region === undefined ? undefined : roleName('server', region);
    const verify = (_host: string, cert: PeerCertificate): Error | undefined => {
      if (!tls.verifyServerHostname) return undefined;
      const err =
        expected === undefined
          ? new Error(`${address} is in no server.region_peers entry; its certificate cannot be checked`)
          : checkServerIdentity(expected, cert);
      if (err !== undefined) tls.onRefused(address, expected ?? 'unknown', err);
      return err;
    };
    const creds = grpc.credentials.createSsl(m.ca, m.key, m.cert, { checkServerIdentity: verify });
    // SNI and the name checked: the region's server name, not the address dialled.
    const options = expected === undefined ? CHANNEL_OPTIONS : { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': expected };
    return { creds, options };
  }

  /**
   * grpc-js reports a failed TLS handshake only as a failed connection. To
   * say why (another CA, no TLS), repeat just the handshake with the same
   * CA, certificate and name, and destroy the socket as soon as it settles:
   * no byte of a call is ever written to it.
   */
  #diagnose(address: string): void {
    const tls = this.#o.tls?.();
    if (tls?.onHandshakeFailed === undefined) return;
    const report = tls.onHandshakeFailed;
    const m = tls.material();
    const region = this.#regionOf(address);
    const sep = address.lastIndexOf(':');
    const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
    const socket = tlsConnect({
      host,
      port: Number(address.slice(sep + 1)),
      ca: m.ca,
      cert: m.cert,
      key: m.key,
      ALPNProtocols: ['h2'],
      ...(region === undefined ? {} : { servername: roleName('server', region) }),
      // The name is checked by the channel itself (and reported through onRefused).
      checkServerIdentity: () => undefined,
      timeout: 5_000,
    });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      if (reason !== undefined) report(address, reason);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('error', (err: Error) => done(err.message));
    socket.once('timeout', () => done('no TLS handshake within 5 s'));
  }

  #regionOf(address: string): string | undefined {
    const peers = this.#o.regionPeers ?? {};
    return Object.keys(peers).find((r) => peers[r]!.includes(address));
  }

  #peer(address: string): Peer {
    if (this.#closed) throw new Error('peer clients are closed');
    let peer = this.#peers.get(address);
    if (peer === undefined) {
      const proto = loadTollgateProto();
      const { creds, options } = this.#credentials(address);
      const channel = new grpc.Channel(address, creds, options);
      const opts: grpc.ClientOptions = { channelOverride: channel };
      peer = {
        channel,
        forward: new proto.tollgate.v1.Forward(address, creds, opts),
        replication: new proto.tollgate.v1.Replication(address, creds, opts),
      };
      this.#peers.set(address, peer);
    }
    return peer;
  }

  /** The Forward client of a peer. */
  forward(address: string): ForwardClient {
    return this.#peer(address).forward;
  }

  /** The Replication client of a peer. */
  replication(address: string): ReplicationClient {
    return this.#peer(address).replication;
  }

  /**
   * Resolves once the channel to `address` is connected. Rejects with
   * `PeerConnectError` when a connection attempt made during the wait fails
   * (a refused connection fails at once instead of waiting for the
   * deadline) or after `timeoutMs`. A failure left over from before the call
   * does not count: a channel still in grpc-js' reconnect backoff from it
   * is replaced (`retryNow`), so the attempt is made now — callers (the
   * forwarder, the replication loop) have retry policies of their own, and
   * a peer that came back is reached at once. One dial per peer at a time:
   * a connect that finds the channel connecting waits on it.
   *
   * A call made after this has reached a live peer's transport, which is
   * what makes retrying a non-idempotent write on the next peer safe when
   * this step fails.
   */
  connect(address: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.retryNow(address);
    const { channel } = this.#peer(address);
    const started = Date.now();
    const { READY, TRANSIENT_FAILURE, CONNECTING, SHUTDOWN } = grpc.connectivityState;
    let state = channel.getConnectivityState(true);
    if (state === READY) return Promise.resolve();
    const deadline = Date.now() + timeoutMs;
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let settled = false;
      const settle = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => settle(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let attempted = state !== TRANSIENT_FAILURE;
      const check = (): void => {
        if (settled) return;
        if (state === READY) return settle();
        if (state === SHUTDOWN) {
          // Replaced (`retryNow`, `renew`) while this waited: wait on the new channel for the time left.
          const left = timeoutMs - (Date.now() - started);
          if (this.#closed || left <= 0 || this.#peers.get(address)?.channel === channel) {
            return settle(new PeerConnectError(address, 'channel closed'));
          }
          void this.connect(address, left, signal).then(() => settle(), settle);
          return;
        }
        if (state === TRANSIENT_FAILURE && attempted) {
          this.#diagnose(address);
          return settle(new PeerConnectError(address, 'connection failed'));
        }
        channel.watchConnectivityState(state, deadline, (err) => {
          if (err) return settle(new PeerConnectError(address, `no connection within ${timeoutMs} ms`));
          state = channel.getConnectivityState(true);
          if (state === CONNECTING) attempted = true;
          check();
        });
      };
      check();
    });
  }

  /**
   * Makes the next `connect` to `address` try now (`connect` calls it
   * first). grpc-js keeps a channel whose connection failed in
   * TRANSIENT_FAILURE and retries only when its own backoff (up to 2 s)
   * ends, so a caller with a retry policy of its own (the replication loop)
   * would wait for two backoffs in a row, the second not even shortened by
   * `ReplicationLoop.wake`. Such a channel
   * carries no call, and is replaced by a new one that connects at once;
   * a `connect` waiting on it goes on waiting on the new one. A channel
   * that is connected, connecting or idle is left alone.
   */
  retryNow(address: string): void {
    const peer = this.#peers.get(address);
    if (peer === undefined || peer.channel.getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) return;
    this.#peers.delete(address);
    peer.channel.close();
  }

  /** Closes every channel; in-flight calls fail with CANCELLED/UNAVAILABLE. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const peer of this.#peers.values()) {
      peer.forward.close();
      peer.replication.close();
      peer.channel.close();
    }
    this.#peers.clear();
  }
}
