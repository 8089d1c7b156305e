import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket, TlsOptions } from 'node:tls';
import type { Logger } from '../logger.js';
import { dnsNamesOf, serverRegionOf } from './tls-material.js';
import type { TlsMetrics } from './tls-metrics.js';

/** Server TLS material that can change (a SIGHUP reload). */
export interface ReloadableTls {
  /** `ca`, `cert`, `key`, `minVersion` now. */
  serverOptions(): TlsOptions;
  /** Calls `fn` after each reload; returns an unsubscribe function. */
  onReload(fn: () => void): () => void;
}

/** Options of {@link RpcListener}. */
export interface RpcListenerOptions {
  /** mTLS material; `undefined`: plaintext. */
  readonly tls: ReloadableTls | undefined;
  /** Refuse client certificates that are not `server.<region>.tollgate` (tls.verify_server_hostname). */
  readonly requireServerCert: boolean;
  readonly maxConnsPerClient: number;
  readonly handshakeTimeoutMs: number;
  /** Receives each admitted connection (decrypted, with the client authenticated). */
  readonly onConnection: (socket: Socket) => void;
  readonly log: Logger;
  readonly metrics: TlsMetrics;
}

/**
 * The RPC port's TCP listener, in front of gRPC. It does what grpc-js' own
 * listener cannot:
 * - at most `rpc_max_conns_per_client` open connections per remote address;
 * - the TLS handshake must complete within `rpc_handshake_timeout`, with a
 *   client certificate from the CA (and, with `verify_server_hostname`, a
 *   server certificate of some region), before gRPC sees a single byte —
 *   so a caller without a certificate cannot make the agent buffer a message;
 * - each connection gets the secure context current when it arrives, so a
 *   SIGHUP reload serves the new certificate to the next connection.
 * Refusals are logged (the peer address and reason) and counted.
 */
export class RpcListener {
  readonly #o: RpcListenerOptions;
  readonly #server: Server;
  readonly #perClient = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  // The TLS layer: a tls.Server that never listens; accepted sockets are handed to it.
  readonly #tls: TlsServer | undefined;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(opts: RpcListenerOptions) {
    this.#o = opts;
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    const tls = opts.tls;
    if (tls !== undefined) {
      const server = createTlsServer({
        ...tls.serverOptions(),
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
        handshakeTimeout: opts.handshakeTimeoutMs,
      });
      server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
        const timeout = err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || /handshake timeout/i.test(err.message);
        const peer = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
        if (timeout) this.#refuse(peer, 'handshake_timeout', `no TLS handshake within limits.rpc_handshake_timeout (${opts.handshakeTimeoutMs} ms)`);
        else this.#refuse(peer, 'handshake_failed', `TLS handshake failed (a client certificate from the agent CA is required): ${err.message}`);
        socket.destroy();
      });
      server.on('secureConnection', (socket: TLSSocket) => this.#secured(socket));
      // Rotation: the next handshake uses the new certificate; open connections keep theirs.
      this.#unsubscribe = tls.onReload(() => server.setSecureContext({ ...tls.serverOptions() }));
      this.#tls = server;
    }
  }

  /** Binds; resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject);
        const addr = this.#server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stops accepting; existing connections are gRPC's to drain. */
  stopAccepting(): void {
    this.#server.close();
  }

  /** Stops accepting and destroys every connection. */
  close(): void {
    this.#unsubscribe?.();
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  #accept(raw: Socket): void {
    const client = raw.remoteAddress ?? 'unknown';
    const peer = `${client}:${raw.remotePort ?? 0}`;
    const n = this.#perClient.get(client) ?? 0;
    if (n >= this.#o.maxConnsPerClient) {
      this.#refuse(peer, 'too_many_connections', `more than limits.rpc_max_conns_per_client (${this.#o.maxConnsPerClient}) connections from ${client}`);
      raw.destroy();
      return;
    }
    this.#perClient.set(client, n + 1);
    this.#sockets.add(raw);
    raw.once('close', () => {
      this.#sockets.delete(raw);
      const left = (this.#perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.#perClient.delete(client);
      else this.#perClient.set(client, left);
    });
    raw.on('error', () => undefined);
    if (this.#tls === undefined) this.#o.onConnection(raw);
    else this.#tls.emit('connection', raw);
  }

  #secured(socket: TLSSocket): void {
    socket.on('error', () => undefined);
    if (this.#o.requireServerCert) {
      const names = dnsNamesOf(socket.getPeerCertificate().subjectaltname);
      if (!names.some((d) => serverRegionOf(d) !== undefined)) {
        const peer = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
        this.#refuse(
          peer,
          'not_a_server_cert',
          `client certificate is not a server certificate (names: ${names.join(', ') || 'none'}); forwarding and replication need server.<region>.tollgate`,
        );
        socket.destroy();
        return;
      }
    }
    this.#o.onConnection(socket);
  }

  #refuse(peer: string, reason: Parameters<TlsMetrics['refused']>[1], message: string): void {
    this.#o.metrics.refused('inbound', reason);
    this.#o.log.warn({ peer, reason }, `RPC connection refused: ${message}`);
  }
}
