import { NAMESPACE_CAPABILITIES, OPERATOR_CAPABILITIES } from './capabilities.js';
import { CheckError } from './errors.js';

/** Resources an {@link AuthorizeCheck} can ask about. */
export type AuthorizeResource =
  | 'namespace'
  | 'variable'
  | 'host_volume'
  | 'node_pool'
  | 'node'
  | 'agent'
  | 'quota'
  | 'plugin'
  | 'operator';

/** Every {@link AuthorizeResource}, in documentation order. */
export const AUTHORIZE_RESOURCES: readonly AuthorizeResource[] = Object.freeze([
  'namespace',
  'variable',
  'host_volume',
  'node_pool',
  'node',
  'agent',
  'quota',
  'plugin',
  'operator',
]);

/**
 * One authorization question: "may this token do `Capability` on `Name`?".
 * Field use by resource (validated by {@link validateCheck}):
 *
 * - `namespace`: `Name` (a namespace, or `"*"` for "any namespace"), optional
 *   `Capability` (absent: any access at all, like Nomad's AllowNamespace).
 * - `variable`: `Namespace`, `Name` (the variable path) and `Capability`
 *   (list, read, write, destroy).
 * - `host_volume`, `node_pool`: `Name` and `Capability` (absent: any access
 *   other than deny, like Nomad's AllowHostVolume / AllowNodePool).
 * - `node`, `agent`, `quota`: `Capability` read or write.
 * - `plugin`: `Capability` read or list.
 * - `operator`: `Capability` read, write, or an operator capability such as
 *   `snapshot-save`.
 */
export interface AuthorizeCheck {
  Resource: AuthorizeResource;
  Name?: string;
  Namespace?: string;
  Capability?: string;
}

/** The answer to an {@link AuthorizeCheck}; `Reason` names what decided. */
export interface AuthorizeDecision {
  readonly Allowed: boolean;
  readonly Reason: string;
}

/** Longest `Name` or `Namespace` accepted in a check, in characters. */
export const MAX_CHECK_NAME_LENGTH = 4096;

// `deny` is a marker, not something a caller can be granted, so it is not
// a checkable capability anywhere.
const CHECKABLE: Readonly<Record<AuthorizeResource, readonly string[]>> = Object.freeze({
  namespace: NAMESPACE_CAPABILITIES.filter((c) => c !== 'deny'),
  variable: ['list', 'read', 'write', 'destroy'],
  host_volume: ['mount-readonly', 'mount-readwrite'],
  node_pool: ['read', 'write', 'delete'],
  node: ['read', 'write'],
  agent: ['read', 'write'],
  quota: ['read', 'write'],
  plugin: ['read', 'list'],
  operator: ['read', 'write', ...OPERATOR_CAPABILITIES.filter((c) => c !== 'deny')],
});

const CHECKABLE_SETS = new Map<AuthorizeResource, ReadonlySet<string>>(
  AUTHORIZE_RESOURCES.map((r) => [r, new Set(CHECKABLE[r])]),
);

/** Capabilities a check on `resource` may name. */
export function checkableCapabilities(resource: AuthorizeResource): readonly string[] {
  return CHECKABLE[resource];
}

interface FieldRules {
  readonly name: 'required' | 'forbidden';
  readonly namespace: 'required' | 'forbidden';
  readonly capability: 'required' | 'optional';
}

const RULES: Readonly<Record<AuthorizeResource, FieldRules>> = Object.freeze({
  namespace: { name: 'required', namespace: 'forbidden', capability: 'optional' },
  variable: { name: 'required', namespace: 'required', capability: 'required' },
  // Without a Capability: any access other than deny (Nomad's AllowHostVolume, AllowNodePool).
  host_volume: { name: 'required', namespace: 'forbidden', capability: 'optional' },
  node_pool: { name: 'required', namespace: 'forbidden', capability: 'optional' },
  node: { name: 'forbidden', namespace: 'forbidden', capability: 'required' },
  agent: { name: 'forbidden', namespace: 'forbidden', capability: 'required' },
  quota: { name: 'forbidden', namespace: 'forbidden', capability: 'required' },
  plugin: { name: 'forbidden', namespace: 'forbidden', capability: 'required' },
  operator: { name: 'forbidden', namespace: 'forbidden', capability: 'required' },
});

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function optionalString(raw: Record<string, unknown>, field: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new CheckError(`${field} must be a string`);
  if (value.length > MAX_CHECK_NAME_LENGTH) {
    throw new CheckError(`${field} must be at most ${MAX_CHECK_NAME_LENGTH} characters`);
  }
  return value;
}

/**
 * Validates an untrusted check (e.g. a parsed request body) and returns a
 * clean {@link AuthorizeCheck} holding only the fields that apply; unknown
 * fields are ignored, `null` counts as absent.
 * Throws {@link CheckError} naming the offending field, e.g.
 * `Resource must be one of namespace, variable, …`,
 * `Name is required for resource namespace`,
 * `Capability "foo" is not a namespace capability`.
 */
export function validateCheck(raw: unknown): AuthorizeCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CheckError('check must be an object with a Resource field');
  }
  // Unknown fields are ignored, like unknown fields anywhere in Tollgate's
  // request bodies; the returned check carries only the four known ones.
  const record = raw as Record<string, unknown>;

  const resource = record['Resource'];
  if (typeof resource !== 'string' || !CHECKABLE_SETS.has(resource as AuthorizeResource)) {
    throw new CheckError(`Resource must be one of ${AUTHORIZE_RESOURCES.join(', ')}`);
  }
  const res = resource as AuthorizeResource;
  const rules = RULES[res];

  const name = optionalString(record, 'Name');
  const namespace = optionalString(record, 'Namespace');
  const capability = optionalString(record, 'Capability');

  if (rules.name === 'required' && (name === undefined || name === '')) {
    throw new CheckError(`Name is required for resource ${res}`);
  }
  if (rules.name === 'forbidden' && name !== undefined) throw new CheckError(`Name is not used for resource ${res}`);
  if (rules.namespace === 'required' && (namespace === undefined || namespace === '')) {
    throw new CheckError(`Namespace is required for resource ${res}`);
  }
  if (rules.namespace === 'forbidden' && namespace !== undefined) {
    throw new CheckError(
      res === 'namespace'
        ? 'Namespace is not used for resource namespace; put the namespace in Name'
        : `Namespace is not used for resource ${res}`,
    );
  }
  if (capability === undefined || capability === '') {
    if (rules.capability === 'required') throw new CheckError(`Capability is required for resource ${res}`);
  } else if (!(CHECKABLE_SETS.get(res) as ReadonlySet<string>).has(capability)) {
    const allowed = CHECKABLE[res];
    const hint = allowed.length <= 8 ? ` (expected one of ${allowed.join(', ')})` : '';
    throw new CheckError(`Capability ${JSON.stringify(capability)} is not ${article(res)} ${res} capability${hint}`);
  }

  const check: AuthorizeCheck = { Resource: res };
  if (name !== undefined) check.Name = name;
  if (namespace !== undefined) check.Namespace = namespace;
  if (capability !== undefined && capability !== '') check.Capability = capability;
  return check;
}
