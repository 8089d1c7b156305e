import { status as GrpcStatus } from '@grpc/grpc-js';
import type { AclErrorCode } from '@tollgate/acl';
import type { FilterErrorCode } from '@tollgate/filter';
import type { StateErrorCode } from '@tollgate/state';

/**
 * The server's error catalogue. Every error the agent raises carries a stable
 * `code` from `ERROR_CATALOGUE`, the one table that gives each code its HTTP
 * status and its gRPC status; `httpStatusFor` and `toGrpcError`
 * (grpc/grpc-status.ts) both read it. Codes from the other packages
 * (`@tollgate/acl`, `@tollgate/state`) are catalogued here too, and the
 * compiler checks that none is missing. The README's error table lists
 * exactly these codes (a unit test compares them). Error messages never
 * contain a SecretID.
 */

/** One catalogue entry: the HTTP status and the gRPC status a code maps to. */
export interface ErrorStatus {
  readonly http: number;
  readonly grpc: GrpcStatus;
}

const { INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED } = GrpcStatus;

/**
 * Code → statuses. Nomad answers write-time lookups of missing objects
 * (`cannot find token`, `Cannot delete nonexistent tokens`) with 400, so the
 * state store's `TOLLGATE_NOT_FOUND` maps to 400, while a read of a missing
 * object (`TOLLGATE_OBJECT_NOT_FOUND`) is a 404. A gRPC status of INTERNAL
 * means the message is not sent to the peer (it may describe internals).
 * Adding a code is one line here plus one row in the README's table.
 */
