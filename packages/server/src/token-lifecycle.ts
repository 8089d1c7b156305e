import { formatGoDuration, parseGoDuration } from '@tollgate/acl';
import type { ACLToken } from '@tollgate/state';
import { BadRequestError, PermissionDeniedError, TokenExpiredError, TokenMetaError, TokenNotRenewableError } from './errors.js';

/**
 * The token lifecycle of issue 13 (the tokens concept page, Vault's model on
 * Nomad's tokens): leases and their renewal, parents and children, orphans,
 * and `Meta`. Pure functions; the endpoint (acl-endpoint.ts) applies them
 * and the state store revokes trees (mutation-planner.ts).
 *
 * Rules, in one place:
 * - A lease is `ExpirationTime`. A new client token without one gets
 *   `acl.default_token_ttl` (0 = none). `Period` gives a periodic lease
 *   (now + Period); `ExplicitMaxTTL` with no other lease gives
 *   min(ExplicitMaxTTL, max TTL). Every lease lies within the min/max TTLs.
 * - Renewal: now + increment (default: `Period` for a periodic token, else
 *   the token's TTL: `ExpirationTTL`, or its first lease), capped at
 *   CreateTime + ExplicitMaxTTL, at now + max TTL (not for periodic tokens),
 *   and at the parent's expiry (children only). A renewal never shortens a
 *   lease, so a child can never outlive its parent.
 * - A token is its creator's child unless it is an orphan: `Orphan` (only
 *   management may ask), or `acl.child_tokens = false` without `Child`.
 */

const NS_PER_MS = 1_000_000;
/** The longest Go duration, in ms (2^63 - 1 ns). */
const MAX_DURATION_MS = 9_223_372_036_854;

/** Most `Meta` keys per token. */
export const MAX_META_KEYS = 64;
/** Longest `Meta` key, in UTF-8 bytes. */
export const MAX_META_KEY_BYTES = 128;
/** Longest `Meta` value, in UTF-8 bytes. */
export const MAX_META_VALUE_BYTES = 512;

/**
 * The value of a duration field of a request body (`durationField()`:
 * `"1h30m"`, `""` = 0, or nanoseconds, as Nomad's `ExpirationTTL`), in ms;
 * `undefined` when absent or null. A bad duration text or one past Go's
 * int64 nanoseconds is a 400 naming `key`.
 */
export function durationMs(v: string | number | null | undefined, key: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  let ms: number;
  if (v === '') ms = 0;
  else if (typeof v === 'string') {
    try {
      ms = parseGoDuration(v);
    } catch {
      throw new BadRequestError(`Request decode failed: ${key}: invalid duration "${v.slice(0, 64)}"`);
    }
  } else ms = v / NS_PER_MS;
  // Go's time.Duration is an int64 of nanoseconds (about 292 years).
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DURATION_MS) throw new BadRequestError(`Request decode failed: ${key} is out of range`);
  return ms;
}

/**
 * A request's `Meta`: `undefined` when absent (an update keeps the stored
 * one), `{}` for `null` or `{}` (cleared). Every bound is a 400
 * `TOLLGATE_TOKEN_META_INVALID` naming the key.
 */
