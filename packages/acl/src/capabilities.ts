/**
 * Vocabulary of the policy language: policy levels, capability names and the
 * shorthand expansions, as defined by Nomad's acl/policy.go (v2.0 at HEAD).
 * Lists are frozen arrays in Nomad's declaration order, because expansion
 * order is visible in `RulesJSON`.
 */

/** Shorthand `policy = "..."` values. `list` is valid only in `plugin`. */
export const POLICY_DENY = 'deny';
/** @see POLICY_DENY */
export const POLICY_READ = 'read';
/** @see POLICY_DENY */
export const POLICY_LIST = 'list';
/** @see POLICY_DENY */
export const POLICY_WRITE = 'write';
/** @see POLICY_DENY */
export const POLICY_SCALE = 'scale';

/** Values accepted by `policy` in every block except `plugin`. */
export const POLICY_LEVELS: readonly string[] = Object.freeze([POLICY_DENY, POLICY_READ, POLICY_WRITE, POLICY_SCALE]);

/** Values accepted by `policy` in the `plugin` block (no `scale`, but `list`). */
export const PLUGIN_POLICY_LEVELS: readonly string[] = Object.freeze([POLICY_DENY, POLICY_READ, POLICY_LIST, POLICY_WRITE]);

/** Every capability valid inside a `namespace` block, `deny` included. */
export const NAMESPACE_CAPABILITIES: readonly string[] = Object.freeze([
  'deny',
  'list-jobs',
  'parse-job',
  'read-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-node-exec',
  'alloc-lifecycle',
  'sentinel-override',
  'csi-register-plugin',
  'csi-write-volume',
  'csi-read-volume',
  'csi-list-volume',
  'csi-mount-volume',
  'host-volume-create',
  'host-volume-register',
  'host-volume-read',
  'host-volume-write',
  'host-volume-delete',
  'list-scaling-policies',
  'read-scaling-policy',
  'read-job-scaling',
  'scale-job',
  'submit-recommendation',
  // Fine-grained job, deployment and allocation capabilities added in v2.0.0.
  'register-job',
  'revert-job',
  'deregister-job',
  'purge-job',
  'evaluate-job',
  'plan-job',
  'tag-job-version',
  'stable-job',
  'fail-deployment',
  'pause-deployment',
  'promote-deployment',
  'unblock-deployment',
  'cancel-deployment',
  'set-alloc-health-deployment',
  'gc-allocation',
  'pause-allocation',
  'force-periodic-job',
  'delete-service-registration',
]);

/** Capabilities valid on a `variables { path "..." {} }` block. */
export const VARIABLE_CAPABILITIES: readonly string[] = Object.freeze(['list', 'read', 'write', 'destroy', 'deny']);

/** Capabilities valid in a `node_pool` block. */
export const NODE_POOL_CAPABILITIES: readonly string[] = Object.freeze(['delete', 'deny', 'read', 'write']);

/** Capabilities valid in a `host_volume` block. */
export const HOST_VOLUME_CAPABILITIES: readonly string[] = Object.freeze(['deny', 'mount-readonly', 'mount-readwrite']);

/** Capabilities valid in the `operator` block (v2.0+). */
export const OPERATOR_CAPABILITIES: readonly string[] = Object.freeze([
  'deny',
  'snapshot-save',
  'license-read',
  'keyring-rotate',
  'keyring-read',
  'keyring-delete',
]);

/** Capabilities valid in the (Enterprise) `sentinel` block. */
export const SENTINEL_CAPABILITIES: readonly string[] = Object.freeze(['deny', 'sentinel-read', 'sentinel-submit', 'sentinel-delete']);

const NAMESPACE_READ = Object.freeze([
  'list-jobs',
  'parse-job',
  'read-job',
  'csi-list-volume',
  'csi-read-volume',
  'read-job-scaling',
  'list-scaling-policies',
  'read-scaling-policy',
  'host-volume-read',
]);

// Note: `write` deliberately lacks alloc-node-exec, csi-register-plugin,
// sentinel-override, host-volume-register/-write/-delete and every v2.0
// fine-grained job capability, exactly as in Nomad.
const NAMESPACE_WRITE = Object.freeze([
  ...NAMESPACE_READ,
  'scale-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-lifecycle',
  'csi-mount-volume',
  'csi-write-volume',
  'submit-recommendation',
  'host-volume-create',
]);

const NAMESPACE_SCALE = Object.freeze([
  'list-scaling-policies',
  'read-scaling-policy',
  'read-job-scaling',
  'scale-job',
  'read-job',
  'submit-recommendation',
]);

const EMPTY: readonly string[] = Object.freeze([]);

/** A shorthand → capabilities table; unknown keys expand to nothing. */
export type ExpansionTable = Readonly<Record<string, readonly string[]>>;

/** Namespace `policy` shorthand expansion (Nomad's expandNamespacePolicy). */
export const NAMESPACE_POLICY_EXPANSION: ExpansionTable = Object.freeze({
  deny: Object.freeze(['deny']),
  read: NAMESPACE_READ,
  write: NAMESPACE_WRITE,
  scale: NAMESPACE_SCALE,
});

/** Node pool `policy` shorthand expansion; `scale` grants nothing. */
export const NODE_POOL_POLICY_EXPANSION: ExpansionTable = Object.freeze({
  deny: Object.freeze(['deny']),
  read: Object.freeze(['read']),
  write: Object.freeze(['delete', 'read', 'write']),
});

/** Host volume `policy` shorthand expansion; `scale` grants nothing. */
export const HOST_VOLUME_POLICY_EXPANSION: ExpansionTable = Object.freeze({
  deny: Object.freeze(['deny']),
  read: Object.freeze(['mount-readonly']),
  write: Object.freeze(['mount-readonly', 'mount-readwrite']),
});

/** Operator `policy` shorthand expansion (v2.0 keyring capabilities included). */
export const OPERATOR_POLICY_EXPANSION: ExpansionTable = Object.freeze({
  deny: Object.freeze(['deny']),
  read: Object.freeze(['license-read', 'keyring-read']),
  write: Object.freeze(['snapshot-save', 'license-read', 'keyring-rotate', 'keyring-read', 'keyring-delete']),
});

/** Sentinel `policy` shorthand expansion. */
export const SENTINEL_POLICY_EXPANSION: ExpansionTable = Object.freeze({
  deny: Object.freeze(['deny']),
  read: Object.freeze(['sentinel-read']),
  write: Object.freeze(['sentinel-read', 'sentinel-submit', 'sentinel-delete']),
});

/**
 * Capabilities implied by fine-grained host-volume capabilities, applied
 * after the shorthand expansion (Nomad's expandNamespaceCapabilities).
 */
export const HOST_VOLUME_IMPLIED_CAPABILITIES: ExpansionTable = Object.freeze({
  'host-volume-write': Object.freeze(['host-volume-register', 'host-volume-create', 'host-volume-delete', 'host-volume-read']),
  'host-volume-register': Object.freeze(['host-volume-create', 'host-volume-read']),
  'host-volume-create': Object.freeze(['host-volume-read']),
});

/** Looks up `key` in an expansion table without touching the prototype chain. */
export function expand(table: ExpansionTable, key: string): readonly string[] {
  return Object.hasOwn(table, key) ? (table[key] ?? EMPTY) : EMPTY;
}
