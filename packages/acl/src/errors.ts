/**
 * Error catalogue of `@tollgate/acl`. Every class carries a stable `code` so
 * callers (the HTTP layer in particular) branch on `err.code`, never on the
 * message text.
 *
 * | code | class | meaning |
 * | --- | --- | --- |
 * | `TOLLGATE_POLICY_INVALID` | {@link PolicyError} | policy rules failed to parse or validate |
 * | `TOLLGATE_BAD_CHECK` | {@link CheckError} | an authorization check request is malformed |
 * | `TOLLGATE_INVALID_DURATION` | {@link DurationError} | a Go duration string is malformed |
 * | `TOLLGATE_POLICY_PARSER_BUSY` | {@link PolicyParserBusyError} | the policy parser's queue is full |
 */

/** Stable codes of the errors thrown by this package. */
export type AclErrorCode =
  | 'TOLLGATE_POLICY_INVALID'
  | 'TOLLGATE_BAD_CHECK'
  | 'TOLLGATE_INVALID_DURATION'
  | 'TOLLGATE_POLICY_PARSER_BUSY';

/**
 * Policy rules could not be parsed or are invalid.
 *
 * The message is exactly what Nomad puts after `failed to parse rules: ` in a
 * policy validation error, e.g. `Invalid namespace policy: ...` or
 * `Failed to parse ACL Policy: At 1:27: ...`, so the HTTP layer can wrap it
 * as `policy 0 invalid: 1 error occurred:\n\t* failed to parse rules: <message>\n\n`.
 */
export class PolicyError extends Error {
  readonly code = 'TOLLGATE_POLICY_INVALID' as const;
  override readonly name = 'PolicyError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * An authorization check (`AuthorizeCheck`) is malformed: a missing or
 * unknown field, or a capability that does not exist for the resource.
 * It is bad input, hence a `TypeError`; the message names the field.
 */
export class CheckError extends TypeError {
  readonly code = 'TOLLGATE_BAD_CHECK' as const;
  override readonly name = 'CheckError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A Go duration string is malformed or out of range. It is a `RangeError`
 * whose message mirrors Go's `time.ParseDuration` (`invalid duration "x"`,
 * without Go's `time: ` prefix).
 */
export class DurationError extends RangeError {
  readonly code = 'TOLLGATE_INVALID_DURATION' as const;
  override readonly name = 'DurationError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The policy parser's queue is full (see `PolicyParsePool`): too many
 * policies are waiting to be parsed. Nothing was parsed; retry later.
 */
export class PolicyParserBusyError extends Error {
  readonly code = 'TOLLGATE_POLICY_PARSER_BUSY' as const;
  override readonly name = 'PolicyParserBusyError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
