import { FilterError, compileFilter, list, map, string, struct } from '@tollgate/filter';
import type { FieldType, FilterPredicate } from '@tollgate/filter';

/**
 * The mapped claims of a login, as binding-rule selectors see them
 * (Nomad's `ACLAuthClaims`): `value.<name>` for each `ClaimMappings`
 * target, `list.<name>` for each `ListClaimMappings` target.
 */
export interface MappedClaims {
  readonly value: Readonly<Record<string, string>>;
  readonly list: Readonly<Record<string, readonly string[]>>;
}

/** The schema selectors are checked against: any `value.X` is a string, any `list.X` a list of strings. */
export const CLAIMS_SCHEMA: FieldType = struct({ value: map(string), list: map(list(string)) });

/**
 * Compiles a binding rule's `Selector` (the go-bexpr language of
 * `?filter=`, see README "Filter expressions") over the mapped claims.
 * An empty selector matches every login (Nomad's catch-all).
 * @throws FilterError for a selector that does not parse or names a field
 *   other than `value.…` / `list.…`.
 */
export function compileSelector(selector: string): FilterPredicate {
  if (selector === '') return () => true;
  return compileFilter(selector, CLAIMS_SCHEMA);
}

/** The selector's error text, or `undefined` when it compiles (for validation messages). */
export function selectorError(selector: string): string | undefined {
  try {
    compileSelector(selector);
    return undefined;
  } catch (err) {
    if (err instanceof FilterError) return err.message;
    throw err;
  }
}
