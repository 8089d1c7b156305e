import * as grpc from '@grpc/grpc-js';
import { TollgateError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AgentMetrics } from '../metrics.js';
import { RpcListener } from '../tls/rpc-listener.js';
import type { ReloadableTls } from '../tls/rpc-listener.js';
import { noopTlsMetrics } from '../tls/tls-metrics.js';
import type { TlsMetrics } from '../tls/tls-metrics.js';
import { GRPC_MAX_MESSAGE_BYTES } from './peer-clients.js';
import { statusName } from './grpc-status.js';

/** An RPC connection with no call in progress for this long is closed (the peer reconnects on its next call). */
export const RPC_IDLE_TIMEOUT_MS = 5 * 60_000;
/** Calls in flight on one RPC connection. */
export const RPC_MAX_CONCURRENT_STREAMS = 256;
/** Room for a forwarded request's method, path, headers and framing on top of its body. */
export const FORWARD_ENVELOPE_BYTES = 64 * 1024;

/** Lifecycle of the RPC listener. */
export type GrpcServerStatus = 'new' | 'listening' | 'draining' | 'closed';

/** Options of `GrpcServer`. */
export interface GrpcServerOptions {
  /** Address to listen on (`bind_addr`). */
  readonly host: string;
  /** `ports.rpc`; 0 picks a free port. */
  readonly port: number;
  readonly log: Logger;
  readonly metrics: Pick<AgentMetrics, 'grpcRequests'>;
  /**
   * Largest message a caller may send: the biggest request any RPC takes (a
   * forwarded write: `limits.http_max_body_bytes` plus FORWARD_ENVELOPE_BYTES).
   * @default GRPC_MAX_MESSAGE_BYTES
   */
  readonly maxReceiveBytes?: number;
  /** mTLS (`tls.rpc`): the agent's certificate, CA and key, reloadable. */
  readonly tls?: ReloadableTls;
  /** `tls.verify_server_hostname`: callers must present a `server.<region>.tollgate` certificate. */
  readonly requireServerCert?: boolean;
  /** @default 100 */
  readonly maxConnsPerClient?: number;
  /** @default 5000 */
  readonly handshakeTimeoutMs?: number;
  readonly tlsMetrics?: TlsMetrics;
}

/**
 * The agent's gRPC listener for other regions (Forward and Replication).
 * Counts every call by method and final status code, and accepts the large
 * messages a snapshot chunk or a forwarded answer may need.
 *
 * ```
 * new ──listen()──▶ listening ──drain(graceMs)──▶ draining ──▶ closed
 * ```
 */
export class GrpcServer {
  readonly #o: GrpcServerOptions;
  readonly #server: grpc.Server;
  #listener: RpcListener | undefined;
  #injector: grpc.ConnectionInjector | undefined;
  #status: GrpcServerStatus = 'new';
  #address: string | undefined;

  constructor(opts: GrpcServerOptions) {
    this.#o = opts;
    // grpc-js writes its own errors to stderr as bare text; send them to the
    // agent's JSON log instead. The hook is process-wide: the last agent
    // created in a process owns it, which only matters in tests.
    const grpcLog = opts.log.child({ lib: 'grpc-js' });
    grpc.setLogger({
      error: (...args: unknown[]) => {
        const line = args.map(String).join(' ');
        // A failed bind is reported once, by listen()'s error, not here too.
        if (!line.startsWith('No address added')) grpcLog.warn(line);
      },
    });
    const counter = opts.metrics.grpcRequests;
    const countCalls: grpc.ServerInterceptor = (method, call) =>
      new grpc.ServerInterceptingCall(call, {
        sendStatus(status, next) {
          counter.inc({ method: method.path, code: statusName(status.code) });
          next(status);
        },
      });
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveBytes ?? GRPC_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
      'grpc.max_connection_idle_ms': RPC_IDLE_TIMEOUT_MS,
      // Bounds what one connection can make the agent buffer at once
      // (streams × the receive limit); calls beyond wait in the client.
      'grpc.max_concurrent_streams': RPC_MAX_CONCURRENT_STREAMS,
      interceptors: [countCalls],
    });
  }

  get status(): GrpcServerStatus {
    return this.#status;
  }

  /** `host:port` the server listens on (after `listen()`). */
  get address(): string {
    if (this.#address === undefined) throw new Error('gRPC server is not listening');
    return this.#address;
  }

  /** Registers a service; only before `listen()`. */
  addService(service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): void {
    if (this.#status !== 'new') throw new Error(`cannot add a service to a gRPC server that is ${this.#status}`);
    this.#server.addService(service, handlers);
  }

  /**
   * Binds and starts serving; resolves with `host:port`. The TCP listener is
   * Tollgate's own (RpcListener: per-client limit, handshake timeout, mTLS
   * and the server-certificate check); admitted connections are handed to
   * grpc-js through a connection injector.
   */
  async listen(): Promise<string> {
    if (this.#status !== 'new') throw new Error(`cannot listen: gRPC server is ${this.#status}`);
    const o = this.#o;
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    const address = `${host}:${o.port}`;
    // TLS is done by the listener; grpc-js sees decrypted HTTP/2.
    const injector = this.#server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const listener = new RpcListener({
      tls: o.tls,
      requireServerCert: o.requireServerCert ?? false,
      maxConnsPerClient: o.maxConnsPerClient ?? 100,
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? 5_000,
      onConnection: (socket) => injector.injectConnection(socket),
      log: o.log,
      metrics: o.tlsMetrics ?? noopTlsMetrics,
    });
    let port: number;
    try {
      port = await listener.listen(o.host, o.port);
    } catch (err) {
      injector.destroy();
      // Name the address and the cause; run-agent-command adds the flag to use.
      const code = (err as { code?: unknown }).code;
      const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'no such local address' : (err as Error).message;
      throw new TollgateError('TOLLGATE_RPC_LISTEN', `cannot listen for RPC on ${address}: ${why}`, { cause: err });
    }
    this.#listener = listener;
    this.#injector = injector;
    this.#status = 'listening';
    this.#address = `${host}:${port}`;
    return this.#address;
  }

  /**
   * Stops accepting calls and waits up to `graceMs` for the calls in
   * progress (streams must have been ended by their services first), then
   * cancels what is left.
   */
  async drain(graceMs: number): Promise<void> {
    if (this.#status !== 'listening') {
      this.#status = 'closed';
      return;
    }
    this.#status = 'draining';
    this.#listener?.stopAccepting();
    this.#injector?.drain(graceMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#o.log.warn({ graceMs }, 'gRPC calls still running after the grace period; cancelling them');
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#status = 'closed';
  }

  /** Cancels every call and closes the listener at once. Idempotent. */
  close(): void {
    if (this.#status === 'closed') return;
    this.#listener?.close();
    this.#injector?.destroy();
    this.#server.forceShutdown();
    this.#status = 'closed';
  }
}
