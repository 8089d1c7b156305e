import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLTokenRoleLink } from '@tollgate/state';
import type { FilterPredicate } from '@tollgate/filter';
import { POLICY_NAME_RE } from '../policies.js';
import { ROLE_NAME_RE } from '../roles.js';
import { compileSelector, type MappedClaims } from './claims-selector.js';
import { interpolate, TemplateError } from './interpolate.js';

/** What the binder reads: the committed state (or a staged view of it). */
export interface BinderState {
  listBindingRules(): readonly ACLBindingRule[];
  roleByName(name: string): ACLRole | undefined;
  policy(name: string): ACLPolicy | undefined;
}

/** The roles and policies a login's token gets (Nomad's `auth.Bindings`). */
export interface Bindings {
  readonly management: boolean;
  readonly roles: readonly ACLTokenRoleLink[];
  readonly policies: readonly string[];
  /** IDs of the rules whose selector matched (for the audit log). */
  readonly matchedRules: readonly string[];
}

/** A bind name that cannot be computed or is not a valid name. Names the rule and variable, never a claim value. */
export class BindNameError extends Error {
  override readonly name = 'BindNameError';
}

/**
 * The variables of `${…}` templates for a login (Nomad's `NewIdentity`):
 * `value.<target>` for every `ClaimMappings` target, empty when the claim
 * was absent, so a template never fails on a missing claim.
 */
export function claimVariables(method: Pick<ACLAuthMethod, 'Config'>, claims: MappedClaims): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const target of Object.values(method.Config.ClaimMappings)) vars[`value.${target}`] = '';
  for (const [k, v] of Object.entries(claims.value)) vars[`value.${k}`] = v;
  return vars;
}

const MAX_CACHED_SELECTORS = 256;
const selectors = new Map<string, FilterPredicate>();

/** Compiled selectors, reused across logins (a stored selector was validated when written). */
function selectorOf(selector: string): FilterPredicate {
  let p = selectors.get(selector);
  if (p === undefined) {
    try {
      p = compileSelector(selector);
    } catch {
      // Nomad: a selector that does not compile matches nothing.
      p = () => false;
    }
    if (selectors.size >= MAX_CACHED_SELECTORS) selectors.delete(selectors.keys().next().value as string);
    selectors.set(selector, p);
  }
  return p;
}

/**
 * Applies `method`'s binding rules to the mapped claims (Nomad's
 * `Binder.Bind`): every rule of the method whose selector matches
 * contributes; a `management` rule makes a management token and ends the
 * evaluation; a `role` or `policy` rule contributes its interpolated
 * `BindName` (claim values lower-cased, as Nomad) when a role or policy of
 * that name exists **now**, and nothing otherwise (Nomad skips a binding
 * whose role or policy is gone; a login matching only such rules is
 * refused). Rules are evaluated in ID order.
 * @throws BindNameError when a matched rule's name cannot be computed.
 */
export function bind(state: BinderState, method: ACLAuthMethod, claims: MappedClaims): Bindings {
  const vars = claimVariables(method, claims);
  const roles: ACLTokenRoleLink[] = [];
  const policies: string[] = [];
  const matchedRules: string[] = [];
  for (const rule of state.listBindingRules()) {
    if (rule.AuthMethod !== method.Name || !selectorOf(rule.Selector)(claims)) continue;
    matchedRules.push(rule.ID);
    if (rule.BindType === 'management') return { management: true, roles: [], policies: [], matchedRules };
    let name: string;
    try {
      name = interpolate(rule.BindName, vars, true);
    } catch (err) {
      if (err instanceof TemplateError) throw new BindNameError(`cannot compute ${JSON.stringify(rule.BindType)} bind name of binding rule ${rule.ID}: ${err.message}`);
      throw err;
    }
    if (rule.BindType === 'role') {
      if (!ROLE_NAME_RE.test(name)) throw new BindNameError(`computed "role" bind name of binding rule ${rule.ID} is not a valid role name`);
      const role = state.roleByName(name);
      if (role !== undefined && !roles.some((l) => l.ID === role.ID)) roles.push({ ID: role.ID, Name: role.Name });
    } else if (rule.BindType === 'policy') {
      if (!POLICY_NAME_RE.test(name)) throw new BindNameError(`computed "policy" bind name of binding rule ${rule.ID} is not a valid policy name`);
      if (state.policy(name) !== undefined && !policies.includes(name)) policies.push(name);
    }
  }
  return { management: false, roles, policies, matchedRules };
}
