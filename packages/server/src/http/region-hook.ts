import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedAgentConfig } from '../config.js';
import type { RequestAuditor } from '../audit/request-auditor.js';
import type { ForwardRequest, ForwardResponse } from '../forwarding/forwarded-http.js';
import { REQUEST_ID_HEADER } from '../audit/forwarded-origin.js';
import { FORWARD_BLOCKING_SLACK_MS, FORWARD_CALL_TIMEOUT_MS } from '../grpc/retry.js';
import { queryOptions, secretOf } from './request.js';
import { FORWARDED_REQUEST_HEADERS, stripRegionParam } from '../forwarding/forwarded-http.js';
import { NoPathToRegionError } from '../forwarding/forwarder.js';
import { MIN_INDEX_HEADER, parseMinIndex } from '../forwarding/min-index.js';
import { watchClientGone } from './client-gone.js';

const FORWARDABLE_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

/**
 * One `preHandler` hook for what crosses regions on every ACL route:
 *
 * 1. Nomad's `?region=X` for another region: the request (without
 *    `region`) is run in region X over gRPC and its answer sent back as it
 *    is. A request for this agent's own region is served here.
 * 2. `X-Tollgate-Min-Index: N`: the request waits (bounded) until this
 *    region has applied authoritative index N, then runs.
 *
 * The common case — neither — costs one property read each and no promise,
 * which matters on the authorize hot path.
 */
export interface CrossRegionPorts {
  readonly config: Pick<ResolvedAgentConfig, 'region' | 'limits'>;
  readonly audit?: Pick<RequestAuditor, 'noteForwarded'> | undefined;
  /**
   * Runs an HTTP API request in another region over gRPC and returns its
   * answer unchanged (NoPathToRegionError, RegionUnavailableError).
   */
  forwardToRegion(region: string, req: ForwardRequest): Promise<ForwardResponse>;
  /** Resolves once this region has applied the authoritative index `minIndex` (bounded; WaitTimeoutError). */
  awaitAuthoritativeIndex(minIndex: number, signal?: AbortSignal): Promise<void>;
}

export function registerCrossRegionHook(app: FastifyInstance, ctx: CrossRegionPorts): void {
  const own = ctx.config.region;
  app.addHook('preHandler', (req, reply, done) => {
    const raw = (req.query as Record<string, string | string[] | undefined>).region;
    const region = Array.isArray(raw) ? raw[0] : raw;
    if (region !== undefined && region !== '' && region !== own && req.url.startsWith('/v1/acl/') && FORWARDABLE_METHODS.has(req.method)) {
      forwardToRegion(ctx, req, reply, region).catch((err: unknown) => done(err as FastifyError));
      return;
    }
    const header = req.headers[MIN_INDEX_HEADER];
    if (header === undefined) {
      done();
      return;
    }
    let minIndex: number;
    try {
      minIndex = parseMinIndex(header) as number;
    } catch (err) {
      done(err as FastifyError);
      return;
    }
    const gone = watchClientGone(reply);
    ctx.awaitAuthoritativeIndex(minIndex, gone.signal).then(
      () => done(),
      (err: unknown) => done(err as FastifyError),
    );
  });
}

async function forwardToRegion(ctx: CrossRegionPorts, req: FastifyRequest, reply: FastifyReply, region: string): Promise<void> {
  // Parsed here for the deadline; bad values are the same 400 the other region would give.
  const q = queryOptions(req, ctx.config.limits.maxQueryWaitMs);
  const timeoutMs = q.index > 0 ? q.waitMs + q.waitMs / 16 + FORWARD_BLOCKING_SLACK_MS : FORWARD_CALL_TIMEOUT_MS;
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  const gone = watchClientGone(reply);
  ctx.audit?.noteForwarded(req.raw, region);
  headers[REQUEST_ID_HEADER] = req.id;
  try {
    const res = await ctx.forwardToRegion(region, {
      method: req.method,
      path: stripRegionParam(req.url),
      // The body was parsed as JSON already; its re-encoding is equivalent.
      body: req.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(req.body)),
      headers,
      secret: secretOf(req),
      idempotent: req.method === 'GET',
      timeoutMs,
      signal: gone.signal,
    });
    reply.code(res.status);
    for (const [name, value] of Object.entries(res.headers)) reply.header(name, value);
    void reply.send(res.body);
  } catch (err) {
    if (err instanceof NoPathToRegionError) {
      // Nomad's answer for a region it has no route to, word for word.
      void reply.code(500).type('text/plain; charset=utf-8').send('No path to region');
      return;
    }
    throw err;
  }
}
