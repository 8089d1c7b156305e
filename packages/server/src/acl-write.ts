/**
 * An ACL write as a value: what the HTTP layer received, what forwarding
 * carries to the authoritative region and what a write answers. Its own
 * file so that the agent's context, the endpoint and forwarding all import
 * it without importing each other.
 */

/** An ACL write, as the HTTP layer received it (see acl-endpoint.ts). */
export type AclWriteOp =
  | { readonly op: 'bootstrap'; readonly body: unknown }
  | { readonly op: 'token-upsert'; readonly body: unknown; readonly accessor?: string }
  | { readonly op: 'token-delete'; readonly accessor: string }
  /** `accessor` undefined = the caller's own token (`/v1/acl/token/self/renew`). */
  | { readonly op: 'token-renew'; readonly body: unknown; readonly accessor?: string }
  /** Revokes the token and keeps its children, as orphans. */
  | { readonly op: 'token-revoke-orphan'; readonly accessor: string }
  | { readonly op: 'policy-upsert'; readonly name: string; readonly body: unknown }
  | { readonly op: 'policy-delete'; readonly name: string }
  /** `id` undefined = create (`POST /v1/acl/role`), else update of that role. */
  | { readonly op: 'role-upsert'; readonly body: unknown; readonly id?: string }
  | { readonly op: 'role-delete'; readonly id: string }
  /** `name` undefined = create (`POST /v1/acl/auth-method`), else update of that method. */
  | { readonly op: 'auth-method-upsert'; readonly body: unknown; readonly name?: string }
  | { readonly op: 'auth-method-delete'; readonly name: string }
  /** `id` undefined = create (`POST /v1/acl/binding-rule`), else update of that rule. */
  | { readonly op: 'binding-rule-upsert'; readonly body: unknown; readonly id?: string }
  | { readonly op: 'binding-rule-delete'; readonly id: string }
  /** `POST /v1/acl/login` (JWT): global when the named method makes global tokens. */
  | { readonly op: 'login'; readonly body: unknown };

/** What a write answers: the index it committed at and the JSON body. */
export interface AclWriteResult {
  readonly index: number;
  /** `undefined` = empty body (policy writes, deletes). */
  readonly body?: unknown;
  /** Details for this request's audit line (a login's method and mapped claims); never secrets. */
  readonly audit?: Readonly<Record<string, unknown>>;
  /** A token revocation: the descendants it revoked with the token (as planned from this agent's state). */
  readonly revoked?: readonly string[];
}

