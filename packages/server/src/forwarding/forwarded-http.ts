import type { AclWriteOp, AclWriteResult } from '../acl-write.js';
import {
  ERROR_CATALOGUE,
  ERROR_CODE_HEADER,
  errorCodeOf,
  BadRequestError,
  ObjectNotFoundError,
  PermissionDeniedError,
  TollgateError,
  UnavailableError,
  WaitTimeoutError,
} from '../errors.js';

/**
 * The HTTP shape of a forwarded request and its answer, and the pure
 * mappings around it: an ACL write → the HTTP request that makes it in
 * another region, and a forwarded answer → a write result or an error the
 * local error handler turns back into the same status and text.
 */

/** A request to run in another region (`tollgate.v1.HttpRequest` plus the caller's secret). */
export interface ForwardRequest {
  readonly method: string;
  /** Path and query, without `region`. */
  readonly path: string;
  readonly body: Buffer;
  /** Lower-case header names; never the token. */
  readonly headers: Readonly<Record<string, string>>;
  /** The caller's SecretID ('' = anonymous); travels in gRPC metadata. */
  readonly secret: string;
  /**
   * Safe to send twice (reads, policy writes)? Decides whether a failure
   * after sending may be retried on another peer. @default false
   */
  readonly idempotent?: boolean;
  /** Deadline of the call, from now. */
  readonly timeoutMs: number;
  /** Cancels the call (the HTTP client went away). */
  readonly signal?: AbortSignal;
}

/** A forwarded answer: status, selected headers (lower-case) and the body bytes. */
export interface ForwardResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The peer that answered (`host:port`). */
  readonly peer: string;
}

/** Request headers that travel with a forwarded request. */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = ['content-type', 'x-tollgate-min-index'];

/** Whether a response header travels back: Nomad's and Tollgate's own, and the content type. */
export function isForwardedResponseHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'content-type' || n.startsWith('x-nomad-') || n.startsWith('x-tollgate-');
}

/** The HTTP request that performs `w` in the region that receives it. */
export function writeRequestFor(w: AclWriteOp): { method: string; path: string; body: Buffer; idempotent: boolean } {
  const json = (body: unknown): Buffer => (body === undefined || body === null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)));
  const seg = encodeURIComponent;
  switch (w.op) {
    case 'bootstrap':
      return { method: 'POST', path: '/v1/acl/bootstrap', body: json(w.body), idempotent: false };
    case 'token-upsert':
      return {
        method: 'POST',
        path: w.accessor === undefined ? '/v1/acl/token' : `/v1/acl/token/${seg(w.accessor)}`,
        body: json(w.body),
        // An update names its token and replaces it: the same twice is the same.
        idempotent: w.accessor !== undefined,
      };
    case 'token-delete':
      // Not idempotent in effect: a repeat answers 400 "nonexistent token".
      return { method: 'DELETE', path: `/v1/acl/token/${seg(w.accessor)}`, body: Buffer.alloc(0), idempotent: false };
    case 'token-renew':
      return {
        method: 'POST',
        path: w.accessor === undefined ? '/v1/acl/token/self/renew' : `/v1/acl/token/${seg(w.accessor)}/renew`,
        body: json(w.body),
        // A repeat renews again (from a later now): harmless, but not the same answer.
        idempotent: false,
      };
    case 'token-revoke-orphan':
      return { method: 'POST', path: `/v1/acl/token/${seg(w.accessor)}/revoke-orphan`, body: Buffer.alloc(0), idempotent: false };
    case 'policy-upsert':
      return { method: 'POST', path: `/v1/acl/policy/${seg(w.name)}`, body: json(w.body), idempotent: true };
    case 'policy-delete':
      return { method: 'DELETE', path: `/v1/acl/policy/${seg(w.name)}`, body: Buffer.alloc(0), idempotent: true };
    case 'role-upsert':
      return {
        method: 'POST',
        path: w.id === undefined ? '/v1/acl/role' : `/v1/acl/role/${seg(w.id)}`,
        body: json(w.body),
        // An update names its role and replaces it; a create picks a new ID each time.
        idempotent: w.id !== undefined,
      };
    case 'role-delete':
      // A repeat answers 400 "ACL role not found".
      return { method: 'DELETE', path: `/v1/acl/role/${seg(w.id)}`, body: Buffer.alloc(0), idempotent: false };
    case 'auth-method-upsert':
      return {
        method: 'POST',
        path: w.name === undefined ? '/v1/acl/auth-method' : `/v1/acl/auth-method/${seg(w.name)}`,
        body: json(w.body),
        // Keyed by name either way: the same write twice is the same (a
        // create's repeat answers 409, having changed nothing).
        idempotent: w.name !== undefined,
      };
    case 'auth-method-delete':
      return { method: 'DELETE', path: `/v1/acl/auth-method/${seg(w.name)}`, body: Buffer.alloc(0), idempotent: false };
    case 'binding-rule-upsert':
      return {
        method: 'POST',
        path: w.id === undefined ? '/v1/acl/binding-rule' : `/v1/acl/binding-rule/${seg(w.id)}`,
        body: json(w.body),
        idempotent: w.id !== undefined,
      };
    case 'binding-rule-delete':
      return { method: 'DELETE', path: `/v1/acl/binding-rule/${seg(w.id)}`, body: Buffer.alloc(0), idempotent: false };
    case 'login':
      // Each login makes a new token: never sent twice.
      return { method: 'POST', path: '/v1/acl/login', body: json(w.body), idempotent: false };
  }
}

