import { createHash, hash, randomUUID } from 'node:crypto';
import { formatGoDuration, formatGoDurationNs } from '@tollgate/acl';
import type { ACLRole, ACLToken, ACLTokenRoleLink, TokenType } from '@tollgate/state';
import { BadRequestError } from './errors.js';
import { Type } from '@sinclair/typebox';
import { booleanField, durationField, field, requestBody, stringField } from './request-body.js';
import { decodeMeta, durationMs } from './token-lifecycle.js';

/** Nomad's UUID check: hex 8-4-4-4-12, any case, exactly 36 characters. */
export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Longest token name, in Unicode code points (the issue's rule; Nomad counts bytes). */
export const MAX_TOKEN_NAME = 256;
/** Most policies one token may name (Nomad has no bound; 100,000 were accepted before). */
export const MAX_TOKEN_POLICIES = 256;
const NS_PER_MS = 1_000_000;

/** A token write request after type checks, before Nomad's validation. */
export interface TokenRequest {
  AccessorID?: string;
  /** Only read for an upload (both IDs given, no such token yet). */
  SecretID?: string;
  Name: string;
  Type: string;
  Policies: string[];
  /** The `Roles` links as sent (resolved against the roles by the endpoint). */
  RolesRaw: unknown;
  /** The resolved links (set by the endpoint before validation). */
  Roles: ACLTokenRoleLink[];
  Global: boolean;
  /** Milliseconds; 0 = none. */
  ExpirationTTLMs: number;
  /** Given explicitly by the caller (undefined = not given, null = cleared). */
  ExpirationTime: Date | null | undefined;
  /** Lifecycle (token-lifecycle.ts); `undefined` = not given. */
  Meta: Record<string, string> | undefined;
  ExplicitMaxTTLMs: number | undefined;
  PeriodMs: number | undefined;
  Orphan: boolean | undefined;
  Child: boolean | undefined;
}

/** The TTL bounds of the region that applies the write. */
export interface TtlBounds {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * A token body (`POST /v1/acl/token[/:accessor]`); fields in the order
 * their types are checked.
 */
export const TOKEN_BODY = requestBody({
  Policies: field(Type.Array(Type.String()), 'must be a list of strings'),
  Global: booleanField(),
  // Resolved against the stored roles by the endpoint (roles.ts
  // resolveRoleLinks); Nomad's Go client always sends `"Roles":null`.
  Roles: field(Type.Array(Type.Unknown()), 'must be a list of role links'),
  // Nomad's ACLToken.UnmarshalJSON: a Go duration string ("" = none, which
  // the Go client always sends) or a number of nanoseconds.
  ExpirationTTL: durationField(),
  ExpirationTime: field(Type.String(), 'must be an RFC 3339 time'),
  AccessorID: stringField(),
  SecretID: stringField(),
  Orphan: booleanField(),
  Child: booleanField(),
  Name: stringField(),
  Type: stringField(),
  // Checked by decodeMeta (TOLLGATE_TOKEN_META_INVALID, naming the key).
  Meta: Type.Optional(Type.Unknown()),
  ExplicitMaxTTL: durationField(),
  Period: durationField(),
});

/**
 * Decodes a token body (TOKEN_BODY). Unknown fields are ignored, as Nomad's
 * decoder does; a field of the wrong type is a 400 naming the field.
 */
export function decodeTokenRequest(body: unknown): TokenRequest {
  const b = TOKEN_BODY.decode(body);
  const policies = b.Policies ?? [];
  if (policies.length > MAX_TOKEN_POLICIES) {
    throw new BadRequestError(`Request decode failed: Policies: at most ${MAX_TOKEN_POLICIES} policies per token (got ${policies.length})`);
  }
  const ttlMs = durationMs(b.ExpirationTTL, 'ExpirationTTL') ?? 0;
  let expiration: Date | null | undefined;
  if (b.ExpirationTime === null) expiration = null;
  else if (b.ExpirationTime !== undefined) {
    expiration = new Date(b.ExpirationTime);
    if (Number.isNaN(expiration.getTime())) throw TOKEN_BODY.fieldError('ExpirationTime');
  }
  return {
    ...(b.AccessorID ? { AccessorID: b.AccessorID } : {}),
    ...(b.SecretID ? { SecretID: b.SecretID } : {}),
    Name: b.Name ?? '',
    Type: b.Type ?? '',
    Policies: policies,
    RolesRaw: b.Roles,
    Roles: [],
    Global: b.Global === true,
    ExpirationTTLMs: ttlMs,
    ExpirationTime: expiration,
    Meta: decodeMeta(b.Meta),
    ExplicitMaxTTLMs: durationMs(b.ExplicitMaxTTL, 'ExplicitMaxTTL'),
    PeriodMs: durationMs(b.Period, 'Period'),
    Orphan: b.Orphan ?? undefined,
    Child: b.Child ?? undefined,
  };
}

/**
 * Nomad's `ACLToken.Validate` (facts §1): collects every failure and throws
 * one 400 in Nomad's multierror format, prefixed `token 0 invalid: `.
 */
export function validateToken(req: TokenRequest, createTime: Date, bounds: TtlBounds, existing: ACLToken | undefined): void {
  const errs: string[] = [];
  if ([...req.Name].length > MAX_TOKEN_NAME) errs.push('token name too long');
  switch (req.Type) {
    case 'client':
      if (req.Policies.length === 0 && req.Roles.length === 0) errs.push('client token missing policies or roles');
      break;
    case 'management':
      if (req.Policies.length !== 0 || req.Roles.length !== 0) {
        errs.push('management token cannot be associated with policies or roles');
      }
      break;
    default:
      errs.push('token type must be client or management');
  }
  for (const p of req.Policies) {
    if (p.length === 0 || p.length > 128) errs.push(`invalid policy name '${p.slice(0, 140)}'`);
  }
  if (existing === undefined) {
    if (req.ExpirationTTLMs < 0) errs.push(`token expiration TTL '${formatGoDuration(req.ExpirationTTLMs)}' should not be negative`);
    const exp = req.ExpirationTime ?? (req.ExpirationTTLMs > 0 ? new Date(createTime.getTime() + req.ExpirationTTLMs) : null);
    if (exp !== null) {
      const d = exp.getTime() - createTime.getTime();
      if (d < 0) errs.push('expiration time cannot be before create time');
      if (d > bounds.maxMs) {
        errs.push(`expiration time cannot be more than ${formatGoDuration(bounds.maxMs)} in the future (was ${formatGoDuration(d)})`);
      }
      if (d < bounds.minMs) {
        errs.push(`expiration time cannot be less than ${formatGoDuration(bounds.minMs)} in the future (was ${formatGoDuration(d)})`);
      }
    }
  } else {
    if (existing.Global !== req.Global) errs.push('cannot toggle global mode');
    if (Math.round(existing.ExpirationTTL / NS_PER_MS) !== Math.round(req.ExpirationTTLMs)) errs.push('cannot update expiration TTL');
    if (req.ExpirationTime !== undefined) {
      const was = existing.ExpirationTime === null ? null : new Date(existing.ExpirationTime).getTime();
      const now = req.ExpirationTime === null ? null : req.ExpirationTime.getTime();
      if (was !== now) errs.push('cannot update expiration time');
    }
    if (req.ExplicitMaxTTLMs !== undefined && Math.round(req.ExplicitMaxTTLMs) !== Math.round((existing.ExplicitMaxTTL ?? 0) / NS_PER_MS)) {
      errs.push('cannot update explicit max TTL');
    }
    if (req.PeriodMs !== undefined && Math.round(req.PeriodMs) !== Math.round((existing.Period ?? 0) / NS_PER_MS)) errs.push('cannot update period');
  }
  if (errs.length > 0) throw new BadRequestError(`token 0 invalid: ${multiError(errs)}`);
}

/** go-multierror's text: `1 error occurred:\n\t* msg\n\n`. */
export function multiError(errs: readonly string[]): string {
  const head = errs.length === 1 ? '1 error occurred:' : `${errs.length} errors occurred:`;
  return `${head}\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}

/**
 * The token's identity hash over its mutable fields, in Nomad's field order
 * (Name, Type, each policy, each role link's ID, `global`/`local`). Nomad uses blake2b-256, which
 * node:crypto lacks; Tollgate uses SHA-256 on purpose. Replicas copy the hash
 * as it is, so the choice only has to be the same in every Tollgate region.
 */
export function tokenHash(
  t: Pick<ACLToken, 'Name' | 'Type' | 'Global' | 'Meta'> & { Policies: readonly string[] | null; Roles?: readonly ACLTokenRoleLink[] },
): string {
  // The digest of the parts one after the other, as a single one-shot hash
  // (a third of a createHash object's cost, on every token write).
  let text = t.Name + t.Type;
  for (const p of t.Policies ?? []) text += p;
  // Tokens without roles keep the hash they had before roles existed.
  for (const r of t.Roles ?? []) text += r.ID;
  text += t.Global ? 'global' : 'local';
  // Likewise tokens without Meta; keys sorted, each pair framed by its lengths.
  const meta = t.Meta;
  if (meta !== undefined && meta !== null) {
    for (const k of Object.keys(meta).sort()) {
      const v = meta[k] ?? '';
      text += `meta:${k.length}:${k}${v.length}:${v}`;
    }
  }
  // UTF-8 of a lone surrogate differs alone and next to its other half:
  // only then are the parts hashed one by one, as they always were.
  if (LONE_SURROGATE.test(text)) return tokenHashByParts(t);
  return hash('sha256', text, 'base64');
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/;

/** `tokenHash` with one `update` per part: the bytes hashed when a part holds a surrogate. */
function tokenHashByParts(
  t: Pick<ACLToken, 'Name' | 'Type' | 'Global' | 'Meta'> & { Policies: readonly string[] | null; Roles?: readonly ACLTokenRoleLink[] },
): string {
  const h = createHash('sha256');
  h.update(t.Name);
  h.update(t.Type);
  for (const p of t.Policies ?? []) h.update(p);
  for (const r of t.Roles ?? []) h.update(r.ID);
  h.update(t.Global ? 'global' : 'local');
  for (const k of Object.keys(t.Meta ?? {}).sort()) {
    const v = t.Meta?.[k] ?? '';
    h.update(`meta:${k.length}:${k}${v.length}:${v}`);
  }
  return h.digest('base64');
}

/**
 * Builds the token to store from a validated request: fresh IDs for a new
 * token, the stored IDs and create time for an update.
 */
export function buildToken(
  req: TokenRequest,
  now: Date,
  existing: ACLToken | undefined,
  ids?: { readonly AccessorID: string; readonly SecretID: string },
  lineage?: { readonly ParentAccessorID: string; readonly Orphan: boolean },
): ACLToken {
  const type = req.Type as TokenType;
  const policies = type === 'management' ? null : [...req.Policies];
  let expiration: string | null;
  if (existing !== undefined) {
    expiration = req.ExpirationTime === undefined ? existing.ExpirationTime : req.ExpirationTime?.toISOString() ?? null;
  } else if (req.ExpirationTime !== undefined) {
    expiration = req.ExpirationTime?.toISOString() ?? null;
  } else {
    expiration = req.ExpirationTTLMs > 0 ? new Date(now.getTime() + req.ExpirationTTLMs).toISOString() : null;
  }
  const roles = type === 'management' ? [] : req.Roles;
  // An update keeps the lineage and lease shape; Meta is kept unless given.
  const meta = req.Meta ?? existing?.Meta ?? {};
  const parent = existing === undefined ? lineage?.ParentAccessorID ?? '' : existing.ParentAccessorID ?? '';
  const orphan = existing === undefined ? lineage?.Orphan === true : existing.Orphan === true;
  const explicitMax = existing === undefined ? Math.round((req.ExplicitMaxTTLMs ?? 0) * NS_PER_MS) : existing.ExplicitMaxTTL ?? 0;
  const period = existing === undefined ? Math.round((req.PeriodMs ?? 0) * NS_PER_MS) : existing.Period ?? 0;
  // Built field by field (optional ones only when set), without spreads of
  // temporary objects: this runs once per token write.
  const token: { -readonly [K in keyof ACLToken]: ACLToken[K] } = {
    AccessorID: existing?.AccessorID ?? ids?.AccessorID ?? randomUUID(),
    SecretID: existing?.SecretID ?? ids?.SecretID ?? randomUUID(),
    Name: req.Name,
    Type: type,
    Policies: policies,
    Global: req.Global,
  } as ACLToken;
  if (roles.length > 0) token.Roles = roles;
  token.Hash = tokenHash({ Name: req.Name, Type: type, Policies: policies, Global: req.Global, Roles: roles, Meta: meta });
  token.CreateTime = existing?.CreateTime ?? now.toISOString();
  token.ExpirationTime = expiration;
  token.ExpirationTTL = Math.round(req.ExpirationTTLMs * NS_PER_MS);
  token.CreateIndex = existing?.CreateIndex ?? 0;
  token.ModifyIndex = existing?.ModifyIndex ?? 0;
  if (parent !== '') token.ParentAccessorID = parent;
  if (orphan) token.Orphan = true;
  if (Object.keys(meta).length > 0) token.Meta = meta;
  if (explicitMax > 0) token.ExplicitMaxTTL = explicitMax;
  if (period > 0) token.Period = period;
  return token;
}

/** The bootstrap token (facts §5): management, global, named `Bootstrap Token`. */
export function bootstrapToken(now: Date, secretId?: string): ACLToken {
  const base = { Name: 'Bootstrap Token', Type: 'management' as const, Policies: null, Global: true };
  return {
    AccessorID: randomUUID(),
    SecretID: secretId ?? randomUUID(),
    ...base,
    Hash: tokenHash(base),
    CreateTime: now.toISOString(),
    ExpirationTime: null,
    ExpirationTTL: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/** The in-memory anonymous token used for requests without a token (facts §1). */
export const ANONYMOUS_TOKEN: ACLToken = Object.freeze({
  AccessorID: 'anonymous',
  SecretID: 'anonymous',
  Name: 'Anonymous Token',
  Type: 'client',
  Policies: Object.freeze(['anonymous']),
  Global: false,
  Hash: tokenHash({ Name: 'Anonymous Token', Type: 'client', Policies: ['anonymous'], Global: false }),
  CreateTime: '0001-01-01T00:00:00Z',
  ExpirationTime: null,
  ExpirationTTL: 0,
  CreateIndex: 0,
  ModifyIndex: 0,
});

/** A role link on a token (`{"ID","Name"}`); `Roles: null` when none, as Nomad shows. */
export type TokenRoleLink = ACLTokenRoleLink;

/** Reads a role by ID, to show a token's links as they are now. */
export type RoleById = (id: string) => ACLRole | undefined;

/**
 * A token's role links as the API shows them (Nomad's `fixTokenRoleLinks`):
 * links to deleted roles are dropped, renamed roles show their current
 * name; `null` when none is left.
 */
export function currentRoleLinks(token: ACLToken, roleById: RoleById): readonly ACLTokenRoleLink[] | null {
  const stored = token.Roles;
  if (stored === undefined || stored === null || stored.length === 0) return null;
  const out: ACLTokenRoleLink[] = [];
  let changed = false;
  for (const link of stored) {
    const role = roleById(link.ID);
    if (role === undefined) changed = true;
    else if (role.Name !== link.Name) {
      changed = true;
      out.push({ ID: link.ID, Name: role.Name });
    } else out.push(link);
  }
  if (!changed) return stored;
  return out.length === 0 ? null : out;
}

/**
 * A token as the API returns it, in Nomad's field order. `ExpirationTTL`
 * is a Go duration string (`""` when none, else e.g. `"1h0m0s"`), which
 * Nomad's Go client decodes.
 */
export interface TokenView {
  readonly AccessorID: string;
  readonly SecretID: string;
  readonly Name: string;
  readonly Type: TokenType;
  readonly Policies: readonly string[] | null;
  readonly Roles: readonly TokenRoleLink[] | null;
  readonly Global: boolean;
  readonly Hash: string;
  readonly CreateTime: string;
  readonly ExpirationTime: string | null;
  readonly ExpirationTTL: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  /** Tollgate (issue 13), always present: `""` = no parent. */
  readonly ParentAccessorID: string;
  /** Not revoked with a parent: true for orphans and for tokens without a parent. */
  readonly Orphan: boolean;
  /** `{}` when none. */
  readonly Meta: Readonly<Record<string, string>>;
  /** Go duration strings, `""` = none (as `ExpirationTTL`). */
  readonly ExplicitMaxTTL: string;
  readonly Period: string;
}

/** A list entry: never the secret, no TTLs (Nomad's ACLTokenListStub, plus the lineage and Meta). */
export type TokenStub = Omit<TokenView, 'SecretID' | 'ExpirationTTL' | 'ExplicitMaxTTL' | 'Period'>;

const NO_META: Readonly<Record<string, string>> = Object.freeze({});

/** A stored TTL (integer nanoseconds) as Nomad's JSON shows it. */
export function ttlText(ns: number): string {
  return ns === 0 ? '' : formatGoDurationNs(Math.round(ns));
}

/**
 * The index a token's answer reflects (blocking reads and `X-Nomad-Index`):
 * its ModifyIndex, or a later change to a role it links, since the answer
 * shows each linked role's current name — that role's ModifyIndex (a
 * rename), or for a linked role that is gone, `roleTableIndex` (the role
 * table's index: no per-role deletion index is kept, and that one is at or
 * after the deletion). O(links). Nomad answers the token's ModifyIndex
 * alone, so its blocking read misses role renames and deletions.
 */
export function tokenViewIndex(t: ACLToken, roleById: RoleById, roleTableIndex: number): number {
  let index = t.ModifyIndex;
  for (const link of t.Roles ?? []) index = Math.max(index, roleById(link.ID)?.ModifyIndex ?? roleTableIndex);
  return index;
}

/** A token as returned to the API: everything but internal fields; role links as they are now. */
export function tokenView(t: ACLToken, roleById: RoleById): TokenView {
  return {
    AccessorID: t.AccessorID,
    SecretID: t.SecretID,
    Name: t.Name,
    Type: t.Type,
    Policies: t.Policies,
    Roles: currentRoleLinks(t, roleById),
    Global: t.Global,
    Hash: t.Hash,
    CreateTime: t.CreateTime,
    ExpirationTime: t.ExpirationTime,
    ExpirationTTL: ttlText(t.ExpirationTTL),
    CreateIndex: t.CreateIndex,
    ModifyIndex: t.ModifyIndex,
    ParentAccessorID: t.ParentAccessorID ?? '',
    Orphan: t.Orphan === true || (t.ParentAccessorID ?? '') === '',
    Meta: t.Meta ?? NO_META,
    ExplicitMaxTTL: ttlText(t.ExplicitMaxTTL ?? 0),
    Period: ttlText(t.Period ?? 0),
  };
}

/** A list entry: never the secret. */
export function tokenStub(t: ACLToken, roleById: RoleById): TokenStub {
  return {
    AccessorID: t.AccessorID,
    Name: t.Name,
    Type: t.Type,
    Policies: t.Policies,
    Roles: currentRoleLinks(t, roleById),
    Global: t.Global,
    Hash: t.Hash,
    CreateTime: t.CreateTime,
    ExpirationTime: t.ExpirationTime,
    CreateIndex: t.CreateIndex,
    ModifyIndex: t.ModifyIndex,
    ParentAccessorID: t.ParentAccessorID ?? '',
    Orphan: t.Orphan === true || (t.ParentAccessorID ?? '') === '',
    Meta: t.Meta ?? NO_META,
  };
}