export function decodeMeta(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new TokenMetaError('Meta must be an object of string values');
  const keys = Object.keys(v);
  if (keys.length > MAX_META_KEYS) throw new TokenMetaError(`Meta has ${keys.length} keys; at most ${MAX_META_KEYS} are allowed`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const shown = JSON.stringify(k.slice(0, 64));
    if (k.length === 0) throw new TokenMetaError('Meta keys must not be empty');
    if (Buffer.byteLength(k, 'utf8') > MAX_META_KEY_BYTES) {
      throw new TokenMetaError(`Meta key ${shown}… is ${Buffer.byteLength(k, 'utf8')} bytes; at most ${MAX_META_KEY_BYTES} are allowed`);
    }
    const value = (v as Record<string, unknown>)[k];
    if (typeof value !== 'string') throw new TokenMetaError(`Meta[${shown}] must be a string`);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_META_VALUE_BYTES) throw new TokenMetaError(`Meta[${shown}] is ${bytes} bytes; at most ${MAX_META_VALUE_BYTES} are allowed`);
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The lineage a new token gets. */
export interface Lineage {
  readonly ParentAccessorID: string;
  readonly Orphan: boolean;
}

/**
 * Parent and orphan flag of a token created by `caller`: the caller is the
 * parent (none for the anonymous token); an orphan when it asks for
 * `Orphan` (management only: 403 otherwise) or when `childTokens` is off
 * and it does not ask for `Child`.
 */
export function lineageFor(
  req: { readonly Orphan?: boolean | undefined; readonly Child?: boolean | undefined },
  caller: { readonly token: ACLToken; readonly isManagement: boolean },
  childTokens: boolean,
): Lineage {
  if (req.Orphan === true && req.Child === true) throw new BadRequestError('Orphan and Child cannot both be true');
  if (req.Orphan === true && !caller.isManagement) {
    throw new PermissionDeniedError('Permission denied: only a management token may create an orphan token');
  }
  const parent = caller.token.AccessorID === 'anonymous' ? '' : caller.token.AccessorID;
  const orphan = req.Orphan === true ? true : req.Child === true ? false : !childTokens;
  return { ParentAccessorID: parent, Orphan: parent === '' ? false : orphan };
}

/** TTL bounds and the lease config of the region applying the write. */
export interface LeaseConfig {
  readonly minMs: number;
  readonly maxMs: number;
  /** `acl.default_token_ttl`; 0 = none. */
  readonly defaultTtlMs: number;
}

/** The lease fields of a create request, in ms. */
export interface LeaseRequest {
  readonly type: string;
  readonly ttlMs: number;
  readonly expirationTime: Date | null | undefined;
  readonly explicitMaxTtlMs: number | undefined;
  readonly periodMs: number | undefined;
}

/**
 * The `ExpirationTTL` a new token is validated and built with: as given,
 * else its Period, else min(ExplicitMaxTTL, max TTL), else (client tokens)
 * the default TTL. Checks ExplicitMaxTTL and Period against the bounds.
 */
export function initialTtlMs(req: LeaseRequest, cfg: LeaseConfig): number {
  const errs: string[] = [];
  const period = req.periodMs ?? 0;
  const explicitMax = req.explicitMaxTtlMs ?? 0;
  if (period < 0) errs.push('period should not be negative');
  if (explicitMax < 0) errs.push('explicit max TTL should not be negative');
  if (period > 0 && (req.ttlMs !== 0 || (req.expirationTime ?? null) !== null)) {
    errs.push('a periodic token takes its lease from Period: do not give ExpirationTTL or ExpirationTime too');
  }
  if (period > 0 && (period < cfg.minMs || period > cfg.maxMs)) {
    errs.push(`period must lie between ${formatGoDuration(cfg.minMs)} and ${formatGoDuration(cfg.maxMs)} (was ${formatGoDuration(period)})`);
  }
  if (explicitMax > 0 && explicitMax < cfg.minMs) {
    errs.push(`explicit max TTL cannot be less than ${formatGoDuration(cfg.minMs)} (was ${formatGoDuration(explicitMax)})`);
  }
  if (errs.length > 0) throw new BadRequestError(`token 0 invalid: ${errs.join('; ')}`);
  if (req.ttlMs !== 0 || (req.expirationTime ?? null) !== null) return req.ttlMs;
  if (period > 0) return period;
  if (explicitMax > 0) return Math.min(explicitMax, cfg.maxMs);
  return req.type === 'client' ? cfg.defaultTtlMs : 0;
}

/**
 * A new token's expiry after its caps: at most CreateTime + ExplicitMaxTTL,
 * and (a child) at most its parent's expiry. `null` = no lease.
 */
export function cappedExpiry(
  expiry: string | null,
  createTime: Date,
  explicitMaxTtlMs: number,
  parent: ACLToken | undefined,
): string | null {
  let ms = expiry === null ? Infinity : Date.parse(expiry);
  if (explicitMaxTtlMs > 0) ms = Math.min(ms, createTime.getTime() + explicitMaxTtlMs);
  if (parent !== undefined && parent.ExpirationTime !== null) ms = Math.min(ms, Date.parse(parent.ExpirationTime));
  return ms === Infinity ? null : new Date(ms).toISOString();
}

/**
 * A renewal's new `ExpirationTime` (rules above). `parent` is the token's
 * parent when it is a child (not an orphan), else `undefined`.
 * @throws TokenNotRenewableError (400) without a lease; TokenExpiredError (403) when expired;
 *   BadRequestError for an increment that is not positive or below the min TTL.
 */
export function renewedExpiry(
  token: ACLToken,
  parent: ACLToken | undefined,
  incrementMs: number | undefined,
  now: Date,
  cfg: Pick<LeaseConfig, 'minMs' | 'maxMs'>,
): string {
  if (token.ExpirationTime === null) {
    throw new TokenNotRenewableError(`token ${token.AccessorID} has no lease (no ExpirationTime): there is nothing to renew`);
  }
  const current = Date.parse(token.ExpirationTime);
  if (current <= now.getTime()) throw new TokenExpiredError();
  if (incrementMs !== undefined && (incrementMs <= 0 || incrementMs < cfg.minMs)) {
    throw new BadRequestError(`Increment must be at least ${formatGoDuration(Math.max(cfg.minMs, 1))} (was ${formatGoDuration(incrementMs)})`);
  }
  const periodMs = (token.Period ?? 0) / NS_PER_MS;
  let next: number;
  if (periodMs > 0) {
    // Periodic: always now + Period, without the max TTL.
    next = now.getTime() + periodMs;
  } else {
    const ttl = token.ExpirationTTL > 0 ? token.ExpirationTTL / NS_PER_MS : current - Date.parse(token.CreateTime);
    next = now.getTime() + Math.min(incrementMs ?? ttl, cfg.maxMs);
  }
  const explicitMaxMs = (token.ExplicitMaxTTL ?? 0) / NS_PER_MS;
  if (explicitMaxMs > 0) next = Math.min(next, Date.parse(token.CreateTime) + explicitMaxMs);
  if (parent !== undefined && parent.ExpirationTime !== null) next = Math.min(next, Date.parse(parent.ExpirationTime));
  // Never shorter than it was: a parent's lease only grows, so its children's caps hold.
  return new Date(Math.max(next, current)).toISOString();
}

/** A duration in ms as stored (integer nanoseconds). */
export function toNanos(ms: number): number {
  return Math.round(ms * NS_PER_MS);
}
