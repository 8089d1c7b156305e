/**
 * The client's error catalogue. Callers tell errors apart by `code` (or by
 * class), never by message text:
 *
 * | code | class | when |
 * | --- | --- | --- |
 * | `TOLLGATE_API_ERROR` | {@link ApiError} | the agent answered with a non-2xx status |
 * | `TOLLGATE_CONNECTION_ERROR` | {@link ConnectionError} | no answer: refused, reset, DNS, timeout |
 * | `TOLLGATE_INVALID_RESPONSE` | {@link InvalidResponseError} | a 2xx answer whose body is not the JSON we expect |
 *
 * Bad arguments (an unparsable address, an empty accessor ID) are plain
 * `TypeError`/`RangeError`s naming the field.
 */

/** Base class of every coded error this package throws. */
export class TollgateClientError extends Error {
  /** Stable machine-readable code, e.g. `TOLLGATE_API_ERROR`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The agent answered with a non-2xx status. The message is Nomad's API client
 * text, `Unexpected response code: <status> (<body>)`, so the CLI can print it
 * as `Error bootstrapping: Unexpected response code: 400 (ACL bootstrap already
 * done (reset index: 7))` exactly like `nomad` does.
 */
export class ApiError extends TollgateClientError {
  /** The HTTP status code, e.g. 403. */
  readonly status: number;
  /** The response body as sent by the agent (plain text for Nomad-style errors). */
  readonly body: string;
  constructor(status: number, body: string) {
    // Go's client prints the body verbatim; we trim trailing whitespace so a
    // server that ends its error text with a newline does not break the line.
    super('TOLLGATE_API_ERROR', `Unexpected response code: ${status} (${body.trimEnd()})`);
    this.status = status;
    this.body = body;
  }
}

/**
 * The request never got an answer: the agent is not listening, the connection
 * dropped, or the request timed out. The message names the method and URL the
 * way Go's net/http does (`Get "http://127.0.0.1:4646/v1/acl/token/self": …`),
 * so an operator sees at once which address was tried.
 */
export class ConnectionError extends TollgateClientError {
  /** The agent address that was tried, e.g. `http://127.0.0.1:4646`. */
  readonly address: string;
  /** True when the request was cut by the client's own timeout. */
  readonly timedOut: boolean;
  constructor(message: string, address: string, timedOut: boolean, options?: { cause?: unknown }) {
    super('TOLLGATE_CONNECTION_ERROR', message, options);
    this.address = address;
    this.timedOut = timedOut;
  }
}

/** A 2xx answer whose body could not be decoded as the expected JSON. */
export class InvalidResponseError extends TollgateClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOLLGATE_INVALID_RESPONSE', message, options);
  }
}
