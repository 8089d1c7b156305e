/** The stable error codes this package raises. */
export type FilterErrorCode = 'TOLLGATE_FILTER_INVALID';

/**
 * An invalid filter: a syntax error, an unknown field selector, an
 * operator the selected field does not support, a value of the wrong type,
 * or a bad regular expression. The message says which; servers answer it
 * as a 400 (`TOLLGATE_FILTER_INVALID`).
 */
export class FilterError extends Error {
  override readonly name = 'FilterError';
  readonly code: FilterErrorCode = 'TOLLGATE_FILTER_INVALID';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