export const ERROR_CATALOGUE = {
  TOLLGATE_BAD_REQUEST: { http: 400, grpc: INVALID_ARGUMENT },
  TOLLGATE_POLICY_INVALID: { http: 400, grpc: INTERNAL },
  TOLLGATE_BAD_CHECK: { http: 400, grpc: INTERNAL },
  TOLLGATE_BOOTSTRAP: { http: 400, grpc: INTERNAL },
  TOLLGATE_NOT_FOUND: { http: 400, grpc: INTERNAL },
  TOLLGATE_INVALID_ARGUMENT: { http: 400, grpc: INVALID_ARGUMENT },
  TOLLGATE_ACL_DISABLED: { http: 400, grpc: FAILED_PRECONDITION },
  TOLLGATE_INVALID_DURATION: { http: 400, grpc: INTERNAL },
  // @tollgate/filter: an invalid `?filter=` expression.
  TOLLGATE_FILTER_INVALID: { http: 400, grpc: INVALID_ARGUMENT },
  // A token's Meta beyond its bounds (64 keys, 128-byte keys, 512-byte values).
  TOLLGATE_TOKEN_META_INVALID: { http: 400, grpc: INVALID_ARGUMENT },
  // A renewal of a token without a lease (it never expires).
  TOLLGATE_TOKEN_NOT_RENEWABLE: { http: 400, grpc: INVALID_ARGUMENT },
  TOLLGATE_PERMISSION_DENIED: { http: 403, grpc: PERMISSION_DENIED },
  // A browser write from another origin; a non-JSON write without a token header.
  TOLLGATE_ORIGIN_REFUSED: { http: 403, grpc: PERMISSION_DENIED },
  TOLLGATE_UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: INVALID_ARGUMENT },
  // limits.request_limits: the answer carries Retry-After.
  TOLLGATE_RATE_LIMITED: { http: 429, grpc: RESOURCE_EXHAUSTED },
  TOLLGATE_TOKEN_EXPIRED: { http: 403, grpc: PERMISSION_DENIED },
  TOLLGATE_LOGIN_INVALID: { http: 401, grpc: PERMISSION_DENIED },
  TOLLGATE_LOGIN_NO_BINDING: { http: 403, grpc: PERMISSION_DENIED },
  TOLLGATE_AUTH_PROVIDER: { http: 502, grpc: UNAVAILABLE },
  // OIDC login (auth/oidc-errors.ts): a State never issued here, expired or already used.
  TOLLGATE_OIDC_STATE: { http: 400, grpc: INVALID_ARGUMENT },
  // complete-auth's ClientNonce is not the one of its auth-url call.
  TOLLGATE_OIDC_NONCE: { http: 400, grpc: INVALID_ARGUMENT },
  // A RedirectURI not in AllowedRedirectURIs, or not the one of the auth-url call.
  TOLLGATE_OIDC_REDIRECT_URI: { http: 400, grpc: INVALID_ARGUMENT },
  // The provider refused the code, or its ID token / userinfo failed validation.
  TOLLGATE_OIDC_PROVIDER_REFUSED: { http: 403, grpc: PERMISSION_DENIED },
  TOLLGATE_OBJECT_NOT_FOUND: { http: 404, grpc: INTERNAL },
  TOLLGATE_CONFLICT: { http: 409, grpc: INTERNAL },
  TOLLGATE_VALUE_TOO_LARGE: { http: 413, grpc: INTERNAL },
  TOLLGATE_UNAVAILABLE: { http: 503, grpc: UNAVAILABLE },
  // @tollgate/acl: too many policies waiting for the parser threads.
  TOLLGATE_POLICY_PARSER_BUSY: { http: 503, grpc: UNAVAILABLE },
  TOLLGATE_STORE_CLOSED: { http: 503, grpc: UNAVAILABLE },
  // The write was not made durable (disk error): nothing changed, retry.
  TOLLGATE_COMMIT_FAILED: { http: 503, grpc: INTERNAL },
  TOLLGATE_REGION_UNAVAILABLE: { http: 503, grpc: INTERNAL },
  TOLLGATE_NOT_LEADER: { http: 503, grpc: INTERNAL },
  // A region log call after the agent began shutting down.
  TOLLGATE_REGION_LOG_CLOSED: { http: 503, grpc: INTERNAL },
  TOLLGATE_WAIT_TIMEOUT: { http: 504, grpc: INTERNAL },
  // The audit log cannot be written (fail-closed): refused, or committed but not audited.
  TOLLGATE_AUDIT_UNAVAILABLE: { http: 503, grpc: UNAVAILABLE },
  TOLLGATE_NO_PATH_TO_REGION: { http: 500, grpc: INTERNAL },
  // Never reaches a caller: the forwarder turns it into TOLLGATE_REGION_UNAVAILABLE.
  TOLLGATE_PEER_CONNECT: { http: 503, grpc: UNAVAILABLE },
  // The other region failed unexpectedly (its 500) or answered something unreadable.
  TOLLGATE_FORWARDED_ERROR: { http: 500, grpc: INTERNAL },
  TOLLGATE_NOT_AUTHORITATIVE: { http: 500, grpc: FAILED_PRECONDITION },
  TOLLGATE_WRONG_REGION: { http: 500, grpc: FAILED_PRECONDITION },
  TOLLGATE_FEED_HORIZON: { http: 500, grpc: FAILED_PRECONDITION },
  TOLLGATE_AGENT_DRAINING: { http: 500, grpc: UNAVAILABLE },
  TOLLGATE_HA_UNDECODABLE: { http: 500, grpc: INTERNAL },
  TOLLGATE_SECRET_KEY_MISMATCH: { http: 500, grpc: INTERNAL },
  TOLLGATE_STORE_CORRUPT: { http: 500, grpc: INTERNAL },
  TOLLGATE_STORE_OPEN: { http: 500, grpc: INTERNAL },
  // Existing data that cannot be opened as it is, or an unsigned store: the agent does not start.
  TOLLGATE_STORE_REFUSED: { http: 500, grpc: INTERNAL },
  // A token or policy value in etcd whose MAC does not verify: left out, logged, counted.
  TOLLGATE_RECORD_REFUSED: { http: 500, grpc: INTERNAL },
  TOLLGATE_RPC_LISTEN: { http: 500, grpc: INTERNAL },
  TOLLGATE_TLS_INVALID: { http: 500, grpc: INTERNAL },
  TOLLGATE_FILE_EXISTS: { http: 500, grpc: INTERNAL },
  TOLLGATE_CONFIG_INVALID: { http: 500, grpc: INTERNAL },
  TOLLGATE_AGENT_NOT_STARTED: { http: 500, grpc: INTERNAL },
  TOLLGATE_AGENT_STATE: { http: 500, grpc: INTERNAL },
} as const satisfies Record<string, ErrorStatus>;

/** Every stable error code the server (and the packages under it) raises. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

type Catalogued<T extends ErrorCode> = T;
/**
 * The codes `@tollgate/acl`, `@tollgate/filter` and `@tollgate/state` raise. Written through
 * `Catalogued` so that a code added down there and not catalogued here does
 * not compile.
 */
export type LowerLayerErrorCode = Catalogued<AclErrorCode | FilterErrorCode | StateErrorCode>;

/**
 * The response header that carries an error's stable code on every error
 * answer (`X-Tollgate-Error-Code: TOLLGATE_BOOTSTRAP`). Forwarding reads it
 * to give the caller the same code and status as a local error; clients of
 * `?region=` see it unchanged.
 */
export const ERROR_CODE_HEADER = 'x-tollgate-error-code';

/** The catalogued code `err` carries, or `undefined` (no code, or not a Tollgate one). */
export function errorCodeOf(err: unknown): ErrorCode | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && errorStatusOf(code) !== undefined ? (code as ErrorCode) : undefined;
}

/** Whether `err` carries the Tollgate code `code` (whatever its class or package). */
export function hasErrorCode(err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The catalogue entry of `code`, or `undefined` for a code that is not Tollgate's (e.g. Fastify's `FST_…`). */
export function errorStatusOf(code: string): ErrorStatus | undefined {
  return Object.hasOwn(ERROR_CATALOGUE, code) ? ERROR_CATALOGUE[code as ErrorCode] : undefined;
}

