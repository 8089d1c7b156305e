import { status as GrpcStatus } from '@grpc/grpc-js';
import type { HttpResponse__Output } from '../generated/tollgate/v1/HttpResponse.js';
import { RegionUnavailableError, TollgateError } from '../errors.js';
import { tokenMetadata } from '../grpc/call-auth.js';
import { outboundDeadline } from '../grpc/call-deadline.js';
import { isServiceError, statusName } from '../grpc/grpc-status.js';
import type { PeerClients } from '../grpc/peer-clients.js';
import { PeerConnectError, FORWARD_CONNECT_TIMEOUT_MS, isRetryable } from '../grpc/retry.js';
import type { Logger } from '../logger.js';
import type { AgentMetrics } from '../metrics.js';
import type { ForwardRequest, ForwardResponse } from './forwarded-http.js';

/** No peers are configured for a region: Nomad's `No path to region` (HTTP 500). */
export class NoPathToRegionError extends TollgateError {
  readonly region: string;
  constructor(region: string) {
    super('TOLLGATE_NO_PATH_TO_REGION', 'No path to region');
    this.region = region;
  }
}

/** Options of `Forwarder`. */
export interface ForwarderOptions {
  /** This agent's region (sent along for the receiver's logs). */
  readonly region: string;
  readonly authoritativeRegion: string;
  /** `server.region_peers`: region → RPC addresses. */
  readonly regionPeers: Readonly<Record<string, readonly string[]>>;
  readonly clients: PeerClients;
  readonly log: Logger;
  readonly metrics: Pick<AgentMetrics, 'forwards' | 'forwardSeconds'>;
  /** Per-peer connect deadline. @default FORWARD_CONNECT_TIMEOUT_MS */
  readonly connectTimeoutMs?: number;
}

/**
 * Sends HTTP API requests to another region over `tollgate.v1.Forward/Http`.
 *
 * Peers of the target region are tried in turn, starting with the one that
 * answered last. Each gets `connectTimeoutMs` to accept a connection; a
 * region whose peers all fail to connect is reported at once with a 503
 * naming it, never after a long TCP timeout. A failure after the request
 * was sent moves on to the next peer only for idempotent requests
 * (`isRetryable`), so a token is never created twice.
 */
export class Forwarder {
  readonly #o: ForwarderOptions;
  readonly #connectTimeoutMs: number;
  /** Index of the peer that answered last, per region. */
  readonly #sticky = new Map<string, number>();

  constructor(opts: ForwarderOptions) {
    this.#o = opts;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? FORWARD_CONNECT_TIMEOUT_MS;
  }

