import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, exportJWK, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { ACLAuthMethod } from '@tollgate/state';
import { AuthProviderError, LoginInvalidError } from '../errors.js';
import { providerFetch } from './provider-fetch.js';

const NS_PER_S = 1_000_000_000;
/** Nomad's default signing algorithm when `SigningAlgs` is empty. */
export const DEFAULT_SIGNING_ALGS: readonly string[] = ['RS256'];

/** Options of a `JwtVerifier`. */
export interface JwtVerifierOptions {
  /**
   * Deadline of one fetch from the identity provider (JWKS, discovery).
   * @default 10000
   */
  readonly fetchTimeoutMs?: number;
  /**
   * How long fetched keys are used before they are fetched again; an unknown
   * `kid` fetches sooner (at most once per `cooldownMs`).
   * @default 600000
   */
  readonly cacheMaxAgeMs?: number;
  /** @default 30000 */
  readonly cooldownMs?: number;
}

/**
 * Verifies login JWTs for auth methods with `jose`: the signature with a key
 * from `JWTValidationPubKeys`, the `JWKSURL` key set (over HTTPS, trusting
 * `JWKSCACert` when set) or the `OIDCDiscoveryURL` provider's key set;
 * the algorithm against `SigningAlgs` (default `RS256`; `none` and HMAC
 * never pass); `BoundIssuer` and `BoundAudiences` (any match); `exp`
 * (required), `nbf` and `iat` against the method's leeways.
 *
 * Key sets are cached per method (name + config hash), reused across
 * logins, refreshed when a token names a `kid` the cache lacks (jose's
 * remote key set: at most once per cooldown) and when older than the
 * cache age. Nothing is fetched on the request path of authorize.
 */
export class JwtVerifier {
  readonly #o: Required<JwtVerifierOptions>;
  readonly #keys = new Map<string, JWTVerifyGetKey>();

  constructor(opts: JwtVerifierOptions = {}) {
    this.#o = { fetchTimeoutMs: 10_000, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, ...opts };
  }

