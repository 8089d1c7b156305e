/**
 * The stored object model. Field names and JSON shapes follow Nomad's ACL API
 * (see shared/nomad-acl-facts.md §1, §2.1) so that the HTTP layer can return
 * these objects as they are (minus SecretID in lists).
 */

/** `client` tokens carry policies; `management` tokens may do anything. */
export type TokenType = 'client' | 'management';

/** An ACL token as stored and as returned by `GET /v1/acl/token/:accessor`. */
export interface ACLToken {
  /** Public UUID. */
  readonly AccessorID: string;
  /** Private UUID; never logged, never listed, encrypted at rest. */
  readonly SecretID: string;
  readonly Name: string;
  readonly Type: TokenType;
  /** Policy names; `null` for management tokens (Nomad prints `null`). */
  readonly Policies: readonly string[] | null;
  /**
   * Links to ACL roles, as written (ID and the role's name then); absent or
   * `null` = none. A link whose role was deleted since is kept here and
   * ignored when reading (Nomad's `fixTokenRoleLinks`).
   */
  readonly Roles?: readonly ACLTokenRoleLink[] | null;
  readonly Global: boolean;
  /** base64 of a SHA-256 over the mutable fields (Nomad uses blake2b-256). */
  readonly Hash: string;
  /** RFC 3339 with nanoseconds, UTC. */
  readonly CreateTime: string;
  /** RFC 3339 or `null` when the token never expires. */
  readonly ExpirationTime: string | null;
  /** Nanoseconds (Nomad encodes the Go duration as an integer); 0 = none. */
  readonly ExpirationTTL: number;
  /** Region index at which the token was created in *this* region. */
  readonly CreateIndex: number;
  /** Region index of the last change in *this* region. */
  readonly ModifyIndex: number;
  /**
   * For replicated (global) tokens in a follower region: the authoritative
   * region's ModifyIndex this copy came from. 0 for objects written here.
   */
  readonly SourceIndex?: number;
  /**
   * Lifecycle (issue 13). Each is stored only when it differs from its
   * default, so records written before these fields existed keep their
   * shape (and their at-rest MAC) and read as the defaults.
   *
   * The AccessorID of the token that created this one; absent = none
   * (bootstrap, anonymous, login, or a token from before lifecycles).
   */
  readonly ParentAccessorID?: string;
  /**
   * `true`: not revoked with its parent (created with `Orphan`, made an
   * orphan by `revoke-orphan` of its parent, or by `acl.child_tokens =
   * false`). A token with a parent and no `Orphan` is its parent's child.
   */
  readonly Orphan?: boolean;
  /** Free metadata (≤ 64 keys; the server checks the bounds); absent = none. */
  readonly Meta?: Readonly<Record<string, string>>;
  /** Nanoseconds after CreateTime that renewals never pass; absent = none. */
  readonly ExplicitMaxTTL?: number;
  /** Nanoseconds: a periodic token's renewals set now + Period; absent = not periodic. */
  readonly Period?: number;
}

/** A token's link to an ACL role (Nomad's `ACLTokenRoleLink`). */
export interface ACLTokenRoleLink {
  readonly ID: string;
  readonly Name: string;
}

/** A role's link to a policy (Nomad's `ACLRolePolicyLink`). */
export interface ACLRolePolicyLink {
  readonly Name: string;
}

/**
 * An ACL role (Nomad ≥ 1.4): a named set of policies that tokens link to.
 * Global, like policies: written in the authoritative region, replicated.
 */
export interface ACLRole {
  /** UUID, chosen by the server on create. */
  readonly ID: string;
  /** Unique among roles; `^[a-zA-Z0-9-]{1,256}$` (checked by the server). */
  readonly Name: string;
  readonly Description: string;
  /** At least one; each policy existed when the role was written. */
  readonly Policies: readonly ACLRolePolicyLink[];
  readonly Hash: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly SourceIndex?: number;
}

