/**
 * What the OIDC flow reads of an auth method: Nomad's field names, a subset
 * of the stored `ACLAuthMethod` (so a stored method is one). Durations are
 * nanoseconds, as stored.
 */
export interface OidcAuthMethod {
  readonly Name: string;
  /** `OIDC` for this flow (`JWT` methods log in with `POST /v1/acl/login`). */
  readonly Type: string;
  /** Moves when the method changes: the provider cache is keyed on it. */
  readonly ModifyIndex: number;
  readonly Config: OidcAuthMethodConfig;
}

/** The provider settings the OIDC flow uses (Nomad's `ACLAuthMethodConfig`). */
export interface OidcAuthMethodConfig {
  /** The issuer; `/.well-known/openid-configuration` is read under it. */
  readonly OIDCDiscoveryURL: string;
  readonly OIDCClientID: string;
  /** Opened from its sealed form by the store; never logged nor returned. */
  readonly OIDCClientSecret: string;
  /** Scopes asked for besides `openid`. */
  readonly OIDCScopes: readonly string[];
  /** Do not call the provider's userinfo endpoint. */
  readonly OIDCDisableUserInfo: boolean;
  /** When set, the ID token's `aud` must name one of these (and always the client ID). */
  readonly BoundAudiences: readonly string[];
  /** The only `RedirectURI` values auth-url and complete-auth accept (exact match). */
  readonly AllowedRedirectURIs: readonly string[];
  /** PEM CA certificates trusted for the provider's HTTPS (else the system's). */
  readonly DiscoveryCaPem: readonly string[];
  /** ID token signature algorithms accepted; empty = what the provider advertises (else RS256). */
  readonly SigningAlgs: readonly string[];
  /** Leeway for the ID token's time claims, nanoseconds. */
  readonly ClockSkewLeeway: number;
}