  /**
   * The verified claims of `token`.
   * @throws LoginInvalidError (401) with Nomad's `unable to validate
   *   provided token: …` and a reason that names no claim value;
   *   AuthProviderError (502) when the key set cannot be fetched.
   */
  async verify(method: ACLAuthMethod, token: string, now: Date = new Date()): Promise<Record<string, unknown>> {
    const c = method.Config;
    const keys = await this.#keySet(method);
    const leewayS = (ns: number): number => ns / NS_PER_S;
    const exp = leewayS(c.ExpirationLeeway);
    const nbf = leewayS(c.NotBeforeLeeway);
    const skew = leewayS(c.ClockSkewLeeway);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: [...(c.SigningAlgs.length > 0 ? c.SigningAlgs : DEFAULT_SIGNING_ALGS)],
        ...(c.BoundAudiences.length > 0 ? { audience: [...c.BoundAudiences] } : {}),
        ...(c.BoundIssuer.length > 0 ? { issuer: [...c.BoundIssuer] } : {}),
        requiredClaims: ['exp'],
        currentDate: now,
        // jose has one tolerance for every time claim: the widest here; the
        // precise per-claim checks follow.
        clockTolerance: Math.max(exp, nbf) + skew,
      }));
    } catch (err) {
      throw refusal(err);
    }
    const t = now.getTime() / 1000;
    if (typeof payload.exp === 'number' && t > payload.exp + exp + skew) throw invalid('token is expired');
    if (typeof payload.nbf === 'number' && t < payload.nbf - nbf - skew) throw invalid('token is not valid yet (nbf)');
    if (typeof payload.iat === 'number' && t < payload.iat - skew) throw invalid('token is issued in the future (iat)');
    return payload as Record<string, unknown>;
  }

  /** Forgets the cached key sets (tests; a method's new config gets a new entry anyway). */
  clear(): void {
    this.#keys.clear();
  }

  async #keySet(method: ACLAuthMethod): Promise<JWTVerifyGetKey> {
    const c = method.Config;
    const cacheKey = `${method.Name}\u0000${method.Hash}\u0000${c.JWKSCACert}\u0000${c.DiscoveryCaPem.join('\u0000')}`;
    const hit = this.#keys.get(cacheKey);
    if (hit !== undefined) return hit;
    let keys: JWTVerifyGetKey;
    if (c.JWTValidationPubKeys.length > 0) {
      const jwks: JSONWebKeySet = { keys: await Promise.all(c.JWTValidationPubKeys.map((pem) => exportJWK(createPublicKey(pem)))) };
      keys = createLocalJWKSet(jwks);
    } else if (c.JWKSURL !== '') {
      keys = this.#remote(c.JWKSURL, c.JWKSCACert);
    } else if (c.OIDCDiscoveryURL !== '') {
      const ca = c.DiscoveryCaPem[0];
      keys = this.#remote(await this.#discoverJwksUri(c.OIDCDiscoveryURL, ca), ca);
    } else {
      throw invalid('the auth method has no key source');
    }
    // Old entries of a method whose config changed are dropped.
    for (const k of this.#keys.keys()) if (k.startsWith(`${method.Name}\u0000`)) this.#keys.delete(k);
    this.#keys.set(cacheKey, keys);
    return keys;
  }

  #remote(url: string, ca: string | undefined): JWTVerifyGetKey {
    return createRemoteJWKSet(new URL(url), {
      timeoutDuration: this.#o.fetchTimeoutMs,
      cacheMaxAge: this.#o.cacheMaxAgeMs,
      cooldownDuration: this.#o.cooldownMs,
      [customFetch]: providerFetch(ca),
    });
  }

  async #discoverJwksUri(issuerUrl: string, ca: string | undefined): Promise<string> {
    const base = issuerUrl.endsWith('/') ? issuerUrl.slice(0, -1) : issuerUrl;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.#o.fetchTimeoutMs);
    try {
      const res = await providerFetch(ca)(`${base}/.well-known/openid-configuration`, {
        headers: new Headers({ accept: 'application/json' }),
        method: 'GET',
        redirect: 'manual',
        signal: ac.signal,
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const doc = (await res.json()) as { jwks_uri?: unknown };
      if (typeof doc.jwks_uri !== 'string') throw new Error('no jwks_uri in the discovery document');
      return doc.jwks_uri;
    } catch (err) {
      throw new AuthProviderError(`unable to get validation keys from OIDC provider: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

function invalid(reason: string, cause?: unknown): LoginInvalidError {
  return new LoginInvalidError(`unable to validate provided token: ${reason}`, cause === undefined ? undefined : { cause });
}

/** jose's error as Nomad-style text that names no claim value. */
function refusal(err: unknown): Error {
  if (err instanceof errors.JWTExpired) return invalid('token is expired', err);
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud':
        return invalid('invalid audience (aud) claim', err);
      case 'iss':
        return invalid('invalid issuer (iss) claim', err);
      case 'nbf':
        return invalid('token is not valid yet (nbf)', err);
      case 'exp':
        return invalid(err.reason === 'missing' ? 'token has no expiration (exp) claim' : 'invalid expiration (exp) claim', err);
      default:
        return invalid(`invalid ${JSON.stringify(err.claim)} claim`, err);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('signing algorithm not allowed by the auth method', err);
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('signature verification failed', err);
  if (err instanceof errors.JWKSNoMatchingKey) return invalid('no key of the auth method matches the token', err);
  if (err instanceof errors.JWKSMultipleMatchingKeys) return invalid('signature verification failed', err);
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return new AuthProviderError(`unable to get validation keys from JWKS: ${err.message}`, { cause: err });
  }
  if (err instanceof errors.JOSEError) return invalid(`malformed or unsupported token (${err.code})`, err);
  if (err instanceof TypeError) return invalid('malformed token', err);
  // A fetch failure (TLS, connection) surfaces as a plain Error from our fetch.
  return new AuthProviderError(`unable to get validation keys from JWKS: ${(err as Error).message}`, { cause: err });
}
