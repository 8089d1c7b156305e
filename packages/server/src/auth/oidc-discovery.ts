import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { OidcAuthMethod } from './oidc-method.js';
import { oidcErrorOf } from './oidc-errors.js';

/** Per-request timeout of every call to a provider (discovery, token, userinfo, JWKS), seconds. */
export const OIDC_PROVIDER_TIMEOUT_S = 10;

/**
 * The openid-client `Configuration` of each OIDC auth method (the
 * provider's discovered metadata plus the client's credentials), made on
 * first use and kept while the method is unchanged (keyed by name and
 * `ModifyIndex`: an updated method is discovered anew). A failed discovery
 * is not kept, so the next login tries again. The provider's signing keys
 * are cached by openid-client inside the configuration and refetched when
 * an ID token names an unknown `kid`.
 *
 * HTTPS to the provider trusts `DiscoveryCaPem` when set (else the
 * system's CAs). Plain `http://` discovery URLs are refused except on
 * loopback (a provider on the same host, e.g. in development).
 */
export class OidcDiscovery {
  readonly #configs = new Map<string, { readonly index: number; readonly config: Promise<oidc.Configuration> }>();

  /** The configuration of `method`, discovering its provider when needed. */
  async configFor(method: OidcAuthMethod): Promise<oidc.Configuration> {
    const cached = this.#configs.get(method.Name);
    if (cached !== undefined && cached.index === method.ModifyIndex) return cached.config;
    const config = discover(method).catch((err: unknown) => {
      if (this.#configs.get(method.Name)?.config === config) this.#configs.delete(method.Name);
      throw oidcErrorOf(err, `discovery of ${method.Config.OIDCDiscoveryURL}`);
    });
    this.#configs.set(method.Name, { index: method.ModifyIndex, config });
    return config;
  }

  /** Forgets every configuration (methods deleted, tests). */
  clear(): void {
    this.#configs.clear();
  }
}

async function discover(method: OidcAuthMethod): Promise<oidc.Configuration> {
  const c = method.Config;
  const issuer = new URL(c.OIDCDiscoveryURL);
  const insecure = issuer.protocol === 'http:';
  if (insecure && !isLoopback(issuer.hostname)) {
    throw new TypeError(`OIDCDiscoveryURL must be https:// (plain http is allowed on loopback only): ${issuer.origin}`);
  }
  const metadata: Partial<oidc.ClientMetadata> = {};
  // openid-client accepts a list here (checked against the token's `alg`).
  if (c.SigningAlgs.length > 0) metadata.id_token_signed_response_alg = [...c.SigningAlgs] as unknown as string;
  // Leeway for exp/iat (seconds); openid-client's default is 30 s.
  if (c.ClockSkewLeeway > 0) metadata[oidc.clockTolerance] = Math.ceil(c.ClockSkewLeeway / 1e9);
  const auth = c.OIDCClientSecret === '' ? oidc.None() : oidc.ClientSecretBasic(c.OIDCClientSecret);
  const options: oidc.DiscoveryRequestOptions = {
    [oidc.customFetch]: providerFetch(c.DiscoveryCaPem),
    timeout: OIDC_PROVIDER_TIMEOUT_S,
    ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
  };
  const config = await oidc.discovery(issuer, c.OIDCClientID, metadata, auth, options);
  config.timeout = OIDC_PROVIDER_TIMEOUT_S;
  return config;
}

/** A fetch whose TLS trusts `caPems` (when any); no cookies, no redirects to follow for discovery. */
function providerFetch(caPems: readonly string[]): oidc.CustomFetch {
  const dispatcher = caPems.length === 0 ? undefined : new Agent({ connect: { ca: [...caPems] } });
  return (url, options) =>
    undiciFetch(url, { ...options, ...(dispatcher === undefined ? {} : { dispatcher }) } as never) as unknown as Promise<Response>;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
