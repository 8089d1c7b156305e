import type { OidcFlow, OidcVerifiedLogin } from './oidc-flow.js';

/**
 * Mints the Tollgate token of a verified OIDC identity: the login core
 * (claim mappings, binding rules, token locality and TTL). Resolves with
 * the token as the API shows it (SecretID included: the caller logged in)
 * and the index it was written at; a global token made in a follower is
 * usable there when this resolves.
 */
export type OidcTokenMinter = (login: OidcVerifiedLogin, requestId: string) => Promise<{ readonly index: number; readonly token: unknown }>;

/** The OIDC login as the HTTP routes see it: the provider flow, then the minting. */
export interface OidcLogin {
  readonly flow: OidcFlow;
  readonly mint: OidcTokenMinter;
}
