import { BadRequestError } from '../errors.js';
import { requestBody, stringField } from '../request-body.js';
import { multiError } from '../tokens.js';
import { OidcRedirectUriError } from './oidc-errors.js';

/** Longest `AuthMethodName`, `RedirectURI`, `ClientNonce`, `State`, `Iss` accepted. */
export const MAX_OIDC_FIELD = 2048;
/** Longest authorization `Code` accepted (providers' codes are far shorter). */
export const MAX_OIDC_CODE = 8192;
/** Shortest `ClientNonce`: it is the replay guard of the ID token. */
export const MIN_OIDC_NONCE = 16;

/** `POST /v1/acl/oidc/auth-url` (Nomad's `ACLOIDCAuthURLRequest`). */
export interface OidcAuthUrlRequest {
  readonly AuthMethodName: string;
  readonly RedirectURI: string;
  readonly ClientNonce: string;
}

/** `POST /v1/acl/oidc/complete-auth` (Nomad's `ACLOIDCCompleteAuthRequest`). */
export interface OidcCompleteAuthRequest extends OidcAuthUrlRequest {
  readonly State: string;
  readonly Code: string;
  /** The `iss` the provider sent to the redirect URI (RFC 9207), when it sends one. */
  readonly Iss?: string | undefined;
}

/** A `POST /v1/acl/oidc/auth-url` body, in the field order of Nomad's struct. */
export const OIDC_AUTH_URL_BODY = requestBody({
  AuthMethodName: stringField(),
  RedirectURI: stringField(),
  ClientNonce: stringField(),
});

/** A `POST /v1/acl/oidc/complete-auth` body; `Iss` is Tollgate's (Nomad has none). */
export const OIDC_COMPLETE_AUTH_BODY = requestBody({
  AuthMethodName: stringField(),
  ClientNonce: stringField(),
  State: stringField(),
  Code: stringField(),
  RedirectURI: stringField(),
  Iss: stringField(),
});

/**
 * Type-checks and validates an auth-url body as Nomad's
 * `ACLOIDCAuthURLRequest.Validate` does, with Tollgate's stricter bounds:
 * `invalid OIDC auth-url request: <multierror>` (`missing auth method
 * name`, `missing client nonce`, `missing redirect URI`, `ClientNonce must
 * be at least 16 characters`, `RedirectURI is not a URL`, `<Field> is
 * longer than 2048 characters`), then a non-canonical `RedirectURI` → 400
 * `TOLLGATE_OIDC_REDIRECT_URI`.
 */
export function decodeOidcAuthUrlRequest(body: unknown): OidcAuthUrlRequest {
  const b = OIDC_AUTH_URL_BODY.decode(body);
  const errs: string[] = [];
  const req = {
    AuthMethodName: required(errs, b.AuthMethodName, 'AuthMethodName', 'auth method name'),
    ClientNonce: clientNonce(errs, b.ClientNonce),
    RedirectURI: redirectUri(errs, b.RedirectURI),
  };
  checked('auth-url', errs, req.RedirectURI);
  return req;
}

/**
 * Type-checks and validates a complete-auth body as Nomad's
 * `ACLOIDCCompleteAuthRequest.Validate` does (the auth-url checks, and
 * `missing state`, `missing code`; `Code` up to 8192 characters), under
 * `invalid OIDC complete-auth request: <multierror>`. An empty `Iss` is
 * none.
 */
export function decodeOidcCompleteAuthRequest(body: unknown): OidcCompleteAuthRequest {
  const b = OIDC_COMPLETE_AUTH_BODY.decode(body);
  const errs: string[] = [];
  const req = {
    AuthMethodName: required(errs, b.AuthMethodName, 'AuthMethodName', 'auth method name'),
    ClientNonce: clientNonce(errs, b.ClientNonce),
    State: required(errs, b.State, 'State', 'state'),
    Code: required(errs, b.Code, 'Code', 'code', MAX_OIDC_CODE),
    RedirectURI: redirectUri(errs, b.RedirectURI),
    Iss: b.Iss === undefined || b.Iss === null || b.Iss === '' ? undefined : b.Iss,
  };
  if (req.Iss !== undefined && req.Iss.length > MAX_OIDC_FIELD) errs.push(tooLong('Iss', MAX_OIDC_FIELD));
  checked('complete-auth', errs, req.RedirectURI);
  return req;
}

/** A required field: Nomad's `missing <words>` when empty, else at most `max` characters. */
function required(errs: string[], value: string | null | undefined, name: string, words: string, max = MAX_OIDC_FIELD): string {
  const v = value ?? '';
  if (v === '') errs.push(`missing ${words}`);
  else if (v.length > max) errs.push(tooLong(name, max));
  return v;
}

function tooLong(name: string, max: number): string {
  return `${name} is longer than ${max} characters`;
}

function clientNonce(errs: string[], value: string | null | undefined): string {
  const nonce = required(errs, value, 'ClientNonce', 'client nonce');
  if (nonce !== '' && nonce.length < MIN_OIDC_NONCE) errs.push(`ClientNonce must be at least ${MIN_OIDC_NONCE} characters`);
  return nonce;
}

function redirectUri(errs: string[], value: string | null | undefined): string {
  const uri = required(errs, value, 'RedirectURI', 'redirect URI');
  if (uri !== '' && uri.length <= MAX_OIDC_FIELD && !URL.canParse(uri)) errs.push('RedirectURI is not a URL');
  return uri;
}

/** Throws the request's 400 when `errs` has any; then checks that the redirect URI is canonical. */
function checked(what: string, errs: readonly string[], redirect: string): void {
  if (errs.length > 0) throw new BadRequestError(`invalid OIDC ${what} request: ${multiError(errs)}`);
  const canonical = new URL(redirect);
  if (canonical.search !== '' || canonical.hash !== '' || canonical.href !== redirect) {
    // The provider appends code and state; the token request repeats the URI
    // byte for byte, so only a canonical URI without query or fragment works.
    throw new OidcRedirectUriError(
      `invalid OIDC ${what} request: RedirectURI must be a canonical URL without query or fragment (e.g. ${JSON.stringify(canonical.origin + canonical.pathname)})`,
    );
  }
}
