/**
 * Wire types of the Nomad-compatible `/v1/acl/*` API as the client sees them.
 * They are declared here, not imported from the server packages, so the client
 * stays a standalone layer that talks JSON over HTTP and nothing else. Field
 * names follow Nomad's JSON (PascalCase).
 */

/** `client` tokens carry policies; `management` tokens may do anything. */
export type AclTokenType = 'client' | 'management';

/** A full ACL token, as returned by bootstrap, create, update, info and self. */
export interface AclToken {
  /** Public UUID: safe to log, used to read, update and delete the token. */
  readonly AccessorID: string;
  /** Private UUID: the credential sent as `X-Nomad-Token`. */
  readonly SecretID: string;
  readonly Name: string;
  readonly Type: AclTokenType;
  /** Policy names; `null` for management tokens. */
  readonly Policies: readonly string[] | null;
  /** Linked ACL roles (ID and current name); `null` when none. */
  readonly Roles?: readonly AclTokenRoleLink[] | null;
  /** Replicated to every region when true. */
  readonly Global: boolean;
  /** base64 digest of the mutable fields, used by replication. */
  readonly Hash?: string;
  /** RFC 3339 (nanosecond precision allowed), UTC. */
  readonly CreateTime: string;
  /** RFC 3339, or `null`/absent when the token never expires. */
  readonly ExpirationTime?: string | null;
  /**
   * The TTL the token was created with, as a Go duration (`"1h0m0s"`); `""`
   * when none. (Older agents answered nanoseconds; both are accepted back.)
   */
  readonly ExpirationTTL?: string | number;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  /** Tollgate: the AccessorID of the token that created this one; `""` = none. */
  readonly ParentAccessorID?: string;
  /** Tollgate: not revoked with a parent (an orphan, or a token without a parent). */
  readonly Orphan?: boolean;
  /** Tollgate: free metadata; `{}` when none. */
  readonly Meta?: Readonly<Record<string, string>>;
  /** Tollgate: renewals never pass CreateTime + this (Go duration; `""` = none). */
  readonly ExplicitMaxTTL?: string;
  /** Tollgate: a periodic token's lease (Go duration; `""` = not periodic). */
  readonly Period?: string;
}

/** A role to link to a token: by ID or by name. */
export type AclRoleLinkRequest = { readonly ID: string; readonly Name?: string } | { readonly ID?: string; readonly Name: string };

/** A role's link to a policy. */
export interface AclRolePolicyLink {
  readonly Name: string;
}

