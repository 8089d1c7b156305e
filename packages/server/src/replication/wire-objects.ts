import type { ACLAuthMethod, ACLAuthMethodConfig, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, TokenType } from '@tollgate/state';
import type { AuthMethod, AuthMethod__Output } from '../generated/tollgate/v1/AuthMethod.js';
import type { BindingRule, BindingRule__Output } from '../generated/tollgate/v1/BindingRule.js';
import type { Policy, Policy__Output } from '../generated/tollgate/v1/Policy.js';
import type { Role, Role__Output } from '../generated/tollgate/v1/Role.js';
import type { Token, Token__Output } from '../generated/tollgate/v1/Token.js';

/**
 * Stored objects ↔ their protobuf form. The authoritative region sends its
 * objects with its own indexes; the follower's store keeps `ModifyIndex` as
 * the `SourceIndex` of its copy and assigns its own indexes.
 */

/** A stored token as a `tollgate.v1.Token` (SecretID included). */
export function tokenToWire(t: ACLToken): Token {
  return {
    accessor_id: t.AccessorID,
    secret_id: t.SecretID,
    name: t.Name,
    type: t.Type,
    // A message field left unset decodes as null: that is how a management
    // token's `Policies: null` survives the trip (an empty list stays []).
    policies: t.Policies === null ? null : { names: [...t.Policies] },
    global: t.Global,
    hash: t.Hash,
    create_time: t.CreateTime,
    expiration_time: t.ExpirationTime ?? '',
    expiration_ttl_ns: t.ExpirationTTL,
    create_index: t.CreateIndex,
    modify_index: t.ModifyIndex,
    roles: (t.Roles ?? []).map((l) => ({ id: l.ID, name: l.Name })),
    parent_accessor_id: t.ParentAccessorID ?? '',
    orphan: t.Orphan === true,
    meta: { ...t.Meta },
    explicit_max_ttl_ns: t.ExplicitMaxTTL ?? 0,
    period_ns: t.Period ?? 0,
  };
}

/**
 * A received token as the store's `ACLToken`. The store's
 * `applyReplicated` validates the shape (and refuses a batch with a bad
 * one), so this only maps fields.
 */
export function tokenFromWire(t: Token__Output): ACLToken {
  // Optional fields are added only when set (an older authoritative region
  // sends none of these); assigned rather than spread: a catch-up maps one
  // token per change.
  const token: { -readonly [K in keyof ACLToken]: ACLToken[K] } = {
    AccessorID: t.accessor_id,
    SecretID: t.secret_id,
    Name: t.name,
    Type: t.type as TokenType,
    Policies: t.policies === null ? null : t.policies.names,
    Global: t.global,
    Hash: t.hash,
    CreateTime: t.create_time,
    ExpirationTime: t.expiration_time === '' ? null : t.expiration_time,
    ExpirationTTL: t.expiration_ttl_ns,
    CreateIndex: t.create_index,
    ModifyIndex: t.modify_index,
  };
  if (t.roles.length > 0) token.Roles = t.roles.map((l) => ({ ID: l.id, Name: l.name }));
  if (t.parent_accessor_id !== '') token.ParentAccessorID = t.parent_accessor_id;
  if (t.orphan) token.Orphan = true;
  for (const _ in t.meta) {
    token.Meta = { ...t.meta };
    break;
  }
  if (Number(t.explicit_max_ttl_ns) > 0) token.ExplicitMaxTTL = Number(t.explicit_max_ttl_ns);
  if (Number(t.period_ns) > 0) token.Period = Number(t.period_ns);
  return token;
}

/** A stored policy as a `tollgate.v1.Policy`. */
export function policyToWire(p: ACLPolicy): Policy {
  return {
    name: p.Name,
    description: p.Description,
    rules: p.Rules,
    hash: p.Hash,
    create_index: p.CreateIndex,
    modify_index: p.ModifyIndex,
    // Unset message = no JobACL, as for a token's null Policies.
    job_acl:
      p.JobACL === undefined || p.JobACL === null
        ? null
        : { namespace: p.JobACL.Namespace, job_id: p.JobACL.JobID, group: p.JobACL.Group, task: p.JobACL.Task },
  };
}

