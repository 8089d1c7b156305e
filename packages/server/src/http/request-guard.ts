import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODE_HEADER, OriginRefusedError, UnsupportedMediaTypeError } from '../errors.js';
import { DUPLICATE_TOKEN_TEXT, hasDuplicateTokenHeader, secretOf } from './request.js';
import { rateLimitedText, requestCost, type RequestLimiter, type RequestKind } from './request-limiter.js';

const AUTHORIZE = '/v1/acl/authorize';
const TEXT = 'text/plain; charset=utf-8';

/** Options of {@link registerRequestGuard}. */
export interface RequestGuardOptions {
  readonly limiter: RequestLimiter;
  /** Whether a secret belongs to a stored token (O(1)); unknown callers get the anonymous budget. */
  readonly knownToken: (secret: string) => boolean;
  /** Origins (`scheme://host[:port]`) besides the agent's own whose browsers may write. */
  readonly allowedOrigins: readonly string[];
}

/**
 * Checks every request Fastify serves before routing, in this order:
 *
 * 1. `X-Nomad-Token` or `Authorization` given twice: 400 (every route; the
 *    authorize fast path applies the same rule);
 * 2. writes (POST/PUT/DELETE, the check API excepted) carrying an `Origin`
 *    that is neither the agent's own (`http(s)://<Host>`) nor listed in
 *    `http_allowed_origins`: 403 — a web page cannot drive the agent from a
 *    user's browser;
 * 3. writes with a non-JSON Content-Type and no token header: 415 — what a
 *    browser may send cross-site without CORS (`text/plain`, form
 *    encodings) cannot reach a handler, while `curl --data` with a token
 *    still works;
 * 4. writes and checks over `limits.request_limits`: 429 with `Retry-After`.
 *
 * Requests replayed from another region (`inject`) were checked where they
 * arrived and are not charged again.
 */
export function registerRequestGuard(app: FastifyInstance, opts: RequestGuardOptions): void {
  const allowed = new Set(opts.allowedOrigins.map((o) => o.toLowerCase()));
  const { limiter } = opts;
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done) => {
    const raw = req.raw;
    if (hasDuplicateTokenHeader(raw.rawHeaders)) {
      void reply.code(400).header(ERROR_CODE_HEADER, 'TOLLGATE_BAD_REQUEST').type(TEXT).send(DUPLICATE_TOKEN_TEXT);
      return;
    }
    const method = req.method;
    const isCheck = method === 'POST' && req.url.split('?', 1)[0] === AUTHORIZE;
    const isWrite = !isCheck && (method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'PATCH');
    if (!isWrite && !isCheck) {
      done();
      return;
    }
    if (isWrite) {
      const origin = req.headers.origin;
      if (origin !== undefined && !sameOrigin(origin, req) && !allowed.has(origin.toLowerCase())) {
        done(new OriginRefusedError(origin));
        return;
      }
      const type = req.headers['content-type'];
      // No Content-Type at all is what Nomad's own Go client sends; a browser
      // that sends none cross-site also sends an Origin, refused above.
      if (type !== undefined && hasBody(req) && !isJson(type) && !hasTokenHeader(req)) {
        done(new UnsupportedMediaTypeError());
        return;
      }
    }
    if (limiter.enabled && !injected(req)) {
      const kind: RequestKind = isCheck ? 'check' : 'write';
      const length = Number(req.headers['content-length'] ?? 0);
      const secret = secretOf(req);
      const wait = limiter.admit(kind, raw.socket.remoteAddress ?? '', secret, requestCost(Number.isFinite(length) ? length : 0), opts.knownToken(secret));
      if (wait > 0) {
        void reply.code(429).header('Retry-After', String(wait)).header(ERROR_CODE_HEADER, 'TOLLGATE_RATE_LIMITED').type(TEXT).send(rateLimitedText(kind));
        return;
      }
    }
    done();
  });
}

function sameOrigin(origin: string, req: FastifyRequest): boolean {
  const host = req.headers.host;
  if (host === undefined) return false;
  const o = origin.toLowerCase();
  const h = host.toLowerCase();
  return o === `http://${h}` || o === `https://${h}`;
}

function hasBody(req: FastifyRequest): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string): boolean {
  const mime = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

function hasTokenHeader(req: FastifyRequest): boolean {
  return req.headers['x-nomad-token'] !== undefined || req.headers.authorization !== undefined;
}

/** A request replayed by `fastify.inject` (forwarded from another region). */
function injected(req: FastifyRequest): boolean {
  return (req.raw as { _lightMyRequest?: unknown })._lightMyRequest !== undefined;
}
