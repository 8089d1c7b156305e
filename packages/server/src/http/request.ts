import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseGoDuration } from '@tollgate/acl';
import { BadRequestError } from '../errors.js';

/**
 * The caller's secret, as Nomad reads it: `X-Nomad-Token` (trimmed) first,
 * else `Authorization: Bearer <secret>` (scheme in any case, first word of
 * the value). Empty string = no token (anonymous). Never from the query
 * string, so secrets stay out of access logs.
 */
export function secretOf(req: { readonly headers: IncomingHttpHeaders }): string {
  const h = req.headers['x-nomad-token'];
  return secretFrom(typeof h === 'string' ? h : undefined, req.headers.authorization);
}

/** The 400 text for a request that carries its token twice (ambiguous: which one is the caller?). */
export const DUPLICATE_TOKEN_TEXT = 'Request has more than one X-Nomad-Token or Authorization header';

/**
 * Whether `rawHeaders` (name, value, name, value, …) carry `X-Nomad-Token`
 * or `Authorization` more than once. Every route refuses such a request
 * with 400: Node would join one and drop the other, and two readers of the
 * same request could then see two different callers.
 */
export function hasDuplicateTokenHeader(rawHeaders: readonly string[]): boolean {
  let token = 0;
  let authorization = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 13) continue;
    const lower = name.toLowerCase();
    if (lower === 'x-nomad-token') token++;
    else if (lower === 'authorization') authorization++;
  }
  return token > 1 || authorization > 1;
}

/**
 * {@link secretOf} from the two header values, for callers that read them
 * without Node's parsed header object (the authorize fast path).
 */
export function secretFrom(token: string | undefined, authorization: string | undefined): string {
  if (token !== undefined) {
    const t = token.trim();
    if (t !== '') return t;
  }
  if (authorization !== undefined) {
    const m = /^\s*bearer\s+(\S+)/i.exec(authorization);
    if (m?.[1] !== undefined) return m[1];
  }
  return '';
}

/** Page size of a list without `per_page`, and the largest `per_page` accepted. */
export const DEFAULT_PER_PAGE = 10_000;
export const MAX_PER_PAGE = 10_000;

/** Nomad's query options (facts §4.1), parsed and checked. */
export interface QueryOptions {
  /** Blocking: answer once the result index is above this. 0 = no blocking. */
  readonly index: number;
  /** Blocking wait in ms (capped). */
  readonly waitMs: number;
  readonly stale: boolean;
  readonly prefix: string;
  readonly perPage: number;
  readonly nextToken: string;
  readonly reverse: boolean;
  readonly region: string | undefined;
  /** A go-bexpr `filter` expression; '' = none. */
  readonly filter: string;
}

type Query = Record<string, string | string[] | undefined>;

/** Parses Nomad's query parameters; bad values are 400s with Nomad's texts. */
export function queryOptions(req: FastifyRequest, maxWaitMs: number): QueryOptions {
  const q = req.query as Query;
  const one = (k: string): string | undefined => {
    const v = q[k];
    return Array.isArray(v) ? v[0] : v;
  };
  let index = 0;
  const rawIndex = one('index');
  if (rawIndex !== undefined) {
    if (!/^\d{1,16}$/.test(rawIndex)) throw new BadRequestError('Invalid index');
    index = Number(rawIndex);
  }
  let waitMs = maxWaitMs;
  const rawWait = one('wait');
  if (rawWait !== undefined) {
    try {
      waitMs = parseGoDuration(rawWait);
    } catch {
      throw new BadRequestError('Invalid wait time');
    }
    if (waitMs < 0) throw new BadRequestError('Invalid wait time');
    waitMs = Math.min(waitMs, maxWaitMs);
  }
  let stale = false;
  const rawStale = one('stale');
  if (rawStale !== undefined) {
    if (rawStale === '' || rawStale === 'true') stale = true;
    else if (rawStale !== 'false') throw new BadRequestError('Expect `true` or `false` for `stale` query string parameter');
  }
  // Lists are always paged: an unpaged list of 300k tokens was a 90 MB
  // answer that held the event loop for seconds. `X-Nomad-NextToken` leads on.
  let perPage = DEFAULT_PER_PAGE;
  const rawPerPage = one('per_page');
  if (rawPerPage !== undefined) {
    if (!/^\d{1,10}$/.test(rawPerPage) || Number(rawPerPage) > 2_147_483_647) {
      throw new BadRequestError('Expect a number for `per_page` query string parameter');
    }
    perPage = Number(rawPerPage);
    if (perPage > MAX_PER_PAGE) throw new BadRequestError(`per_page must be at most ${MAX_PER_PAGE}`);
    if (perPage === 0) perPage = DEFAULT_PER_PAGE;
  }
  return {
    index,
    waitMs,
    stale,
    prefix: one('prefix') ?? '',
    perPage,
    nextToken: one('next_token') ?? '',
    reverse: one('reverse') === 'true',
    region: one('region') || undefined,
    filter: one('filter') ?? '',
  };
}

/** Read headers Nomad sends: index, known leader, last contact. */
export function setReadHeaders(reply: FastifyReply, index: number, lastContactMs = 0, knownLeader = true): void {
  reply.header('X-Nomad-Index', String(index));
  reply.header('X-Nomad-KnownLeader', knownLeader ? 'true' : 'false');
  reply.header('X-Nomad-LastContact', String(lastContactMs));
}