/** A received policy as the store's `ACLPolicy`. */
export function policyFromWire(p: Policy__Output): ACLPolicy {
  return {
    Name: p.name,
    Description: p.description,
    Rules: p.rules,
    ...(p.job_acl === null
      ? {}
      : { JobACL: { Namespace: p.job_acl.namespace, JobID: p.job_acl.job_id, Group: p.job_acl.group, Task: p.job_acl.task } }),
    Hash: p.hash,
    CreateIndex: p.create_index,
    ModifyIndex: p.modify_index,
  };
}

/** A stored role as a `tollgate.v1.Role`. */
export function roleToWire(r: ACLRole): Role {
  return {
    id: r.ID,
    name: r.Name,
    description: r.Description,
    policies: r.Policies.map((l) => l.Name),
    hash: r.Hash,
    create_index: r.CreateIndex,
    modify_index: r.ModifyIndex,
  };
}

/** A received role as the store's `ACLRole` (the store validates its shape). */
export function roleFromWire(r: Role__Output): ACLRole {
  return {
    ID: r.id,
    Name: r.name,
    Description: r.description,
    Policies: r.policies.map((name) => ({ Name: name })),
    Hash: r.hash,
    CreateIndex: r.create_index,
    ModifyIndex: r.modify_index,
  };
}

/** A stored auth method as a `tollgate.v1.AuthMethod` (client secret included, in `config_json`). */
export function authMethodToWire(m: ACLAuthMethod): AuthMethod {
  return {
    name: m.Name,
    type: m.Type,
    token_locality: m.TokenLocality,
    max_token_ttl_ns: m.MaxTokenTTL,
    token_name_format: m.TokenNameFormat,
    display_name: m.DisplayName,
    default: m.Default,
    config_json: JSON.stringify(m.Config),
    hash: m.Hash,
    create_time: m.CreateTime,
    modify_time: m.ModifyTime,
    create_index: m.CreateIndex,
    modify_index: m.ModifyIndex,
  };
}

/**
 * A received auth method as the store's `ACLAuthMethod`. A `config_json`
 * that is not a JSON object leaves `Config` undefined or not an object,
 * which the store's shape check refuses, with the batch.
 */
export function authMethodFromWire(m: AuthMethod__Output): ACLAuthMethod {
  let config: unknown;
  try {
    config = JSON.parse(m.config_json);
  } catch {
    // refused by the store's check below
  }
  return {
    Name: m.name,
    Type: m.type,
    TokenLocality: m.token_locality,
    MaxTokenTTL: m.max_token_ttl_ns,
    TokenNameFormat: m.token_name_format,
    DisplayName: m.display_name,
    Default: m.default,
    // Anything but an object is refused by the store's shape check (the whole batch with it).
    Config: config as ACLAuthMethodConfig,
    Hash: m.hash,
    CreateTime: m.create_time,
    ModifyTime: m.modify_time,
    CreateIndex: m.create_index,
    ModifyIndex: m.modify_index,
  };
}

/** A stored binding rule as a `tollgate.v1.BindingRule`. */
export function bindingRuleToWire(r: ACLBindingRule): BindingRule {
  return {
    id: r.ID,
    description: r.Description,
    auth_method: r.AuthMethod,
    selector: r.Selector,
    bind_type: r.BindType,
    bind_name: r.BindName,
    hash: r.Hash,
    create_time: r.CreateTime,
    modify_time: r.ModifyTime,
    create_index: r.CreateIndex,
    modify_index: r.ModifyIndex,
  };
}

/** A received binding rule as the store's `ACLBindingRule` (the store validates its shape). */
export function bindingRuleFromWire(r: BindingRule__Output): ACLBindingRule {
  return {
    ID: r.id,
    Description: r.description,
    AuthMethod: r.auth_method,
    Selector: r.selector,
    BindType: r.bind_type,
    BindName: r.bind_name,
    Hash: r.hash,
    CreateTime: r.create_time,
    ModifyTime: r.modify_time,
    CreateIndex: r.create_index,
    ModifyIndex: r.modify_index,
  };
}
