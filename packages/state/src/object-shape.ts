import { InvalidArgumentError, ValueTooLargeError } from './errors.js';
import { canonicalJson } from './record-mac.js';
import type {
  ACLAuthMethod,
  ACLAuthMethodConfig,
  ACLBindingRule,
  ACLPolicy,
  ACLRole,
  ACLRolePolicyLink,
  ACLToken,
  ACLTokenRoleLink,
  JobACL,
} from './types.js';

/** Largest JSON encoding of one stored object, in bytes (1 MiB). */
export const MAX_OBJECT_BYTES = 1024 * 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, field: string, nonEmpty = false): string {
  const v = o[key];
  if (typeof v !== 'string' || (nonEmpty && v.length === 0)) {
    throw new InvalidArgumentError(`${field}.${key} must be a ${nonEmpty ? 'non-empty ' : ''}string`);
  }
  return v;
}

function index(o: Record<string, unknown>, key: string, field: string): number {
  const v = o[key];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError(`${field}.${key} must be a non-negative integer`);
  }
  return v;
}

/**
 * Checks that `value` has the shape of an `ACLToken` and returns a normalized,
 * frozen copy (fields in Nomad's order; unknown fields dropped; indexes as
 * given, the caller overrides them). Nomad-level rules (name length, TTL
 * bounds, policy presence) belong to the server; the store only refuses what
 * would corrupt its indexes.
 * @param field how the error message names the value, e.g. `tokens[2]`.
 */
export function checkToken(value: unknown, field: string): ACLToken {
  if (!isRecord(value)) throw new InvalidArgumentError(`${field} must be an object`);
  const type = value['Type'];
  if (type !== 'client' && type !== 'management') {
    throw new InvalidArgumentError(`${field}.Type must be "client" or "management"`);
  }
  const policies = value['Policies'];
  if (policies !== null && !(Array.isArray(policies) && policies.every((p) => typeof p === 'string'))) {
    throw new InvalidArgumentError(`${field}.Policies must be an array of strings or null`);
  }
  if (typeof value['Global'] !== 'boolean') {
    throw new InvalidArgumentError(`${field}.Global must be a boolean`);
  }
  const expiration = value['ExpirationTime'] ?? null;
  if (expiration !== null && (typeof expiration !== 'string' || Number.isNaN(Date.parse(expiration)))) {
    throw new InvalidArgumentError(`${field}.ExpirationTime must be an RFC 3339 time or null`);
  }
  const ttl = value['ExpirationTTL'] ?? 0;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) {
    throw new InvalidArgumentError(`${field}.ExpirationTTL must be a number (nanoseconds)`);
  }
  const roles = checkRoleLinks(value['Roles'], `${field}.Roles`);
  const sourceIndex = index(value, 'SourceIndex', field);
  const parent = value['ParentAccessorID'] ?? '';
  if (typeof parent !== 'string') throw new InvalidArgumentError(`${field}.ParentAccessorID must be a string`);
  const orphan = value['Orphan'] ?? false;
  if (typeof orphan !== 'boolean') throw new InvalidArgumentError(`${field}.Orphan must be a boolean`);
  const meta = checkMeta(value['Meta'], `${field}.Meta`);
  return makeToken({
    AccessorID: str(value, 'AccessorID', field, true),
    SecretID: str(value, 'SecretID', field, true),
    Name: str(value, 'Name', field),
    Type: type,
    Policies: policies as readonly string[] | null,
    ...(roles === null ? {} : { Roles: roles }),
    Global: value['Global'],
    Hash: str(value, 'Hash', field),
    CreateTime: str(value, 'CreateTime', field),
    ExpirationTime: expiration as string | null,
    ExpirationTTL: ttl,
    CreateIndex: index(value, 'CreateIndex', field),
    ModifyIndex: index(value, 'ModifyIndex', field),
    ...(sourceIndex > 0 ? { SourceIndex: sourceIndex } : {}),
    ParentAccessorID: parent,
    Orphan: orphan,
    ...(meta === null ? {} : { Meta: meta }),
    ExplicitMaxTTL: nanos(value, 'ExplicitMaxTTL', field),
    Period: nanos(value, 'Period', field),
  });
}

/** A token's Meta: absent, `null` and `{}` all mean none; values must be strings. */
function checkMeta(value: unknown, field: string): Readonly<Record<string, string>> | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw new InvalidArgumentError(`${field} must be an object of strings`);
  const keys = Object.keys(value);
  if (keys.length === 0) return null;
  for (const k of keys) {
    if (typeof value[k] !== 'string') throw new InvalidArgumentError(`${field}.${k} must be a string`);
  }
  return value as Record<string, string>;
}

