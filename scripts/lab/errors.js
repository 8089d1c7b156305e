// @ts-check
// Errors of the lab scripts. Each carries a stable `code` so callers (and the
// tests) tell them apart without matching message text.

/** A problem the user can fix: a bad flag, a busy port, a missing build. */
export class LabError extends Error {
  /**
   * @param {string} code e.g. `TOLLGATE_LAB_PORT_IN_USE`
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'LabError';
    this.code = code;
  }
}

/** A bad command line; the lab prints its usage and exits with status 2. */
export class LabUsageError extends LabError {
  /** @param {string} message */
  constructor(message) {
    super('TOLLGATE_LAB_USAGE', message);
    this.name = 'LabUsageError';
  }
}