/**
 * The error a forwarded error answer becomes here, so that the local error
 * handler answers with the same code, status and text the other region
 * gave. The code travels explicitly in `X-Tollgate-Error-Code`; it is
 * trusted only when it is catalogued and its status is the one answered
 * (an older peer, or a proxy's own error, falls back to the status).
 */
function errorFor(status: number, text: string, headers: Readonly<Record<string, string>>): TollgateError {
  const code = errorCodeOf({ code: headers[ERROR_CODE_HEADER] });
  if (code !== undefined && code !== 'TOLLGATE_FORWARDED_ERROR' && ERROR_CATALOGUE[code].http === status && status !== 500) {
    return new TollgateError(code, text);
  }
  switch (status) {
    case 400:
      return new BadRequestError(text);
    case 403:
      return new PermissionDeniedError(text);
    case 404:
      return new ObjectNotFoundError(text);
    case 409:
      return new TollgateError('TOLLGATE_CONFLICT', text);
    case 413:
      return new TollgateError('TOLLGATE_VALUE_TOO_LARGE', text);
    case 503:
      return new UnavailableError(text);
    case 504:
      return new WaitTimeoutError(text);
    default:
      // 500 and anything unexpected: the details stay in the other region's log.
      return new TollgateError('TOLLGATE_FORWARDED_ERROR', `forwarded request failed with HTTP ${status}: ${text}`);
  }
}

/**
 * A forwarded write's answer as a write result (`index` from X-Nomad-Index,
 * the JSON body as sent) or, for a non-2xx answer, the matching error.
 */
export function writeResultOf(res: Pick<ForwardResponse, 'status' | 'headers' | 'body'>): AclWriteResult {
  const text = res.body.toString('utf8');
  if (res.status < 200 || res.status > 299) throw errorFor(res.status, text, res.headers);
  const index = Number(res.headers['x-nomad-index']);
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TollgateError('TOLLGATE_FORWARDED_ERROR', 'forwarded write answered without a valid X-Nomad-Index');
  }
  if (text.trim() === '') return { index };
  try {
    return { index, body: JSON.parse(text) as unknown };
  } catch {
    throw new TollgateError('TOLLGATE_FORWARDED_ERROR', 'forwarded write answered with a body that is not JSON');
  }
}

/** `path` with the `region` query parameter removed (the receiving region serves it locally). */
export function stripRegionParam(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  params.delete('region');
  const rest = params.toString();
  return rest === '' ? url.slice(0, q) : `${url.slice(0, q)}?${rest}`;
}
