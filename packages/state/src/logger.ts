/**
 * The logging port of the state store. Its shape is the subset of pino's
 * logger the store uses, so a pino logger (or a child of one) can be passed
 * as-is; the default discards everything.
 *
 * The store never puts a SecretID into `obj` or `msg`.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const discard = (): void => {};

/** A logger that drops every line; the default when `open()` gets none. */
export const noopLogger: Logger = Object.freeze({
  debug: discard,
  info: discard,
  warn: discard,
  error: discard,
});
