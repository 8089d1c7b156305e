import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { ProtectionMetrics } from '../protection-metrics.js';

/** The HTTP connection limits of `limits { … }`, resolved. */
export interface ConnectionLimitsConfig {
  /** Open connections one client address may hold; more are closed at once (0 = no limit). */
  readonly httpMaxConnsPerClient: number;
  /** Longest time to receive a whole request (headers and body). */
  readonly httpReadTimeoutMs: number;
  /** Longest a connection may sit without traffic and without a request in flight. */
  readonly httpIdleTimeoutMs: number;
}

const IN_FLIGHT = Symbol('tollgate.inFlight');
const REQUESTS = Symbol('tollgate.requests');
type TrackedSocket = Socket & { [IN_FLIGHT]?: number; [REQUESTS]?: number };

/**
 * Applies the connection limits to the agent's HTTP(S) server, so no single
 * client can starve the others of connections:
 *
 * - at most `httpMaxConnsPerClient` open connections per remote address
 *   (Nomad's `http_max_conns_per_client`): the next one is closed as soon
 *   as it is accepted, counted, and logged at most once a second;
 * - a request must arrive whole within `httpReadTimeoutMs` (Node's
 *   `requestTimeout`/`headersTimeout`: answers 408 and closes), so slow
 *   bodies cannot hold a connection;
 * - a connection with no traffic and no request in flight for
 *   `httpIdleTimeoutMs` is closed — including one that never sends a byte.
 *   A blocking query in flight keeps its connection however long it waits.
 *
 * (`https_handshake_timeout` is the HTTPS server's `handshakeTimeout`
 * option, set where that server is made.)
 */
export function applyConnectionLimits(server: Server, cfg: ConnectionLimitsConfig, metrics: ProtectionMetrics, log: Logger, secure = false): void {
  server.requestTimeout = cfg.httpReadTimeoutMs;
  server.headersTimeout = cfg.httpReadTimeoutMs;
  server.keepAliveTimeout = cfg.httpIdleTimeoutMs;
  const perClient = new Map<string, number>();
  let lastLogMs = 0;

  server.on('connection', (socket: TrackedSocket) => {
    const address = socket.remoteAddress ?? '';
    const max = cfg.httpMaxConnsPerClient;
    if (max > 0) {
      const n = (perClient.get(address) ?? 0) + 1;
      if (n > max) {
        metrics.connectionsRefused.inc();
        const now = Date.now();
        if (now - lastLogMs >= 1000) {
          lastLogMs = now;
          log.info({ client: address, limit: max }, 'connection refused: limits.http_max_conns_per_client reached');
        }
        socket.destroy();
        return;
      }
      perClient.set(address, n);
      socket.once('close', () => {
        const left = (perClient.get(address) ?? 1) - 1;
        if (left <= 0) perClient.delete(address);
        else perClient.set(address, left);
      });
    }
    if (!secure) trackIdle(socket);
  });
  // Over HTTPS, requests arrive on the TLS socket, not the raw one counted
  // above (a stalled handshake is cut by the server's handshakeTimeout).
  if (secure) server.on('secureConnection', (socket: TrackedSocket) => trackIdle(socket));

  function trackIdle(socket: TrackedSocket): void {
    socket[IN_FLIGHT] = 0;
    socket[REQUESTS] = 0;
    // Node's headers timeout (= the read timeout) also closes a connection
    // that never sends a byte; this timer (one per connection, re-armed in
    // place, no allocation) closes a connection on which no request started
    // during a whole idle period and none is in flight, whichever of the two
    // is shorter. Not socket.setTimeout: Node's HTTP parser consumes the
    // socket's handle natively, so socket activity does not reach it.
    let seen = 0;
    const idle = setTimeout(() => {
      const requests = socket[REQUESTS] ?? 0;
      if (requests === seen && (socket[IN_FLIGHT] ?? 0) === 0) {
        socket.destroy();
        return;
      }
      seen = requests;
      idle.refresh();
    }, cfg.httpIdleTimeoutMs);
    idle.unref();
    socket.once('close', () => clearTimeout(idle));
  }

  server.on('request', (req, res) => {
    const socket = req.socket as TrackedSocket;
    socket[IN_FLIGHT] = (socket[IN_FLIGHT] ?? 0) + 1;
    socket[REQUESTS] = (socket[REQUESTS] ?? 0) + 1;
    // One shared listener (a response closes once): no closure per request.
    res.on('close', requestClosed);
  });
}

function requestClosed(this: ServerResponse): void {
  const socket = this.req.socket as TrackedSocket;
  socket[IN_FLIGHT] = (socket[IN_FLIGHT] ?? 1) - 1;
}
