import * as grpc from '@grpc/grpc-js';
import { TollgateError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AgentMetrics } from '../metrics.js';
import { GRPC_MAX_MESSAGE_BYTES } from './peer-clients.js';
import { statusName } from './grpc-status.js';

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
      'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
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

  /** Binds and starts serving; resolves with `host:port`. */
  listen(): Promise<string> {
    if (this.#status !== 'new') return Promise.reject(new Error(`cannot listen: gRPC server is ${this.#status}`));
    const host = this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host;
    return new Promise((resolve, reject) => {
      // Plaintext, like the HTTP API: TLS between regions is not built yet.
      const address = `${host}:${this.#o.port}`;
      this.#server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
          // grpc-js says "No address added out of total 1 resolved errors: [listen EADDRINUSE …]"; name the address and the cause.
          const why = /EADDRINUSE/.test(err.message) ? 'the port is in use' : /EADDRNOTAVAIL/.test(err.message) ? 'no such local address' : err.message;
          reject(new TollgateError('TOLLGATE_RPC_LISTEN', `cannot listen for RPC on ${address}: ${why}`, { cause: err }));
          return;
        }
        this.#status = 'listening';
        this.#address = `${host}:${port}`;
        resolve(this.#address);
      });
    });
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
    this.#server.forceShutdown();
    this.#status = 'closed';
  }
}
