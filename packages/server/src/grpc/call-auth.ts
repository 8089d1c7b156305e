import { Metadata } from '@grpc/grpc-js';
import { PermissionDeniedError, TokenExpiredError } from '../errors.js';
import type { Identity } from '../token-resolver.js';

/** The port gRPC handlers authenticate callers through (the agent's `TokenResolver`). */
export interface TokenLookup {
  /** The caller's identity for a SecretID; throws PermissionDeniedError/TokenExpiredError. */
  resolve(secret: string): Identity;
}

/** The metadata entry every cross-region call carries the caller's SecretID in. */
export const TOKEN_METADATA_KEY = 'x-nomad-token';

/**
 * Outbound metadata carrying `secret` (none for an anonymous caller, e.g.
 * bootstrap). The secret never appears anywhere else in a call.
 */
export function tokenMetadata(secret: string): Metadata {
  const md = new Metadata();
  if (secret !== '') md.set(TOKEN_METADATA_KEY, secret);
  return md;
}

/** The SecretID an inbound call carries ('' when none). */
export function secretFromMetadata(md: Metadata): string {
  const v = md.get(TOKEN_METADATA_KEY)[0];
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * Authenticates an inbound call with this agent's own ACLs and insists on a
 * management token (replication reads every global secret). `purpose` names
 * the credential in the refusal, e.g. `replication token`, so the follower's
 * log says exactly what to fix.
 * @throws PermissionDeniedError (PERMISSION_DENIED) for a missing, unknown,
 *   expired or non-management token.
 */
export function requireManagementCall(md: Metadata, resolver: TokenLookup, purpose: string, region: string): Identity {
  const secret = secretFromMetadata(md);
  if (secret === '') throw new PermissionDeniedError(`Permission denied: no ${purpose} given (region "${region}")`);
  let id: Identity;
  try {
    id = resolver.resolve(secret);
  } catch (err) {
    if (err instanceof TokenExpiredError) throw new PermissionDeniedError(`Permission denied: ${purpose} expired (region "${region}")`);
    if (err instanceof PermissionDeniedError) {
      throw new PermissionDeniedError(`Permission denied: ${purpose} not found in region "${region}"`);
    }
    throw err;
  }
  if (!id.acl.isManagement) {
    throw new PermissionDeniedError(
      `Permission denied: ${purpose} must be a management token (token ${id.token.AccessorID} in region "${region}" is ${id.token.Type})`,
    );
  }
  return id;
}
