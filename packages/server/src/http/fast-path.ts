import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentContext } from '../agent-context.js';
import { ERROR_CODE_HEADER, errorCodeOf, httpStatusFor } from '../errors.js';
import { MIN_INDEX_HEADER } from '../forwarding/min-index.js';
import type { AuthorizeAnswer } from './authorize-route.js';
import { secretFrom } from './request.js';


const ROUTE = '/v1/acl/authorize';
const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

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
  ctx: AgentContext,
  authorize: (secret: string, body: unknown) => AuthorizeAnswer,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const limit = ctx.config.limits.httpMaxBodyBytes;
  const { httpRequests, httpDuration } = ctx.metrics;
  const duration = httpDuration.labels({ route: ROUTE });
  const counters = new Map<number, ReturnType<typeof httpRequests.labels>>();
  const count = (code: number): void => {
    let c = counters.get(code);
    if (c === undefined) counters.set(code, (c = httpRequests.labels({ method: 'POST', route: ROUTE, code })));
    c.inc();
  };

  const finish = (res: ServerResponse, started: number, status: number, body: string, type: string): void => {
    // An explicit length keeps the answer one plain write (no chunked framing).
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
    count(status);
    duration.observe((performance.now() - started) / 1000);
  };

  const answer = (token: string | undefined, authorization: string | undefined, res: ServerResponse, started: number, text: string): void => {
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        finish(res, started, 400, 'Request decode failed: body is not valid JSON', TEXT_TYPE);
        return;
      }
    }
    let out: string;
    try {
      out = JSON.stringify(authorize(secretFrom(token, authorization), body));
    } catch (err) {
      const status = httpStatusFor(err);
      if (status >= 500) ctx.log.error({ err, route: ROUTE }, 'request failed');
      const code = errorCodeOf(err);
      if (code !== undefined) res.setHeader(ERROR_CODE_HEADER, code);
      finish(res, started, status, status === 500 ? 'Internal error' : (err as Error).message, TEXT_TYPE);
      return;
    }
    finish(res, started, 200, out, JSON_TYPE);
  };

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== ROUTE) return false;
    // Read the two headers that matter from rawHeaders: touching
    // `req.headers` builds Node's lazy header object, a few µs per request.
    const raw = req.rawHeaders;
    let token: string | undefined;
    let authorization: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      if (name.length === 13) {
        const lower = name.toLowerCase();
        if (lower === 'x-nomad-token') token ??= raw[i + 1];
        else if (lower === 'authorization') authorization ??= raw[i + 1];
      } else if (name.length === MIN_INDEX_HEADER.length && name.toLowerCase() === MIN_INDEX_HEADER) {
        return false;
      }
    }
    if (ctx.health().status === 'draining') return false;
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        res.setHeader('connection', 'close');
        finish(res, started, 413, `Request body too large (limit ${limit} bytes)`, TEXT_TYPE);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) answer(token, authorization, res, started, chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      // The client went away mid-body; there is no one to answer.
      refused = true;
    });
    return true;
  };
}