/**
 * The provider settings of an auth method (Nomad's `ACLAuthMethodConfig`).
 * Durations are nanoseconds (the API shows them as Go duration strings).
 * `OIDCClientSecret` is sealed at rest (like SecretIDs) and never returned
 * by the API in clear.
 */
export interface ACLAuthMethodConfig {
  readonly JWTValidationPubKeys: readonly string[];
  readonly JWKSURL: string;
  readonly JWKSCACert: string;
  readonly OIDCDiscoveryURL: string;
  readonly OIDCClientID: string;
  readonly OIDCClientSecret: string;
  readonly OIDCScopes: readonly string[];
  readonly OIDCDisableUserInfo: boolean;
  readonly BoundAudiences: readonly string[];
  readonly BoundIssuer: readonly string[];
  readonly AllowedRedirectURIs: readonly string[];
  readonly DiscoveryCaPem: readonly string[];
  readonly SigningAlgs: readonly string[];
  readonly ExpirationLeeway: number;
  readonly NotBeforeLeeway: number;
  readonly ClockSkewLeeway: number;
  readonly ClaimMappings: Readonly<Record<string, string>>;
  readonly ListClaimMappings: Readonly<Record<string, string>>;
}

/**
 * An ACL auth method (Nomad ≥ 1.5): how external identities (a JWT, an OIDC
 * login) become tokens. Global: written in the authoritative region,
 * replicated. Keyed by `Name`.
 */
export interface ACLAuthMethod {
  readonly Name: string;
  /** `JWT` or `OIDC`. */
  readonly Type: string;
  /** `local` or `global`: the kind of token a login makes. */
  readonly TokenLocality: string;
  /** Nanoseconds. */
  readonly MaxTokenTTL: number;
  readonly TokenNameFormat: string;
  readonly DisplayName: string;
  /** At most one default method per `Type`. */
  readonly Default: boolean;
  readonly Config: ACLAuthMethodConfig;
  readonly Hash: string;
  /** RFC 3339. */
  readonly CreateTime: string;
  readonly ModifyTime: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly SourceIndex?: number;
}

/**
 * An ACL binding rule (Nomad ≥ 1.5): at login through `AuthMethod`, when
 * `Selector` matches the mapped claims, the token gets `BindName` as a role
 * or policy (or is a management token). Global; keyed by `ID`.
 */
export interface ACLBindingRule {
  readonly ID: string;
  readonly Description: string;
  readonly AuthMethod: string;
  readonly Selector: string;
  /** `role`, `policy` or `management`. */
  readonly BindType: string;
  readonly BindName: string;
  readonly Hash: string;
  readonly CreateTime: string;
  readonly ModifyTime: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly SourceIndex?: number;
}

/** `GET /v1/acl/tokens` entries: a token without its secret. */
export type ACLTokenStub = Omit<ACLToken, 'SecretID' | 'ExpirationTTL' | 'SourceIndex'>;

/**
 * Ties a policy to a workload (Nomad's `JobACL`): a namespace, optionally a
 * job in it, a group of that job, a task of that group.
 */
export interface JobACL {
  readonly Namespace: string;
  readonly JobID: string;
  readonly Group: string;
  readonly Task: string;
}

/** An ACL policy as stored. */
export interface ACLPolicy {
  readonly Name: string;
  readonly Description: string;
  /** The rules text exactly as written (HCL or JSON). */
  readonly Rules: string;
  /**
   * The workload the policy is attached to; absent or `null` = none
   * (policies stored before JobACL existed have no such field).
   */
  readonly JobACL?: JobACL | null;
  readonly Hash: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly SourceIndex?: number;
}

export type ACLPolicyStub = Omit<ACLPolicy, 'Rules' | 'SourceIndex'>;

/** Tables whose index blocking queries watch (Nomad's memdb table indexes). */
export type TableName = 'acl_token' | 'acl_policy' | 'acl_role' | 'acl_auth_method' | 'acl_binding_rule';

/**
 * A write to the region, applied atomically with one new region index.
 * Indexes (`CreateIndex`, `ModifyIndex`) in the objects given are ignored:
 * the store assigns them.
 */