/** Base class: a coded Tollgate error. */
export class TollgateError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A bad agent config key or value; names the key (and file). */
export class ConfigError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_CONFIG_INVALID', message);
  }
}

/** Bad request input; the message names the field. HTTP 400. */
export class BadRequestError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_BAD_REQUEST', message);
  }
}

/** A token's `Meta` beyond its bounds; the message names the key and the bound. HTTP 400. */
export class TokenMetaError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_TOKEN_META_INVALID', message);
  }
}

/** A renewal of a token that has no lease (never expires). HTTP 400. */
export class TokenNotRenewableError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_TOKEN_NOT_RENEWABLE', message);
  }
}

/** The caller's token may not do this (or is unknown). HTTP 403 `Permission denied`. */
export class PermissionDeniedError extends TollgateError {
  constructor(message = 'Permission denied') {
    super('TOLLGATE_PERMISSION_DENIED', message);
  }
}

/**
 * A login token was refused: bad signature, expired, not yet valid, wrong
 * issuer, audience or algorithm. HTTP 401 (Nomad's
 * `unable to validate provided token: …`). The message never holds the
 * token or a claim value.
 */
export class LoginInvalidError extends TollgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOLLGATE_LOGIN_INVALID', message, options);
  }
}

/** A verified login matched no binding rule (or only rules naming missing roles/policies). HTTP 403. */
export class LoginNoBindingError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_LOGIN_NO_BINDING', message);
  }
}

/** The identity provider (JWKS URL, OIDC discovery) could not be reached or answered badly. HTTP 502. */
export class AuthProviderError extends TollgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOLLGATE_AUTH_PROVIDER', message, options);
  }
}

/** The caller's token has expired. HTTP 403 `ACL token expired`. */
export class TokenExpiredError extends TollgateError {
  constructor() {
    super('TOLLGATE_TOKEN_EXPIRED', 'ACL token expired');
  }
}

/** A TLS file that cannot serve: unreadable, not PEM, expired, or a key that does not match. The message names the key and the file. */
export class TlsFileError extends TollgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOLLGATE_TLS_INVALID', message, options);
  }
}

/** A file Tollgate was asked to create exists already (`tollgate tls …` never overwrites). */
export class FileExistsError extends TollgateError {
  constructor(file: string) {
    super('TOLLGATE_FILE_EXISTS', `${file} already exists; not overwriting it`);
  }
}

/** A read of an object that does not exist. HTTP 404. */
export class ObjectNotFoundError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_OBJECT_NOT_FOUND', message);
  }
}

/** ACLs are disabled in this agent's config. HTTP 400 `ACL support disabled`. */
export class AclDisabledError extends TollgateError {
  constructor() {
    super('TOLLGATE_ACL_DISABLED', 'ACL support disabled');
  }
}

/** Another region could not be reached. HTTP 503; the message names the region. */
export class RegionUnavailableError extends TollgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOLLGATE_REGION_UNAVAILABLE', message, options);
  }
}

/** A bounded wait (replica catch-up, minimum index) ran out. HTTP 504. */
export class WaitTimeoutError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_WAIT_TIMEOUT', message);
  }
}

/** The agent cannot take writes now (e.g. etcd unreachable). HTTP 503. */
export class UnavailableError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_UNAVAILABLE', message);
  }
}

/**
 * The audit log cannot be written and `audit.fail_open` is off: the request
 * is refused before it runs (Vault's rule: nothing happens unaudited). HTTP 503.
 */
export class AuditUnavailableError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_AUDIT_UNAVAILABLE', message);
  }
}

/**
 * A leader-only write (expired-token GC, follower replication) from an agent
 * that does not, or no longer, lead its HA region: its fence (the leader key
 * of its etcd lease) is gone. HTTP 503; the caller stops leader work.
 */
export class NotLeaderError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_NOT_LEADER', message);
  }
}

/**
 * The HTTP status for any error: a Tollgate code from the table, a Fastify
 * error's own 4xx `statusCode` (body too large, bad JSON), else 500.
 */
export function httpStatusFor(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') {
      const mapped = errorStatusOf(code);
      if (mapped !== undefined) return mapped.http;
    }
    const status = (err as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return status;
  }
  return 500;
}

/** A write from a browser page of another origin (`Origin` not the agent's own nor allowed). HTTP 403. */
export class OriginRefusedError extends TollgateError {
  constructor(origin: string) {
    super('TOLLGATE_ORIGIN_REFUSED', `Origin ${origin.slice(0, 200)} may not write to this agent (http_allowed_origins)`);
  }
}

/** A write whose body is not JSON, without a token header (what a cross-site form can send). HTTP 415. */
export class UnsupportedMediaTypeError extends TollgateError {
  constructor() {
    super(
      'TOLLGATE_UNSUPPORTED_MEDIA_TYPE',
      'Request body must be JSON (Content-Type: application/json) unless the request carries an X-Nomad-Token or Authorization header',
    );
  }
}
