import * as oidc from 'openid-client';
import { AuthProviderError, TollgateError } from '../errors.js';
import type { OidcStateRefusal } from './oidc-state-store.js';

/** complete-auth with a `State` never issued in this region, expired, or used already. HTTP 400. */
export class OidcStateError extends TollgateError {
  readonly reason: OidcStateRefusal;
  constructor(reason: OidcStateRefusal) {
    const why = {
      unknown: 'was not issued by this region (or was used or forgotten): start the login again',
      expired: 'has expired: start the login again',
      used: 'was used already: start the login again',
    }[reason];
    super('TOLLGATE_OIDC_STATE', `invalid OIDC complete-auth request: State ${why}`);
    this.reason = reason;
  }
}

/** complete-auth whose `ClientNonce` is not the one its auth-url call was given. HTTP 400. */
export class OidcNonceError extends TollgateError {
  constructor() {
    super('TOLLGATE_OIDC_NONCE', 'invalid OIDC complete-auth request: ClientNonce does not match the auth-url request');
  }
}

/** A `RedirectURI` the method does not allow, or not the one of the auth-url call. HTTP 400. */
export class OidcRedirectUriError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_OIDC_REDIRECT_URI', message);
  }
}

/**
 * The provider refused the code, or its answer failed validation. HTTP 403.
 * Keeps no cause: openid-client's validation errors carry the ID token's
 * claims, which must not reach a log.
 */
export class OidcProviderRefusedError extends TollgateError {
  constructor(message: string) {
    super('TOLLGATE_OIDC_PROVIDER_REFUSED', message);
  }
}

/** openid-client codes that mean "the provider did not answer usably" rather than "it said no". */
const UNAVAILABLE_CODES = new Set([
  'OAUTH_TIMEOUT',
  'OAUTH_ABORT',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_PARSE_ERROR',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
]);

/**
 * Turns what openid-client (or fetch) threw while talking to the provider
 * into a catalogued error naming `what` (`discovery of https://…`, `code
 * exchange`, `userinfo`). Messages carry the library's reason and the
 * provider's `error`/`error_description`, never a code, token or secret.
 */
export function oidcErrorOf(err: unknown, what: string): TollgateError {
  if (err instanceof TollgateError) return err;
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
    const desc = err.error_description === undefined ? '' : `: ${err.error_description}`;
    return new OidcProviderRefusedError(`OIDC ${what} refused by the provider: ${err.error}${desc}`);
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    return new OidcProviderRefusedError(`OIDC ${what} refused by the provider (status ${err.status})`);
  }
  const code = (err as { code?: unknown } | null)?.code;
  const detail = describe(err);
  if (err instanceof oidc.ClientError && !(typeof code === 'string' && UNAVAILABLE_CODES.has(code))) {
    return new OidcProviderRefusedError(`OIDC ${what} failed validation: ${detail}`);
  }
  return new AuthProviderError(`OIDC ${what} failed: ${detail}`, { cause: err });
}

/** The error's message with its causes' (fetch's `fetch failed` says little without them). */
function describe(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 4; depth++) {
    if (!parts.includes(e.message)) parts.push(e.message);
    e = e.cause;
  }
  return parts.length === 0 ? String(err) : parts.join(': ');
}
