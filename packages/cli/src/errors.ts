/**
 * The CLI's error catalogue. Commands report their own failures as text and
 * an exit code; these classes are for what the dispatcher must tell apart:
 *
 * | code | class | exit | when |
 * | --- | --- | --- | --- |
 * | `TOLLGATE_CLI_USAGE` | {@link CliUsageError} | 1 | bad flags or arguments; usage is printed after the message |
 */

/** Base class of the CLI's coded errors. */
export class TollgateCliError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The command line itself is wrong: an undefined flag, a flag without its
 * value, a bad boolean. Messages follow Go's `flag` package
 * (`flag provided but not defined: -foo`), as `nomad` prints them.
 */
export class CliUsageError extends TollgateCliError {
  constructor(message: string) {
    super('TOLLGATE_CLI_USAGE', message);
  }
}
