import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StateStore } from '@tollgate/state';
import type { AgentHealth } from '../agent-health.js';
import type { RequestAuditor } from '../audit/request-auditor.js';
import type { ResolvedAgentConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { AgentMetrics } from '../metrics.js';
import { AuditUnavailableError, ERROR_CODE_HEADER, errorCodeOf, httpStatusFor } from '../errors.js';
import { MIN_INDEX_HEADER } from '../forwarding/min-index.js';
import { authorizeAnswerJson, type AuthorizeAnswer } from './authorize-route.js';
import { DUPLICATE_TOKEN_TEXT, secretFrom } from './request.js';
import { isBlank, jsonTooDeep, tooDeepError } from './json-body.js';
import { rateLimitedText, requestCost, type RequestLimiter } from './request-limiter.js';


const ROUTE = '/v1/acl/authorize';
const READ = Symbol('tollgate.authorizeBody');

/** A request on the fast path, while its body is read. */
type FastRequest = IncomingMessage & { [READ]?: BodyRead | undefined };

/** What the body's listeners need of the request (one object per request). */
interface BodyRead {
  readonly res: ServerResponse;
  readonly started: number;
  readonly token: string | undefined;
  readonly authorization: string | undefined;
  readonly duplicate: boolean;
  readonly charged: boolean;
  chunks: Buffer | Buffer[] | undefined;
  size: number;
  refused: boolean;
}
const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** What the authorize fast path reads from the agent. */
export interface AuthorizeFastPathPorts {
  readonly config: Pick<ResolvedAgentConfig, 'limits'>;
  readonly store: Pick<StateStore, 'tokenBySecret'>;
  readonly metrics: Pick<AgentMetrics, 'httpRequests' | 'httpDuration' | 'routeTally'>;
  readonly log: Pick<Logger, 'error'>;
  readonly audit?: Pick<RequestAuditor, 'refusal' | 'authorized'> | undefined;
  health(): AgentHealth;
}

/**
 * The authorize hot path without Fastify: `POST /v1/acl/authorize` with no
 * query string and no `X-Tollgate-Min-Index` is answered straight from the
 * raw request — read the body (bounded), parse, authorize, write. Everything
 * else (and every request while the agent is not serving) goes to Fastify,
 * including the same route with `?region=` or a min-index wait. Answers,
 * status codes, error texts and metrics are the Fastify route's: both call
 * the same `authorize` function.
 *
 * Why: per request, Fastify's routing, hooks, content-type parsing and reply
 * machinery cost more than the authorization itself; measured here, this path
 * is what brings the check API near a bare `node:http` server.
 *
 * Returns a request listener that handles the fast case and returns true,
 * or returns false to let the caller pass the request on.
 */
export function createAuthorizeFastPath(
  ctx: AuthorizeFastPathPorts,
  authorize: (secret: string, body: unknown) => AuthorizeAnswer,
  limiter: RequestLimiter,
  requestId: () => string,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const audit = ctx.audit;
  const limit = ctx.config.limits.httpMaxBodyBytes;
  // O(1): one Map lookup in the in-memory state.
  const known = (secret: string): boolean => secret !== '' && ctx.store.tokenBySecret(secret) !== undefined;
  // Plain numbers per request, added to prom-client's series at each scrape.
  const tally = ctx.metrics.routeTally('POST', ROUTE);

  const finish = (res: ServerResponse, started: number, status: number, body: string, type: string, retryAfter = 0): void => {
    // An explicit length keeps the answer one plain write (no chunked framing).
    if (retryAfter > 0) res.setHeader('retry-after', String(retryAfter));
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    tally.record(status, (performance.now() - started) / 1000);
  };

  const answer = (req: IncomingMessage, token: string | undefined, authorization: string | undefined, res: ServerResponse, started: number, text: string): void => {
    const secret = secretFrom(token, authorization);
    let body: unknown;
    let result: AuthorizeAnswer | undefined;
    let status = 200;
    let out: string;
    try {
      if (audit !== undefined) {
        const refusal = audit.refusal();
        if (refusal !== undefined) throw new AuditUnavailableError(`audit log unavailable, request refused: ${refusal}`);
      }
      if (!isBlank(text)) {
        if (jsonTooDeep(text)) throw tooDeepError();
        try {
          body = JSON.parse(text);
        } catch {
          // As Fastify's body parser answers it: a 400 without a Tollgate code.
          throw Object.assign(new Error('Request decode failed: body is not valid JSON'), { statusCode: 400 });
        }
      }
      result = authorize(secret, body);
      out = authorizeAnswerJson(result);
    } catch (err) {
      status = httpStatusFor(err);
      if (status >= 500 && status !== 503) ctx.log.error({ err, route: ROUTE }, 'request failed');
      const code = errorCodeOf(err);
      if (code !== undefined) res.setHeader(ERROR_CODE_HEADER, code);
      out = status === 500 ? 'Internal error' : (err as Error).message;
    }
    const type = status === 200 ? JSON_TYPE : TEXT_TYPE;
    if (audit === undefined) {
      finish(res, started, status, out, type);
      return;
    }
    // The line is queued before the answer goes out; only a full queue delays it.
    audit.authorized(requestId(), req.socket.remoteAddress ?? '', secret, body, result, status, status === 200 ? undefined : out, () =>
      finish(res, started, status, out, type),
    );
  };

  const tooLarge = `Request body too large (limit ${limit} bytes)`;

  function onData(this: FastRequest, chunk: Buffer): void {
    const r = this[READ] as BodyRead;
    if (r.refused) return;
    r.size += chunk.length;
    if (r.size > limit) {
      r.refused = true;
      r.chunks = undefined;
      const { res, started } = r;
      res.setHeader('connection', 'close');
      if (audit === undefined) finish(res, started, 413, tooLarge, TEXT_TYPE);
      else {
        audit.authorized(requestId(), this.socket.remoteAddress ?? '', secretFrom(r.token, r.authorization), undefined, undefined, 413, tooLarge, () =>
          finish(res, started, 413, tooLarge, TEXT_TYPE),
        );
      }
      return;
    }
    // Nearly always one chunk: an array only for a body that arrives in pieces.
    if (r.chunks === undefined) r.chunks = chunk;
    else if (Array.isArray(r.chunks)) r.chunks.push(chunk);
    else r.chunks = [r.chunks, chunk];
  }

  function onEnd(this: FastRequest): void {
    const r = this[READ] as BodyRead;
    this[READ] = undefined;
    if (r.refused) return;
    const { res, started } = r;
    if (r.duplicate) {
      res.setHeader(ERROR_CODE_HEADER, 'TOLLGATE_BAD_REQUEST');
      finish(res, started, 400, DUPLICATE_TOKEN_TEXT, TEXT_TYPE);
      return;
    }
    if (limiter.enabled && !r.charged) {
      const secret = secretFrom(r.token, r.authorization);
      const wait = limiter.admit('check', this.socket.remoteAddress ?? '', secret, requestCost(r.size), known(secret));
      if (wait > 0) {
        res.setHeader(ERROR_CODE_HEADER, 'TOLLGATE_RATE_LIMITED');
        finish(res, started, 429, rateLimitedText('check'), TEXT_TYPE, wait);
        return;
      }
    }
    const chunks = r.chunks;
    const text = chunks === undefined ? '' : Array.isArray(chunks) ? Buffer.concat(chunks).toString('utf8') : chunks.toString('utf8');
    answer(this, r.token, r.authorization, res, started, text);
  }

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== ROUTE) return false;
    // Read the two headers that matter from rawHeaders: touching
    // `req.headers` builds Node's lazy header object, a few µs per request.
    const raw = req.rawHeaders;
    let token: string | undefined;
    let authorization: string | undefined;
    let duplicate = false;
    let declared = -1;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      if (name.length === 13) {
        const lower = name.toLowerCase();
        if (lower === 'x-nomad-token') {
          duplicate ||= token !== undefined;
          token = raw[i + 1];
        } else if (lower === 'authorization') {
          duplicate ||= authorization !== undefined;
          authorization = raw[i + 1];
        }
      } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
        declared = Number(raw[i + 1]);
      } else if (name.length === MIN_INDEX_HEADER.length && name.toLowerCase() === MIN_INDEX_HEADER) {
        return false;
      }
    }
    if (ctx.health().status === 'draining') return false;
    const started = performance.now();
    if (declared > limit) {
      // Refused from the header alone: the body is never read.
      res.setHeader('connection', 'close');
      finish(res, started, 413, tooLarge, TEXT_TYPE);
      req.resume();
      return true;
    }
    // Charged before the body is read when its size is declared (a refused
    // flood then costs no read or parse), else once it has arrived.
    let charged = false;
    if (limiter.enabled && declared >= 0 && !duplicate) {
      charged = true;
      const secret = secretFrom(token, authorization);
      const wait = limiter.admit('check', req.socket.remoteAddress ?? '', secret, requestCost(declared), known(secret));
      if (wait > 0) {
        res.setHeader('connection', 'close');
        res.setHeader(ERROR_CODE_HEADER, 'TOLLGATE_RATE_LIMITED');
        finish(res, started, 429, rateLimitedText('check'), TEXT_TYPE, wait);
        req.resume();
        return true;
      }
    }
    // The body's state lives on the request and the listeners are shared:
    // no closures per request. No 'error' listener: a client that goes away
    // mid-body gets no 'end', so no answer (Node emits 'error' on a request
    // only to listeners).
    (req as FastRequest)[READ] = { res, started, token, authorization, duplicate, charged, chunks: undefined, size: 0, refused: false };
    req.on('data', onData);
    req.on('end', onEnd);
    return true;
  };
}
