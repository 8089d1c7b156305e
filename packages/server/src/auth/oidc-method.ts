import type { ACLAuthMethod, ACLAuthMethodConfig } from '@tollgate/state';

/**
 * The provider settings the OIDC flow reads (Nomad's field names; see
 * `ACLAuthMethodConfig`): discovery URL and its CA, client ID and secret
 * (opened from its sealed form by the store; never logged nor returned),
 * scopes, userinfo, bound audiences, allowed redirect URIs, signing
 * algorithms, and the leeway of the ID token's times (nanoseconds).
 */
export type OidcAuthMethodConfig = Pick<
  ACLAuthMethodConfig,
  | 'OIDCDiscoveryURL'
  | 'OIDCClientID'
  | 'OIDCClientSecret'
  | 'OIDCScopes'
  | 'OIDCDisableUserInfo'
  | 'BoundAudiences'
  | 'AllowedRedirectURIs'
  | 'DiscoveryCaPem'
  | 'SigningAlgs'
  | 'ClockSkewLeeway'
>;

/**
 * What the OIDC flow reads of an auth method: a subset of the stored
 * `ACLAuthMethod` (so a stored method is one). `ModifyIndex` keys the
 * provider cache: an updated method is discovered anew.
 */
export interface OidcAuthMethod extends Pick<ACLAuthMethod, 'Name' | 'Type' | 'ModifyIndex'> {
  readonly Config: OidcAuthMethodConfig;
}
