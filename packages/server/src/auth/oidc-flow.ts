import * as oidc from 'openid-client';
import { BadRequestError } from '../errors.js';
import type { OidcDiscovery } from './oidc-discovery.js';
import { OidcNonceError, OidcProviderRefusedError, OidcRedirectUriError, OidcStateError, oidcErrorOf } from './oidc-errors.js';
import type { OidcAuthMethod } from './oidc-method.js';
import { decodeOidcAuthUrlRequest, decodeOidcCompleteAuthRequest } from './oidc-request.js';
import { matchesHash, oidcHash, type OidcStateStore } from './oidc-state-store.js';

/** How long a login may take at the provider: auth-url → complete-auth. */
export const OIDC_STATE_TTL_MS = 10 * 60_000;

/** The identity a completed OIDC login proved, through `method`. */
export interface OidcVerifiedLogin<M extends OidcAuthMethod = OidcAuthMethod> {
  readonly method: M;
  /**
   * The ID token's claims, with the userinfo claims over them (except
   * `iss` and `sub`, which stay the ID token's), as Nomad merges them.
   */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** What {@link OidcFlow} needs from the agent. */
export interface OidcFlowPorts<M extends OidcAuthMethod = OidcAuthMethod> {
  /** The auth method named `name`, or `undefined`. */
  readonly methodByName: (name: string) => M | undefined;
  readonly states: OidcStateStore;
  readonly discovery: OidcDiscovery;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * The OIDC authorization-code flow of Nomad's `auth-url` / `complete-auth`,
 * on openid-client:
 *
 * 1. `authUrl`: checks the redirect URI against `AllowedRedirectURIs`,
 *    makes a random `state` and a PKCE verifier, remembers them (with the
 *    method, the redirect URI and a hash of the client's nonce) in the
 *    state store for {@link OIDC_STATE_TTL_MS}, and answers the provider's
 *    authorization URL (`response_type=code`, `scope=openid …`, `state`,
 *    `nonce` = the client's nonce, `code_challenge` S256).
 * 2. `completeAuth`: takes the state (single use: spent whatever follows),
 *    checks that method, redirect URI and nonce are those of step 1, then
 *    exchanges the code with the PKCE verifier and validates the ID token
 *    (signature by the provider's JWKS, `SigningAlgs`, issuer, audience =
 *    client ID and `BoundAudiences`, `nonce`, `exp`/`iat`), fetches
 *    userinfo unless `OIDCDisableUserInfo`, and returns the merged claims.
 *    Minting the token is the caller's (the login core,
 *    `loginWithVerifiedClaims`).
 */
export class OidcFlow<M extends OidcAuthMethod = OidcAuthMethod> {
  readonly #ports: OidcFlowPorts<M>;
  readonly #now: () => number;

  constructor(ports: OidcFlowPorts<M>) {
    this.#ports = ports;
    this.#now = ports.now ?? Date.now;
  }

  /** Step 1: the URL to send the user to. */
  async authUrl(body: unknown): Promise<{ AuthURL: string }> {
    const req = decodeOidcAuthUrlRequest(body);
    const method = this.#method(req.AuthMethodName);
    checkRedirectUri(method, req.RedirectURI);
    const config = await this.#ports.discovery.configFor(method);
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const params: Record<string, string> = {
      redirect_uri: req.RedirectURI,
      response_type: 'code',
      scope: scopesOf(method).join(' '),
      state,
      nonce: req.ClientNonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    const url = oidc.buildAuthorizationUrl(config, params);
    await this.#ports.states.put(oidcHash(state), {
      method: method.Name,
      redirectUri: req.RedirectURI,
      nonceHash: oidcHash(req.ClientNonce),
      codeVerifier,
      expiresAtMs: this.#now() + OIDC_STATE_TTL_MS,
    });
    return { AuthURL: url.href };
  }

  /** Step 2: the verified identity of the user who came back with `Code`. */
  async completeAuth(body: unknown): Promise<OidcVerifiedLogin<M>> {
    const req = decodeOidcCompleteAuthRequest(body);
    // The state is spent first: a wrong nonce or redirect URI burns it, so
    // a stolen state cannot be tried again with other values.
    const taken = await this.#ports.states.take(oidcHash(req.State));
    if (!taken.ok) throw new OidcStateError(taken.reason);
    const pending = taken.login;
    if (pending.method !== req.AuthMethodName) {
      throw new BadRequestError(`invalid OIDC complete-auth request: State was issued for another auth method`);
    }
    if (!matchesHash(req.ClientNonce, pending.nonceHash)) throw new OidcNonceError();
    if (pending.redirectUri !== req.RedirectURI) {
      throw new OidcRedirectUriError('invalid OIDC complete-auth request: RedirectURI is not the one of the auth-url request');
    }
    const method = this.#method(req.AuthMethodName);
    // The method may have changed since auth-url: check again.
    checkRedirectUri(method, req.RedirectURI);
    const config = await this.#ports.discovery.configFor(method);

    // openid-client reads the authorization response from the redirect URI
    // the provider sent the browser to.
    const callback = new URL(req.RedirectURI);
    callback.search = '';
    callback.hash = '';
    callback.searchParams.set('code', req.Code);
    callback.searchParams.set('state', req.State);
    if (req.Iss !== undefined) callback.searchParams.set('iss', req.Iss);
    let tokens;
    try {
      // The token request's redirect_uri is `callback` without its query:
      // the RedirectURI byte for byte (checked canonical at parse).
      tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: req.State,
        expectedNonce: req.ClientNonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw oidcErrorOf(err, 'code exchange');
    }
    const idClaims = tokens.claims();
    if (idClaims === undefined) throw new OidcProviderRefusedError('OIDC code exchange: the provider returned no ID token');
    const bound = method.Config.BoundAudiences;
    if (bound.length > 0) {
      const aud = Array.isArray(idClaims.aud) ? idClaims.aud : [idClaims.aud];
      if (!aud.some((a) => bound.includes(a))) {
        throw new OidcProviderRefusedError('OIDC ID token failed validation: its audience is not in BoundAudiences');
      }
    }
    let claims: Record<string, unknown> = { ...idClaims };
    if (!method.Config.OIDCDisableUserInfo && config.serverMetadata().userinfo_endpoint !== undefined) {
      let info;
      try {
        info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      } catch (err) {
        throw oidcErrorOf(err, 'userinfo');
      }
      claims = { ...claims, ...info, iss: idClaims.iss, sub: idClaims.sub };
    }
    return { method, claims };
  }

  #method(name: string): M {
    const method = this.#ports.methodByName(name);
    if (method === undefined) throw new BadRequestError(`auth-method ${JSON.stringify(name)} not found`);
    if (method.Type !== 'OIDC') {
      throw new BadRequestError(`auth-method ${JSON.stringify(name)} is of type ${method.Type}, not OIDC (use /v1/acl/login)`);
    }
    return method;
  }
}

/** `openid` first, then the method's other scopes, each once. */
function scopesOf(method: OidcAuthMethod): string[] {
  return [...new Set(['openid', ...method.Config.OIDCScopes])];
}

function checkRedirectUri(method: OidcAuthMethod, uri: string): void {
  if (!method.Config.AllowedRedirectURIs.includes(uri)) {
    throw new OidcRedirectUriError(`RedirectURI ${JSON.stringify(uri)} is not in the auth method's AllowedRedirectURIs`);
  }
}
