/**
 * The state store's error catalogue. Every error carries a stable `code`
 * (callers branch on the code, never on the message) and a `name` equal to
 * its class name. The server maps codes to HTTP/gRPC statuses in one table.
 *
 * No message ever contains a SecretID: messages name tokens by AccessorID.
 *
 * | code                            | class                    | when |
 * | ------------------------------- | ------------------------ | ---- |
 * | `TOLLGATE_NOT_FOUND`            | `NotFoundError`          | a write names objects that do not exist |
 * | `TOLLGATE_CONFLICT`             | `ConflictError`          | a new token reuses an AccessorID/SecretID |
 * | `TOLLGATE_BOOTSTRAP`            | `BootstrapError`         | bootstrap already done / wrong reset index |
 * | `TOLLGATE_FEED_HORIZON`         | `FeedHorizonError`       | `changesSince` asked for pruned changes |
 * | `TOLLGATE_STORE_CLOSED`         | `StoreClosedError`       | a call after `close()` |
 * | `TOLLGATE_VALUE_TOO_LARGE`      | `ValueTooLargeError`     | an object's JSON exceeds 1 MiB |
 * | `TOLLGATE_INVALID_ARGUMENT`     | `InvalidArgumentError`   | malformed input; the message names the field |
 * | `TOLLGATE_COMMIT_FAILED`        | `CommitFailedError`      | the LevelDB batch write failed |
 * | `TOLLGATE_SECRET_KEY_MISMATCH`  | `SecretKeyMismatchError` | the store was written under another key |
 * | `TOLLGATE_STORE_CORRUPT`        | `StoreCorruptError`      | unreadable data or unknown format on open |
 * | `TOLLGATE_STORE_OPEN`           | `StoreOpenError`         | LevelDB could not be opened (e.g. locked) |
 * | `TOLLGATE_REGION_LOG_CLOSED`    | `RegionLogClosedError`   | a write to a region log after `close()` |
 * | `TOLLGATE_STORE_REFUSED`        | `StoreRefusedError`      | existing data that cannot be opened as it is; nothing touched |
 */

/** Every code the state package raises. */
export type StateErrorCode =
  | 'TOLLGATE_NOT_FOUND'
  | 'TOLLGATE_CONFLICT'
  | 'TOLLGATE_BOOTSTRAP'
  | 'TOLLGATE_FEED_HORIZON'
  | 'TOLLGATE_STORE_CLOSED'
  | 'TOLLGATE_VALUE_TOO_LARGE'
  | 'TOLLGATE_INVALID_ARGUMENT'
  | 'TOLLGATE_COMMIT_FAILED'
  | 'TOLLGATE_SECRET_KEY_MISMATCH'
  | 'TOLLGATE_STORE_CORRUPT'
  | 'TOLLGATE_STORE_OPEN'
  | 'TOLLGATE_STORE_REFUSED'
  | 'TOLLGATE_REGION_LOG_CLOSED';

/** Base class of the store's own (non-TypeError/RangeError) errors. */
export class StateError extends Error {
  readonly code: StateErrorCode;
  constructor(code: StateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A write names objects that do not exist, e.g. deleting unknown tokens:
 * `Cannot delete nonexistent tokens: a, b` (Nomad's text; HTTP 400 there).
 */
export class NotFoundError extends StateError {
  /** The keys that were missing, in request order. */
  readonly keys: readonly string[];
  constructor(message: string, keys: readonly string[]) {
    super('TOLLGATE_NOT_FOUND', message);
    this.keys = keys;
  }
}

/** A new token whose AccessorID or SecretID is already in use (or repeated in one write). */
export class ConflictError extends StateError {
  constructor(message: string) {
    super('TOLLGATE_CONFLICT', message);
  }
}

/**
 * Bootstrap refused: `ACL bootstrap already done (reset index: N)` or
 * `Invalid bootstrap reset index (specified X, reset index: N)`.
 */
export class BootstrapError extends StateError {
  /** The index of the last bootstrap (what the reset file must contain). */
  readonly resetIndex: number;
  constructor(message: string, resetIndex: number) {
    super('TOLLGATE_BOOTSTRAP', message);
    this.resetIndex = resetIndex;
  }
}

/**
 * `changesSince(afterIndex)` cannot answer because changes after `afterIndex`
 * were pruned; the caller must take a snapshot instead.
 */
export class FeedHorizonError extends StateError {
  readonly afterIndex: number;
  /** Every change with index > `floorIndex` is still in the feed. */
  readonly floorIndex: number;
  constructor(afterIndex: number, floorIndex: number) {
    super(
      'TOLLGATE_FEED_HORIZON',
      `change feed no longer holds changes after index ${afterIndex} (oldest retained changes follow index ${floorIndex})`,
    );
    this.afterIndex = afterIndex;
    this.floorIndex = floorIndex;
  }
}

/** A call on a store that is closing or closed. */
export class StoreClosedError extends StateError {
  constructor(operation: string) {
    super('TOLLGATE_STORE_CLOSED', `state store is closed (${operation})`);
  }
}

/** An object whose JSON encoding exceeds the 1 MiB per-object limit. */
export class ValueTooLargeError extends RangeError {
  readonly code = 'TOLLGATE_VALUE_TOO_LARGE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ValueTooLargeError';
  }
}

/** Malformed input (wrong type, missing field); the message names the field. */
export class InvalidArgumentError extends TypeError {
  readonly code = 'TOLLGATE_INVALID_ARGUMENT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

/**
 * The LevelDB batch holding a write failed; nothing of it became visible.
 * Every write of the failed group commit rejects with this error.
 */
export class CommitFailedError extends StateError {
  /** @param reason why (the store's degraded reason), appended to the message */
  constructor(options: { cause: unknown }, reason?: string) {
    super(
      'TOLLGATE_COMMIT_FAILED',
      `state store commit failed: the write was not applied${reason === undefined ? '' : ` (${reason})`}`,
      options,
    );
  }
}

/** The data directory was written under a different `secretKey`. */
export class SecretKeyMismatchError extends StateError {
  constructor(path: string) {
    super(
      'TOLLGATE_SECRET_KEY_MISMATCH',
      `state store at ${path} was encrypted with a different secret key`,
    );
  }
}

/** Stored data that cannot be read back (bad format version, undecryptable record). */
export class StoreCorruptError extends StateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOLLGATE_STORE_CORRUPT', message, options);
  }
}

/** LevelDB refused to open the directory (most often: another process holds its lock). */
export class StoreOpenError extends StateError {
  constructor(path: string, options: { cause: unknown }) {
    super('TOLLGATE_STORE_OPEN', `cannot open state store at ${path}`, options);
  }
}

/**
 * The directory holds (or held) a state store that cannot be opened as it
 * is — files without LevelDB's `CURRENT`, or an empty directory where the
 * caller knows a store existed. Nothing was changed on disk: the store is
 * never re-created over existing data. The message names the path.
 */
export class StoreRefusedError extends StateError {
  constructor(message: string) {
    super('TOLLGATE_STORE_REFUSED', message);
  }
}

/** A call on a region log that is closing or closed. */
export class RegionLogClosedError extends StateError {
  constructor(operation: string) {
    super('TOLLGATE_REGION_LOG_CLOSED', `region log is closed (${operation})`);
  }
}