  /** Whether `region` has peers configured. */
  knows(region: string): boolean {
    return (this.#o.regionPeers[region]?.length ?? 0) > 0;
  }

  /**
   * Runs `req` in `region` and returns its answer unchanged.
   * @throws NoPathToRegionError when `region` has no peers configured;
   *   RegionUnavailableError (503, names the region) when no peer answered.
   */
  async forward(region: string, req: ForwardRequest): Promise<ForwardResponse> {
    const peers = this.#o.regionPeers[region];
    if (peers === undefined || peers.length === 0) throw new NoPathToRegionError(region);
    const label = region === this.#o.authoritativeRegion ? `authoritative region "${region}"` : `region "${region}"`;
    const started = performance.now();
    const start = this.#sticky.get(region) ?? 0;
    const failures: string[] = [];
    const isWrite = req.method !== 'GET';
    let sent = false;
    let outcome = 'unreachable';
    try {
      for (let i = 0; i < peers.length; i++) {
        const at = (start + i) % peers.length;
        const peer = peers[at]!;
        try {
          await this.#o.clients.connect(peer, this.#connectTimeoutMs, req.signal);
          const res = await this.#call(peer, region, req);
          this.#sticky.set(region, at);
          outcome = 'ok';
          return res;
        } catch (err) {
          if (req.signal?.aborted) {
            outcome = 'cancelled';
            throw err;
          }
          failures.push(`${peer}: ${describe(err)}`);
          if (!(err instanceof PeerConnectError)) sent = true;
          if (!isRetryable(err, { idempotent: req.idempotent ?? false })) {
            outcome = 'error';
            throw this.#failure(label, region, failures, err, isWrite);
          }
          this.#o.log.warn({ region, peer, err: detailOf(err) }, 'forwarding to peer failed; trying the next one');
        }
      }
      // A write sent to a peer that then failed may have been applied.
      throw new RegionUnavailableError(`${label} unreachable: ${failures.join('; ')}${isWrite && sent ? OUTCOME_UNKNOWN : ''}`);
    } finally {
      this.#o.metrics.forwards.inc({ region, outcome });
      this.#o.metrics.forwardSeconds.observe({ region }, (performance.now() - started) / 1000);
    }
  }

  #failure(label: string, region: string, failures: readonly string[], err: unknown, isWrite: boolean): TollgateError {
    const tried = failures.join('; ');
    const unknown = isWrite ? OUTCOME_UNKNOWN : '';
    if (isServiceError(err)) {
      // gRPC's own texts (deadline internals, `metadata filters`,
      // `remote_addr`) go to the log, not to the caller.
      this.#o.log.warn({ region, err: detailOf(err) }, 'forwarded request failed after it was sent');
      switch (err.code) {
        case GrpcStatus.DEADLINE_EXCEEDED:
          return new RegionUnavailableError(`${label} did not answer in time (${tried})${unknown}`);
        case GrpcStatus.UNAVAILABLE:
        case GrpcStatus.CANCELLED:
        case GrpcStatus.INTERNAL:
          // Sent, then the connection failed: for a write, the outcome is unknown.
          return new RegionUnavailableError(`${label} unreachable: connection lost (${tried})${unknown}`);
        case GrpcStatus.FAILED_PRECONDITION:
          // A peer of another region: region_peers is wrong. Say so plainly.
          return new RegionUnavailableError(`${label}: misconfigured peer: ${err.details}`);
        default:
          break;
      }
    }
    this.#o.log.warn({ region, err: detailOf(err) }, 'forwarded request failed');
    return new RegionUnavailableError(`forwarding to ${label} failed: ${tried}`, { cause: err });
  }

  #call(peer: string, region: string, req: ForwardRequest): Promise<ForwardResponse> {
    const client = this.#o.clients.forward(peer);
    return new Promise<ForwardResponse>((resolve, reject) => {
      const call = client.Http(
        {
          method: req.method,
          path: req.path,
          body: req.body,
          headers: { ...req.headers },
          region,
          origin_region: this.#o.region,
        },
        tokenMetadata(req.secret),
        { deadline: outboundDeadline(req.timeoutMs) },
        (err, value?: HttpResponse__Output) => {
          req.signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else if (value === undefined) reject(new Error('empty answer'));
          else resolve({ status: value.status, headers: value.headers, body: value.body, peer });
        },
      );
      const onAbort = (): void => call.cancel();
      req.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Said to the caller of a write that was sent and then failed: plainly that
 * it may or may not have been applied, and how to find out.
 */
export const OUTCOME_UNKNOWN =
  '. The write may or may not have been applied there: read the object to check ' +
  '(GET /v1/acl/token/<AccessorID> or /v1/acl/policy/<name>, from this region once it has caught up, or with ?region=), ' +
  'or retry it: a policy write or a token update naming its AccessorID is safe to repeat; a token create with the same AccessorID ' +
  'answers 409 if the first one was applied';

/** A failure as the caller reads it: the peer's answer, without gRPC's transport internals. */
function describe(err: unknown): string {
  if (err instanceof PeerConnectError) return err.message;
  if (isServiceError(err)) {
    if (err.code === GrpcStatus.DEADLINE_EXCEEDED) return 'no answer before the deadline';
    if (err.code === GrpcStatus.CANCELLED || err.code === GrpcStatus.INTERNAL) return `${statusName(err.code)}: connection lost`;
    return `${statusName(err.code)}: ${firstClause(err.details || err.message)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** grpc-js appends transport detail after a comma (`…,metadata filters: …,remote_addr=…`); the first clause is the answer. */
function firstClause(text: string): string {
  const cut = text.search(/,(metadata filters|remote_addr|LB pick|Last error)/);
  return cut === -1 ? text : text.slice(0, cut);
}

/** The full failure, for the log only. */
function detailOf(err: unknown): string {
  if (isServiceError(err)) return `${statusName(err.code)}: ${err.details || err.message}`;
  return err instanceof Error ? err.message : String(err);
}
