import type { ACLAuthMethodConfig } from '@tollgate/state';
import type { MappedClaims } from './claims-selector.js';

/** A claim that cannot be mapped (an object where a string is needed). Names the claim, never its value. */
export class ClaimMappingError extends Error {
  override readonly name = 'ClaimMappingError';
}

/**
 * Maps verified claims to what binding rules see (Nomad's
 * `lib/auth/claims.go`): each `ClaimMappings` key is read from the claims
 * (a key starting with `/` is a JSON Pointer into nested claims, RFC 6901)
 * and stored as `value.<target>`; each `ListClaimMappings` key becomes
 * `list.<target>`. Absent claims are left out. Values are stringified as
 * Nomad does: strings as they are, booleans `true`/`false`, numbers
 * truncated to integers; a single value in a list mapping is a list of one;
 * empty strings in lists are dropped.
 * @throws ClaimMappingError for an object, or a list where one value is needed.
 */
export function mapClaims(
  config: Pick<ACLAuthMethodConfig, 'ClaimMappings' | 'ListClaimMappings'>,
  claims: Readonly<Record<string, unknown>>,
): MappedClaims {
  const value: Record<string, string> = {};
  for (const [source, target] of Object.entries(config.ClaimMappings)) {
    const raw = claimAt(claims, source);
    if (raw === undefined || raw === null) continue;
    const s = stringify(raw);
    if (s === undefined) throw new ClaimMappingError(`error converting claim '${source.slice(0, 128)}' to string from unknown type ${typeName(raw)}`);
    value[target] = s;
  }
  const list: Record<string, string[]> = {};
  for (const [source, target] of Object.entries(config.ListClaimMappings)) {
    const raw = claimAt(claims, source);
    if (raw === undefined || raw === null) continue;
    const items: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    const out: string[] = [];
    for (const item of items) {
      const s = stringify(item);
      if (s === undefined) throw new ClaimMappingError(`a value in the ${JSON.stringify(source.slice(0, 128))} list claim could not be parsed as string`);
      if (s !== '') out.push(s);
    }
    list[target] = out;
  }
  return { value, list };
}

/** A claim by name, or by JSON Pointer when `name` starts with `/`. */
export function claimAt(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (!name.startsWith('/')) return Object.hasOwn(claims, name) ? claims[name] : undefined;
  let at: unknown = claims;
  for (const raw of name.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      if (!/^(0|[1-9]\d*)$/.test(part)) return undefined;
      at = at[Number(part)];
    } else if (typeof at === 'object' && at !== null && Object.hasOwn(at, part)) {
      at = (at as Record<string, unknown>)[part];
    } else {
      return undefined;
    }
  }
  return at;
}

function stringify(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // Go truncates float64 claims to int64.
  if (typeof v === 'number' && Number.isFinite(v)) return String(Math.trunc(v));
  return undefined;
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'list' : typeof v === 'object' ? 'object' : typeof v;
}
