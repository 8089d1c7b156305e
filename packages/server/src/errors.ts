/**
 * The server's error catalogue. Every error the agent raises carries a stable
 * `code`; HTTP (and later gRPC) statuses are mapped from the code in one
 * table, `httpStatusFor`. Codes from the other packages (`@tollgate/acl`,
 * `@tollgate/state`) are mapped here too. Error messages never contain a
 * SecretID.
 */

/** Base class: a coded Tollgate error. */
export class TollgateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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

/** The caller's token may not do this (or is unknown). HTTP 403 `Permission denied`. */
export class PermissionDeniedError extends TollgateError {
  constructor(message = 'Permission denied') {
    super('TOLLGATE_PERMISSION_DENIED', message);
  }
}

/** The caller's token has expired. HTTP 403 `ACL token expired`. */
export class TokenExpiredError extends TollgateError {
  constructor() {
    super('TOLLGATE_TOKEN_EXPIRED', 'ACL token expired');
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
 * Code → HTTP status. Nomad answers write-time lookups of missing objects
 * (`cannot find token`, `Cannot delete nonexistent tokens`) with 400, so the
 * state store's `TOLLGATE_NOT_FOUND` maps to 400, while a read of a missing
 * object (`TOLLGATE_OBJECT_NOT_FOUND`) is a 404.
 */
const HTTP_STATUS: Readonly<Record<string, number>> = {
  TOLLGATE_BAD_REQUEST: 400,
  TOLLGATE_ACL_DISABLED: 400,
  TOLLGATE_POLICY_INVALID: 400,
  TOLLGATE_BAD_CHECK: 400,
  TOLLGATE_BOOTSTRAP: 400,
  TOLLGATE_NOT_FOUND: 400,
  TOLLGATE_INVALID_ARGUMENT: 400,
  TOLLGATE_INVALID_DURATION: 400,
  TOLLGATE_VALUE_TOO_LARGE: 413,
  TOLLGATE_PERMISSION_DENIED: 403,
  TOLLGATE_TOKEN_EXPIRED: 403,
  TOLLGATE_OBJECT_NOT_FOUND: 404,
  TOLLGATE_CONFLICT: 409,
  TOLLGATE_STORE_CLOSED: 503,
  // The write was not made durable (disk error): nothing changed, retry.
  TOLLGATE_COMMIT_FAILED: 503,
  TOLLGATE_UNAVAILABLE: 503,
  TOLLGATE_REGION_UNAVAILABLE: 503,
  TOLLGATE_NOT_LEADER: 503,
  // A region log call after the agent began shutting down.
  TOLLGATE_REGION_LOG_CLOSED: 503,
  TOLLGATE_WAIT_TIMEOUT: 504,
  // The audit log cannot be written (fail-closed).
  TOLLGATE_AUDIT_UNAVAILABLE: 503,
};

/**
 * The HTTP status for any error: a Tollgate code from the table, a Fastify
 * error's own 4xx `statusCode` (body too large, bad JSON), else 500.
 */
export function httpStatusFor(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') {
      const mapped = HTTP_STATUS[code];
      if (mapped !== undefined) return mapped;
    }
    const status = (err as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return status;
  }
  return 500;
}