export type Mutation =
  | {
      readonly type: 'token-upsert';
      /**
       * Full tokens. An existing token (same AccessorID) keeps its SecretID,
       * CreateTime and CreateIndex; every other field is replaced. A new token
       * whose AccessorID or SecretID is already in use is refused with
       * `TOLLGATE_CONFLICT`.
       */
      readonly tokens: readonly ACLToken[];
      /**
       * What the writer saw when it built the tokens: `create` (the
       * AccessorIDs must be new) or `update` (they must still exist, else
       * `TOLLGATE_NOT_FOUND` `cannot find token <id>`). Checked inside the
       * commit, so an update racing a delete cannot bring the deleted token
       * (and its secret) back. Omitted = upsert (replication, imports).
       */
      readonly mode?: 'create' | 'update';
    }
  | {
      readonly type: 'token-delete';
      /** Unknown accessors are refused (`Cannot delete nonexistent tokens: a, b`). */
      readonly accessors: readonly string[];
      /**
       * What happens to the tokens' children (non-orphan tokens naming them
       * as parent): `revoke` (default) deletes every descendant, recursively,
       * in the same atomic write; `orphan` keeps the direct children and
       * marks them `Orphan` (`revoke-orphan`).
       */
      readonly children?: 'revoke' | 'orphan';
    }
  | { readonly type: 'policy-upsert'; readonly policies: readonly ACLPolicy[] }
  | {
      readonly type: 'policy-delete';
      /** Missing names are a silent no-op, as in Nomad. */
      readonly names: readonly string[];
    }
  | {
      readonly type: 'role-upsert';
      /**
       * Full roles. `create`: the IDs must be new and the names free
       * (`role with name <n> already exists`); `update`: the IDs must exist
       * (`cannot find role <id>`) and a new name must be free. Every linked
       * policy must exist (`cannot find policy <name>`). Omitted = upsert.
       */
      readonly roles: readonly ACLRole[];
      readonly mode?: 'create' | 'update';
    }
  | {
      readonly type: 'role-delete';
      /** Unknown IDs are refused (`ACL role not found`), as in Nomad. */
      readonly ids: readonly string[];
    }
  | {
      readonly type: 'auth-method-upsert';
      /**
       * Full methods, keyed by Name. `create`: the names must be new;
       * `update`: they must exist (`cannot find auth method <n>`). A second
       * `Default` method of one Type is refused
       * (`default method already exists: <name>`). Omitted = upsert.
       */
      readonly methods: readonly ACLAuthMethod[];
      readonly mode?: 'create' | 'update';
    }
  | {
      readonly type: 'auth-method-delete';
      /** Unknown names are refused (`ACL auth method not found`), as in Nomad. */
      readonly names: readonly string[];
    }
  | {
      readonly type: 'binding-rule-upsert';
      /**
       * Full rules, keyed by ID. `create`: the IDs must be new; `update`:
       * they must exist (`cannot find binding rule <id>`). The auth method
       * must exist (`ACL auth method <n> not found`). Omitted = upsert
       * (replication: rules may arrive before their method).
       */
      readonly rules: readonly ACLBindingRule[];
      readonly mode?: 'create' | 'update';
    }
  | {
      readonly type: 'binding-rule-delete';
      /** Unknown IDs are refused (`ACL binding rule not found`). */
      readonly ids: readonly string[];
    }
  | {
      readonly type: 'bootstrap';
      readonly token: ACLToken;
      /**
       * The reset index the operator supplied through the reset file, or
       * `undefined` when there is none. Checked inside the commit so two
       * racing bootstraps can never both win.
       */
      readonly resetIndex: number | undefined;
    };

/** One entry of the change feed. */
export interface Change {
  readonly index: number;
  readonly table: TableName;
  readonly op: 'upsert' | 'delete';
  /** AccessorID, policy Name, role ID, auth method Name or binding rule ID. */
  readonly key: string;
  /** Global tokens, all policies, roles, auth methods and binding rules are global; local tokens are not. */
  readonly global: boolean;
}
