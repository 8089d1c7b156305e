/**
 * The parsed form of one policy's rules, as produced by `parsePolicy`.
 * Capability lists are already expanded (shorthand `policy` appended to the
 * explicit `capabilities`, then implied capabilities), in Nomad's order and
 * with Nomad's possible duplicates, so `policyToRulesJSON` can mirror Nomad's
 * `RulesJSON`. Every object is frozen: parsed policies are shared by caches.
 */
export interface Policy {
  /** The rules text exactly as given. */
  readonly raw: string;
  readonly namespaces: readonly NamespaceRule[];
  readonly nodePools: readonly LabelledRule[];
  readonly hostVolumes: readonly LabelledRule[];
  /** `null` when the block is absent. */
  readonly agent: CoarseRule | null;
  readonly node: CoarseRule | null;
  readonly operator: CapabilityRule | null;
  /** Enterprise-only in Nomad: accepted and validated, not enforced here. */
  readonly sentinel: CapabilityRule | null;
  readonly quota: CoarseRule | null;
  readonly plugin: CoarseRule | null;
}

/** A `namespace "<glob>" { ... }` block. */
export interface NamespaceRule {
  /** The label; may contain `*` globs. */
  readonly name: string;
  /** The shorthand as written, `""` when absent. */
  readonly policy: string;
  /** Explicit capabilities, then the shorthand's, then implied ones. */
  readonly capabilities: readonly string[];
  /** `null` when the namespace has no `variables` block. */
  readonly variables: VariablesRule | null;
}

/** A `variables { path "<glob>" { ... } }` block inside a namespace. */
export interface VariablesRule {
  readonly paths: readonly VariablePathRule[];
}

/** One `path "<glob>"` inside `variables`. */
export interface VariablePathRule {
  readonly pathSpec: string;
  /** After expansion: `[deny]` if deny is present; `list` added to `read`. */
  readonly capabilities: readonly string[];
}

/** A labelled block with a shorthand and capabilities: `node_pool`, `host_volume`. */
export interface LabelledRule {
  readonly name: string;
  readonly policy: string;
  readonly capabilities: readonly string[];
}

/** A block with only a shorthand: `agent`, `node`, `quota`, `plugin`. */
export interface CoarseRule {
  readonly policy: string;
}

/** A block with a shorthand and capabilities: `operator`, `sentinel`. */
export interface CapabilityRule {
  readonly policy: string;
  readonly capabilities: readonly string[];
}

/** The policy that grants nothing, as parsed from empty rules. */
export const EMPTY_POLICY: Policy = Object.freeze({
  raw: '',
  namespaces: Object.freeze([]),
  nodePools: Object.freeze([]),
  hostVolumes: Object.freeze([]),
  agent: null,
  node: null,
  operator: null,
  sentinel: null,
  quota: null,
  plugin: null,
});