/** Same as `checkToken`, for policies. */
export function checkPolicy(value: unknown, field: string): ACLPolicy {
  if (!isRecord(value)) throw new InvalidArgumentError(`${field} must be an object`);
  const sourceIndex = index(value, 'SourceIndex', field);
  const jobACL = checkJobACL(value['JobACL'], `${field}.JobACL`);
  return makePolicy({
    Name: str(value, 'Name', field, true),
    Description: str(value, 'Description', field),
    Rules: str(value, 'Rules', field),
    ...(jobACL === null ? {} : { JobACL: jobACL }),
    Hash: str(value, 'Hash', field),
    CreateIndex: index(value, 'CreateIndex', field),
    ModifyIndex: index(value, 'ModifyIndex', field),
    ...(sourceIndex > 0 ? { SourceIndex: sourceIndex } : {}),
  });
}

/** A token's role links: absent, `null` and `[]` all mean none. */
function checkRoleLinks(value: unknown, field: string): readonly ACLTokenRoleLink[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${field} must be an array or null`);
  if (value.length === 0) return null;
  return value.map((l: unknown, i) => {
    if (!isRecord(l)) throw new InvalidArgumentError(`${field}[${i}] must be an object`);
    return { ID: str(l, 'ID', `${field}[${i}]`, true), Name: str(l, 'Name', `${field}[${i}]`) };
  });
}

/** Same as `checkToken`, for roles (the server checks Nomad's name rules). */
export function checkRole(value: unknown, field: string): ACLRole {
  if (!isRecord(value)) throw new InvalidArgumentError(`${field} must be an object`);
  const policies = value['Policies'];
  if (!Array.isArray(policies) || policies.length === 0) {
    throw new InvalidArgumentError(`${field}.Policies must be a non-empty array`);
  }
  const links: ACLRolePolicyLink[] = policies.map((l: unknown, i) => {
    if (!isRecord(l)) throw new InvalidArgumentError(`${field}.Policies[${i}] must be an object`);
    return { Name: str(l, 'Name', `${field}.Policies[${i}]`, true) };
  });
  const sourceIndex = index(value, 'SourceIndex', field);
  return makeRole({
    ID: str(value, 'ID', field, true),
    Name: str(value, 'Name', field, true),
    Description: str(value, 'Description', field),
    Policies: links,
    Hash: str(value, 'Hash', field),
    CreateIndex: index(value, 'CreateIndex', field),
    ModifyIndex: index(value, 'ModifyIndex', field),
    ...(sourceIndex > 0 ? { SourceIndex: sourceIndex } : {}),
  });
}

/** Builds the frozen role object the store keeps (Nomad's field order). */
export function makeRole(r: ACLRole): ACLRole {
  const role: ACLRole = {
    ID: r.ID,
    Name: r.Name,
    Description: r.Description,
    Policies: Object.freeze(r.Policies.map((l) => Object.freeze({ Name: l.Name }))),
    Hash: r.Hash,
    CreateIndex: r.CreateIndex,
    ModifyIndex: r.ModifyIndex,
    ...(r.SourceIndex !== undefined && r.SourceIndex > 0 ? { SourceIndex: r.SourceIndex } : {}),
  };
  return Object.freeze(role);
}

/** True when two roles are equal in everything but their region indexes. */
export function sameRole(a: ACLRole, b: ACLRole): boolean {
  return (
    a.ID === b.ID &&
    a.Name === b.Name &&
    a.Description === b.Description &&
    a.Hash === b.Hash &&
    a.Policies.length === b.Policies.length &&
    a.Policies.every((l, i) => l.Name === b.Policies[i]?.Name)
  );
}

/** A policy's JobACL: absent and `null` both mean none. */
function checkJobACL(value: unknown, field: string): JobACL | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw new InvalidArgumentError(`${field} must be an object or null`);
  return {
    Namespace: str(value, 'Namespace', field),
    JobID: str(value, 'JobID', field),
    Group: str(value, 'Group', field),
    Task: str(value, 'Task', field),
  };
}

/**
 * Builds the frozen token object the store keeps. Field order is fixed so the
 * JSON the HTTP layer returns is stable; `SourceIndex` is present only for
 * replicated copies.
 */
export function makeToken(t: ACLToken): ACLToken {
  const token: ACLToken = {
    AccessorID: t.AccessorID,
    SecretID: t.SecretID,
    Name: t.Name,
    Type: t.Type,
    Policies: t.Policies === null ? null : Object.freeze([...t.Policies]),
    // Only when linked, so tokens without roles keep their stored shape.
    ...(t.Roles !== undefined && t.Roles !== null && t.Roles.length > 0
      ? { Roles: Object.freeze(t.Roles.map((l) => Object.freeze({ ID: l.ID, Name: l.Name }))) }
      : {}),
    Global: t.Global,
    Hash: t.Hash,
    CreateTime: t.CreateTime,
    ExpirationTime: t.ExpirationTime,
    ExpirationTTL: t.ExpirationTTL,
    CreateIndex: t.CreateIndex,
    ModifyIndex: t.ModifyIndex,
    ...(t.SourceIndex !== undefined && t.SourceIndex > 0 ? { SourceIndex: t.SourceIndex } : {}),
    // Lifecycle fields only when set, so older records keep their shape and MAC.
    ...(t.ParentAccessorID !== undefined && t.ParentAccessorID !== '' ? { ParentAccessorID: t.ParentAccessorID } : {}),
    ...(t.Orphan === true ? { Orphan: true } : {}),
    ...(t.Meta !== undefined && t.Meta !== null && Object.keys(t.Meta).length > 0 ? { Meta: freezeMeta(t.Meta) } : {}),
    ...(t.ExplicitMaxTTL !== undefined && t.ExplicitMaxTTL > 0 ? { ExplicitMaxTTL: t.ExplicitMaxTTL } : {}),
    ...(t.Period !== undefined && t.Period > 0 ? { Period: t.Period } : {}),
  };
  return Object.freeze(token);
}

/** A frozen copy of a Meta map with sorted keys (stable JSON, stable comparisons). */
function freezeMeta(meta: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  // fromEntries defines own properties, so a key such as `__proto__` stays data.
  return Object.freeze(Object.fromEntries(Object.keys(meta).sort().map((k) => [k, meta[k] as string])));
}

/**
 * Whether `t` is revoked with the token named `parent`: it names it as its
 * parent and is not an orphan.
 */
export function isChildOf(t: ACLToken, parent: string): boolean {
  return t.ParentAccessorID === parent && t.Orphan !== true;
}

/** Builds the frozen policy object the store keeps. */
export function makePolicy(p: ACLPolicy): ACLPolicy {
  const policy: ACLPolicy = {
    Name: p.Name,
    Description: p.Description,
    Rules: p.Rules,
    // Only when set, so policies without one keep their stored shape.
    ...(p.JobACL !== undefined && p.JobACL !== null ? { JobACL: Object.freeze({ ...p.JobACL }) } : {}),
    Hash: p.Hash,
    CreateIndex: p.CreateIndex,
    ModifyIndex: p.ModifyIndex,
    ...(p.SourceIndex !== undefined && p.SourceIndex > 0 ? { SourceIndex: p.SourceIndex } : {}),
  };
  return Object.freeze(policy);
}

/**
 * Refuses an object whose JSON exceeds `MAX_OBJECT_BYTES`. `what` names it
 * publicly (`token <accessor>`, `policy <name>`), never by secret.
 */
export function assertObjectSize(obj: ACLToken | ACLPolicy | ACLRole | ACLAuthMethod | ACLBindingRule, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(obj), 'utf8');
  if (bytes > MAX_OBJECT_BYTES) {
    throw new ValueTooLargeError(`${what} is too large: ${bytes} bytes (limit ${MAX_OBJECT_BYTES})`);
  }
}

/** True when two tokens are equal in everything but their region indexes. */
export function sameToken(a: ACLToken, b: ACLToken): boolean {
  return (
    a.AccessorID === b.AccessorID &&
    a.SecretID === b.SecretID &&
    a.Name === b.Name &&
    a.Type === b.Type &&
    samePolicies(a.Policies, b.Policies) &&
    sameRoleLinks(a.Roles ?? null, b.Roles ?? null) &&
    a.Global === b.Global &&
    a.Hash === b.Hash &&
    a.CreateTime === b.CreateTime &&
    a.ExpirationTime === b.ExpirationTime &&
    a.ExpirationTTL === b.ExpirationTTL &&
    (a.ParentAccessorID ?? '') === (b.ParentAccessorID ?? '') &&
    (a.Orphan === true) === (b.Orphan === true) &&
    sameMeta(a.Meta, b.Meta) &&
    (a.ExplicitMaxTTL ?? 0) === (b.ExplicitMaxTTL ?? 0) &&
    (a.Period ?? 0) === (b.Period ?? 0)
  );
}

function sameMeta(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(b ?? {}, k) && a?.[k] === b?.[k]);
}

/** True when two policies are equal in everything but their region indexes. */
export function samePolicy(a: ACLPolicy, b: ACLPolicy): boolean {
  return (
    a.Name === b.Name &&
    a.Description === b.Description &&
    a.Rules === b.Rules &&
    sameJobACL(a.JobACL ?? null, b.JobACL ?? null) &&
    a.Hash === b.Hash
  );
}

function sameJobACL(a: JobACL | null, b: JobACL | null): boolean {
  if (a === null || b === null) return a === b;
  return a.Namespace === b.Namespace && a.JobID === b.JobID && a.Group === b.Group && a.Task === b.Task;
}

function samePolicies(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

function sameRoleLinks(a: readonly ACLTokenRoleLink[] | null, b: readonly ACLTokenRoleLink[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((l, i) => l.ID === b[i]?.ID && l.Name === b[i]?.Name);
}

function strList(o: Record<string, unknown>, key: string, field: string): readonly string[] {
  const v = o[key];
  if (v === undefined || v === null) return Object.freeze([]);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new InvalidArgumentError(`${field}.${key} must be an array of strings`);
  }
  return Object.freeze([...(v as string[])]);
}

function strMap(o: Record<string, unknown>, key: string, field: string): Readonly<Record<string, string>> {
  const v = o[key];
  if (v === undefined || v === null) return Object.freeze({});
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new InvalidArgumentError(`${field}.${key} must be an object of strings`);
  }
  // Sorted keys: a stable shape whatever order the writer used.
  const out: Record<string, string> = {};
  for (const k of Object.keys(v).sort()) out[k] = v[k] as string;
  return Object.freeze(out);
}

function optStr(o: Record<string, unknown>, key: string, field: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InvalidArgumentError(`${field}.${key} must be a string`);
  return v;
}

/** A duration in nanoseconds: absent or null = 0. */
function nanos(o: Record<string, unknown>, key: string, field: string): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError(`${field}.${key} must be a non-negative integer (nanoseconds)`);
  }
  return v;
}

/** Checks an auth method's `Config` and returns a normalized, frozen copy (every field present). */
export function checkAuthMethodConfig(value: unknown, field: string): ACLAuthMethodConfig {
  const c = value === undefined || value === null ? {} : value;
  if (!isRecord(c)) throw new InvalidArgumentError(`${field} must be an object`);
  const disable = c['OIDCDisableUserInfo'] ?? false;
  if (typeof disable !== 'boolean') throw new InvalidArgumentError(`${field}.OIDCDisableUserInfo must be a boolean`);
  return Object.freeze({
    JWTValidationPubKeys: strList(c, 'JWTValidationPubKeys', field),
    JWKSURL: optStr(c, 'JWKSURL', field),
    JWKSCACert: optStr(c, 'JWKSCACert', field),
    OIDCDiscoveryURL: optStr(c, 'OIDCDiscoveryURL', field),
    OIDCClientID: optStr(c, 'OIDCClientID', field),
    OIDCClientSecret: optStr(c, 'OIDCClientSecret', field),
    OIDCScopes: strList(c, 'OIDCScopes', field),
    OIDCDisableUserInfo: disable,
    BoundAudiences: strList(c, 'BoundAudiences', field),
    BoundIssuer: strList(c, 'BoundIssuer', field),
    AllowedRedirectURIs: strList(c, 'AllowedRedirectURIs', field),
    DiscoveryCaPem: strList(c, 'DiscoveryCaPem', field),
    SigningAlgs: strList(c, 'SigningAlgs', field),
    ExpirationLeeway: nanos(c, 'ExpirationLeeway', field),
    NotBeforeLeeway: nanos(c, 'NotBeforeLeeway', field),
    ClockSkewLeeway: nanos(c, 'ClockSkewLeeway', field),
    ClaimMappings: strMap(c, 'ClaimMappings', field),
    ListClaimMappings: strMap(c, 'ListClaimMappings', field),
  });
}

/**
 * Same as `checkToken`, for auth methods: the shape only (the server checks
 * Nomad's rules: name, type, locality, TTL bounds, config per type).
 */
export function checkAuthMethod(value: unknown, field: string): ACLAuthMethod {
  if (!isRecord(value)) throw new InvalidArgumentError(`${field} must be an object`);
  if (typeof value['Default'] !== 'boolean') throw new InvalidArgumentError(`${field}.Default must be a boolean`);
  const sourceIndex = index(value, 'SourceIndex', field);
  return makeAuthMethod({
    Name: str(value, 'Name', field, true),
    Type: str(value, 'Type', field, true),
    TokenLocality: str(value, 'TokenLocality', field),
    MaxTokenTTL: nanos(value, 'MaxTokenTTL', field),
    TokenNameFormat: optStr(value, 'TokenNameFormat', field),
    DisplayName: optStr(value, 'DisplayName', field),
    Default: value['Default'],
    Config: checkAuthMethodConfig(value['Config'], `${field}.Config`),
    Hash: str(value, 'Hash', field),
    CreateTime: str(value, 'CreateTime', field),
    ModifyTime: str(value, 'ModifyTime', field),
    CreateIndex: index(value, 'CreateIndex', field),
    ModifyIndex: index(value, 'ModifyIndex', field),
    ...(sourceIndex > 0 ? { SourceIndex: sourceIndex } : {}),
  });
}

/** Builds the frozen auth method the store keeps (Nomad's field order). */
export function makeAuthMethod(m: ACLAuthMethod): ACLAuthMethod {
  return Object.freeze({
    Name: m.Name,
    Type: m.Type,
    TokenLocality: m.TokenLocality,
    MaxTokenTTL: m.MaxTokenTTL,
    TokenNameFormat: m.TokenNameFormat,
    DisplayName: m.DisplayName,
    Default: m.Default,
    Config: checkAuthMethodConfig(m.Config, 'Config'),
    Hash: m.Hash,
    CreateTime: m.CreateTime,
    ModifyTime: m.ModifyTime,
    CreateIndex: m.CreateIndex,
    ModifyIndex: m.ModifyIndex,
    ...(m.SourceIndex !== undefined && m.SourceIndex > 0 ? { SourceIndex: m.SourceIndex } : {}),
  });
}

/** True when two auth methods are equal in everything but their region indexes (the client secret included). */
export function sameAuthMethod(a: ACLAuthMethod, b: ACLAuthMethod): boolean {
  const strip = ({ CreateIndex: _c, ModifyIndex: _m, SourceIndex: _s, ...rest }: ACLAuthMethod): unknown => rest;
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** Same as `checkToken`, for binding rules (the server checks Nomad's rules). */
export function checkBindingRule(value: unknown, field: string): ACLBindingRule {
  if (!isRecord(value)) throw new InvalidArgumentError(`${field} must be an object`);
  const sourceIndex = index(value, 'SourceIndex', field);
  return makeBindingRule({
    ID: str(value, 'ID', field, true),
    Description: optStr(value, 'Description', field),
    AuthMethod: str(value, 'AuthMethod', field, true),
    Selector: optStr(value, 'Selector', field),
    BindType: str(value, 'BindType', field, true),
    BindName: optStr(value, 'BindName', field),
    Hash: str(value, 'Hash', field),
    CreateTime: str(value, 'CreateTime', field),
    ModifyTime: str(value, 'ModifyTime', field),
    CreateIndex: index(value, 'CreateIndex', field),
    ModifyIndex: index(value, 'ModifyIndex', field),
    ...(sourceIndex > 0 ? { SourceIndex: sourceIndex } : {}),
  });
}

/** Builds the frozen binding rule the store keeps (Nomad's field order). */
export function makeBindingRule(r: ACLBindingRule): ACLBindingRule {
  return Object.freeze({
    ID: r.ID,
    Description: r.Description,
    AuthMethod: r.AuthMethod,
    Selector: r.Selector,
    BindType: r.BindType,
    BindName: r.BindName,
    Hash: r.Hash,
    CreateTime: r.CreateTime,
    ModifyTime: r.ModifyTime,
    CreateIndex: r.CreateIndex,
    ModifyIndex: r.ModifyIndex,
    ...(r.SourceIndex !== undefined && r.SourceIndex > 0 ? { SourceIndex: r.SourceIndex } : {}),
  });
}

/** True when two binding rules are equal in everything but their region indexes. */
export function sameBindingRule(a: ACLBindingRule, b: ACLBindingRule): boolean {
  return (
    a.ID === b.ID &&
    a.Description === b.Description &&
    a.AuthMethod === b.AuthMethod &&
    a.Selector === b.Selector &&
    a.BindType === b.BindType &&
    a.BindName === b.BindName &&
    a.Hash === b.Hash &&
    a.CreateTime === b.CreateTime &&
    a.ModifyTime === b.ModifyTime
  );
}
