import { FilterError, bool, compileFilter, list, map, number, string, struct } from '@tollgate/filter';
import type { FieldType, FilterPredicate } from '@tollgate/filter';

/**
 * `?filter=` on the list endpoints: Nomad's go-bexpr language, evaluated on
 * each entry as the API answers it (field names and JSON shapes of the
 * stub), before pagination, as Nomad's paginator does. Selectors are
 * checked against these schemas, so a typo is a 400, never an ignored
 * filter. A SecretID is not in any stub, so a filter can never probe one.
 */

const ROLE_LINK = struct({ ID: string, Name: string });
const JOB_ACL = struct({ Namespace: string, JobID: string, Group: string, Task: string });

/** The fields of a token list entry (`ACLTokenListStub`). */
export const TOKEN_STUB_SCHEMA: FieldType = struct({
  AccessorID: string,
  Name: string,
  Type: string,
  Policies: list(string),
  Roles: list(ROLE_LINK),
  Global: bool,
  Hash: string,
  CreateTime: string,
  ExpirationTime: string,
  CreateIndex: number,
  ModifyIndex: number,
  ParentAccessorID: string,
  Orphan: bool,
  Meta: map(string),
});

/** The fields of a policy list entry (`ACLPolicyListStub`). */
export const POLICY_STUB_SCHEMA: FieldType = struct({
  Name: string,
  Description: string,
  JobACL: JOB_ACL,
  Hash: string,
  CreateIndex: number,
  ModifyIndex: number,
});

/** The fields of a role list entry (`ACLRoleListStub`). */
export const ROLE_STUB_SCHEMA: FieldType = struct({
  ID: string,
  Name: string,
  Description: string,
  Policies: list(struct({ Name: string })),
  Hash: string,
  CreateIndex: number,
  ModifyIndex: number,
});

/** The fields of an auth method list entry (`ACLAuthMethodStub`). */
export const AUTH_METHOD_STUB_SCHEMA: FieldType = struct({
  Name: string,
  DisplayName: string,
  Type: string,
  Default: bool,
  Hash: string,
  CreateIndex: number,
  ModifyIndex: number,
});

/** The fields of a binding rule list entry (`ACLBindingRuleListStub`). */
export const BINDING_RULE_STUB_SCHEMA: FieldType = struct({
  ID: string,
  Description: string,
  AuthMethod: string,
  Hash: string,
  CreateIndex: number,
  ModifyIndex: number,
});

/** Compiled filters per schema, bounded: pollers repeat the same filter. */
const MAX_CACHED_FILTERS = 128;
const cache = new WeakMap<FieldType, Map<string, FilterPredicate>>();

/**
 * The predicate for a `filter` query parameter, or `undefined` when there
 * is none. Predicates are pure, so recent ones are reused. An invalid expression throws `FilterError` (400,
 * `TOLLGATE_FILTER_INVALID`) with Nomad's prefix `failed to read filter
 * expression: `. Call it before a blocking wait, so a bad filter fails at
 * once.
 */
export function listFilter(expression: string, schema: FieldType): FilterPredicate | undefined {
  if (expression === '') return undefined;
  let compiled = cache.get(schema);
  if (compiled === undefined) cache.set(schema, (compiled = new Map()));
  const hit = compiled.get(expression);
  if (hit !== undefined) return hit;
  try {
    const predicate = compileFilter(expression, schema);
    // Insertion order: the first key is the oldest.
    if (compiled.size >= MAX_CACHED_FILTERS) compiled.delete(compiled.keys().next().value as string);
    compiled.set(expression, predicate);
    return predicate;
  } catch (err) {
    if (err instanceof FilterError) throw new FilterError(`failed to read filter expression: ${err.message}`, { cause: err });
    throw err;
  }
}