/** An ACL role (Nomad ≥ 1.4): a named set of policies that tokens link to. */
export interface AclRole {
  readonly ID: string;
  readonly Name: string;
  readonly Description: string;
  readonly Policies: readonly AclRolePolicyLink[];
  readonly Hash?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** An entry of `GET /v1/acl/roles` (Nomad's stub carries the same fields). */
export type AclRoleListStub = AclRole;

/** Body of `POST /v1/acl/role` (create; no ID) or `POST /v1/acl/role/:id` (update; ID required). */
export interface AclRoleWriteRequest {
  ID?: string;
  Name: string;
  Description?: string;
  /** At least one; each must exist. */
  Policies: readonly AclRolePolicyLink[];
}

/** A token's link to an ACL role. */
export interface AclTokenRoleLink {
  readonly ID: string;
  readonly Name: string;
}

/** An entry of `GET /v1/acl/tokens`: a token without its secret. */
export type AclTokenListStub = Omit<AclToken, 'SecretID' | 'ExpirationTTL' | 'ExplicitMaxTTL' | 'Period'>;

/** Body of `POST /v1/acl/token/self/renew` and `/v1/acl/token/:accessor/renew`. */
export interface AclTokenRenewRequest {
  /** Go duration (`"1h"`); default: the token's TTL (its Period when periodic). */
  Increment?: string;
}

/** Body of `POST /v1/acl/token` (create). */
export interface AclTokenCreateRequest {
  Name?: string;
  /** Required by the server; `client` or `management`. */
  Type: AclTokenType;
  Policies?: readonly string[] | null;
  /** ACL roles to link, each by `ID` or by `Name`; an unknown one is a 400 `cannot find role …`. */
  Roles?: readonly AclRoleLinkRequest[] | null;
  Global?: boolean;
  /** Go duration string (`"10m"`) or nanoseconds; sets ExpirationTime at create. */
  ExpirationTTL?: string | number;
  /** Explicit expiry (RFC 3339); wins over ExpirationTTL. */
  ExpirationTime?: string | null;
  /** Tollgate: at most 64 keys; keys ≤ 128 bytes, values ≤ 512 bytes. On update, absent = kept. */
  Meta?: Readonly<Record<string, string>> | null;
  /** Tollgate: a hard cap renewals never pass (create only). */
  ExplicitMaxTTL?: string | number;
  /** Tollgate: a periodic token, renewed to now + Period (create only). */
  Period?: string | number;
  /** Tollgate: not revoked with its creator (management callers only). */
  Orphan?: boolean;
  /** Tollgate: a child of its creator even when `acl.child_tokens` is false. */
  Child?: boolean;
}

/**
 * Body of `POST /v1/acl/token/:accessor` (update). The server replaces every
 * mutable field, so send the whole token back (read it first): an update that
 * omits `ExpirationTime` clears it, and `ExpirationTTL` must be echoed as is.
 */
export interface AclTokenUpdateRequest extends AclTokenCreateRequest {
  AccessorID: string;
}

/** Body of a token upload: a client token with the IDs it has elsewhere (UUIDs). */
export interface AclTokenUploadRequest extends AclTokenCreateRequest {
  AccessorID: string;
  SecretID: string;
  Type: 'client';
}

/** Nomad's `JobACL`: ties a policy to a workload (namespace, job, group, task). */
export interface AclJobACL {
  Namespace: string;
  JobID?: string;
  Group?: string;
  Task?: string;
}

/** An entry of `GET /v1/acl/policies`. */
export interface AclPolicyListStub {
  readonly Name: string;
  readonly Description: string;
  /** The workload the policy is attached to; `null` when none. */
  readonly JobACL?: Readonly<Required<AclJobACL>> | null;
  readonly Hash?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** A full policy, as returned by `GET /v1/acl/policy/:name`. */
export interface AclPolicy extends AclPolicyListStub {
  /** The rules text exactly as written (HCL or JSON). */
  readonly Rules: string;
  /** The parsed rules; its exact shape is the server's (Nomad's `RulesJSON`). */
  readonly RulesJSON?: unknown;
}

/** Body of `POST /v1/acl/policy/:name`. */
export interface AclPolicyWriteRequest {
  Name: string;
  Description?: string;
  /** HCL or JSON policy text; the server parses and validates it. */
  Rules: string;
  /** Attach the policy to a workload; `null`/absent = none. */
  JobACL?: AclJobACL | null;
}

/** One question to `POST /v1/acl/authorize`. */
export interface AuthorizeCheck {
  /** e.g. `namespace`, `node`, `agent`, `operator`. */
  Resource: string;
  /** The resource's label, e.g. the namespace name; omit for coarse resources. */
  Name?: string;
  /** For `variable`: the namespace the variable path is in. */
  Namespace?: string;
  /**
   * e.g. `submit-job`, `read`, `write`. Optional for `namespace`,
   * `node_pool` and `host_volume`: absent = any access other than deny.
   */
  Capability?: string;
}

/** One answer of `POST /v1/acl/authorize`, in the order of the checks. */
export interface AuthorizeResult {
  readonly Allowed: boolean;
  /** Why: which policy or rule decided, or why nothing matched. */
  readonly Reason: string;
}

/** Response of `POST /v1/acl/authorize`. */
export interface AuthorizeResponse {
  /** The caller's accessor (`anonymous` when no token was sent). */
  readonly AccessorID: string;
  readonly Results: readonly AuthorizeResult[];
}

/** Response of `GET /v1/agent/health`; the server may add fields. */
export interface AgentHealth {
  readonly status: string;
  readonly [key: string]: unknown;
}

/** One source region a follower replicates from, in `GET /v1/acl/replication`. */
export interface ReplicationSource {
  readonly SourceRegion: string;
  readonly Running: boolean;
  readonly Streaming: boolean;
  /** `connecting`, `snapshot`, `streaming`, `backoff` or `idle`. */
  readonly Phase: string;
  readonly Peer: string | null;
  readonly LastSuccessTime: string | null;
  readonly LastError: { readonly Time: string; readonly Reason: string; readonly Message: string } | null;
  readonly AppliedIndex: number;
  readonly SourceIndex: number;
  readonly IndexLag: number;
  readonly LagSeconds: number;
  readonly Resyncs: number;
  readonly Errors: number;
  /** With `history`: `[unix ms, worst lag seconds]` per 10 s over the last 15 minutes. */
  readonly LagHistory?: ReadonlyArray<readonly [number, number]>;
}

/** Response of `GET /v1/acl/replication`; the server may add fields. */
export interface ReplicationStatus {
  readonly Region: string;
  readonly AuthoritativeRegion: string;
  /** Empty in the authoritative region. */
  readonly Sources: readonly ReplicationSource[];
  /** Followers streaming from this agent (authoritative region). */
  readonly Followers: ReadonlyArray<{ readonly Region: string; readonly Peer: string; readonly SentIndex: number; readonly Since: string }>;
  /** Tokens (global, local) and policies the region holds. */
  readonly Counts?: { readonly GlobalTokens: number; readonly LocalTokens: number; readonly Policies: number };
  readonly [key: string]: unknown;
}

/** Response of `POST /v1/validate/acl-policy`. */
export interface PolicyValidation {
  readonly Valid: boolean;
  /** What a policy write would answer (400 text), or null when valid. */
  readonly Error: string | null;
  /** 1-based line and column the error points at, when known. */
  readonly Position: { readonly Line: number; readonly Column: number } | null;
}

/** An auth method's provider settings (Nomad's `ACLAuthMethodConfig`); durations as Go strings. */
export interface AclAuthMethodConfig {
  JWTValidationPubKeys?: readonly string[];
  JWKSURL?: string;
  JWKSCACert?: string;
  OIDCDiscoveryURL?: string;
  OIDCClientID?: string;
  /** Write-only: reads answer `redacted`; sending `redacted` back keeps the stored secret. */
  OIDCClientSecret?: string;
  OIDCScopes?: readonly string[];
  OIDCDisableUserInfo?: boolean;
  BoundAudiences?: readonly string[];
  BoundIssuer?: readonly string[];
  AllowedRedirectURIs?: readonly string[];
  DiscoveryCaPem?: readonly string[];
  SigningAlgs?: readonly string[];
  ExpirationLeeway?: string;
  NotBeforeLeeway?: string;
  ClockSkewLeeway?: string;
  ClaimMappings?: Readonly<Record<string, string>>;
  ListClaimMappings?: Readonly<Record<string, string>>;
}

/** An ACL auth method (Nomad ≥ 1.5) as the API answers it. */
export interface AclAuthMethod {
  readonly Name: string;
  /** `JWT` or `OIDC`. */
  readonly Type: string;
  readonly DisplayName?: string;
  /** `local` or `global`. */
  readonly TokenLocality: string;
  readonly TokenNameFormat: string;
  /** Go duration, e.g. `1h0m0s`. */
  readonly MaxTokenTTL: string;
  readonly Default: boolean;
  readonly Config: Required<AclAuthMethodConfig>;
  readonly Hash?: string;
  readonly CreateTime?: string;
  readonly ModifyTime?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** An entry of `GET /v1/acl/auth-methods`. */
export interface AclAuthMethodListStub {
  readonly Name: string;
  readonly DisplayName?: string;
  readonly Type: string;
  readonly Default: boolean;
  readonly Hash?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** Body of `POST /v1/acl/auth-method[/:name]`; an update keeps `Type`, `TokenLocality`, `MaxTokenTTL` and `Config` when omitted. */
export interface AclAuthMethodWriteRequest {
  Name: string;
  Type?: string;
  DisplayName?: string;
  TokenLocality?: string;
  TokenNameFormat?: string;
  /** Go duration string (`"1h"`) or nanoseconds. */
  MaxTokenTTL?: string | number;
  Default?: boolean;
  Config?: AclAuthMethodConfig;
}

/** An ACL binding rule (Nomad ≥ 1.5). */
export interface AclBindingRule {
  readonly ID: string;
  readonly Description: string;
  readonly AuthMethod: string;
  readonly Selector: string;
  /** `role`, `policy` or `management`. */
  readonly BindType: string;
  readonly BindName: string;
  readonly Hash?: string;
  readonly CreateTime?: string;
  readonly ModifyTime?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** An entry of `GET /v1/acl/binding-rules`. */
export interface AclBindingRuleListStub {
  readonly ID: string;
  readonly Description: string;
  readonly AuthMethod: string;
  readonly Hash?: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

/** Body of `POST /v1/acl/binding-rule[/:id]`; an update keeps `BindType`, `BindName` and `AuthMethod` when omitted. */
export interface AclBindingRuleWriteRequest {
  ID?: string;
  Description?: string;
  AuthMethod?: string;
  Selector?: string;
  BindType?: string;
  BindName?: string;
}

/** Body of `POST /v1/acl/login`. */
export interface AclLoginRequest {
  AuthMethodName: string;
  LoginToken: string;
}
