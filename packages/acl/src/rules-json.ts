import type { CapabilityRule, CoarseRule, LabelledRule, NamespaceRule, Policy } from './policy.js';

/**
 * The parsed policy as Nomad returns it in `RulesJSON` on a single-policy
 * read (`GET /v1/acl/policy/:name`). Field names and order follow Nomad's
 * `acl.Policy` struct; absent blocks and empty lists are `null`, as Go
 * encodes nil pointers and nil slices.
 */
export interface RulesJSON {
  Namespaces: NamespaceRulesJSON[] | null;
  NodePools: LabelledRulesJSON[] | null;
  HostVolumes: LabelledRulesJSON[] | null;
  Agent: CoarseRulesJSON | null;
  Node: CoarseRulesJSON | null;
  Operator: CapabilityRulesJSON | null;
  Sentinel: CapabilityRulesJSON | null;
  Quota: CoarseRulesJSON | null;
  Plugin: CoarseRulesJSON | null;
  /** The rules text as written. */
  Raw: string;
}

/** One namespace entry of {@link RulesJSON}. */
export interface NamespaceRulesJSON {
  Name: string;
  Policy: string;
  /** Expanded: explicit, then shorthand, then implied capabilities. */
  Capabilities: string[] | null;
  Variables: { Paths: { PathSpec: string; Capabilities: string[] | null }[] | null } | null;
}

/** A node pool or host volume entry of {@link RulesJSON}. */
export interface LabelledRulesJSON {
  Name: string;
  Policy: string;
  Capabilities: string[] | null;
}

/** The agent, node, quota or plugin entry of {@link RulesJSON}. */
export interface CoarseRulesJSON {
  Policy: string;
}

/** The operator or sentinel entry of {@link RulesJSON}. */
export interface CapabilityRulesJSON {
  Policy: string;
  Capabilities: string[] | null;
}

function list<T, U>(items: readonly T[], map: (item: T) => U): U[] | null {
  return items.length === 0 ? null : items.map(map);
}

function strings(items: readonly string[]): string[] | null {
  return items.length === 0 ? null : [...items];
}

function namespace(ns: NamespaceRule): NamespaceRulesJSON {
  return {
    Name: ns.name,
    Policy: ns.policy,
    Capabilities: strings(ns.capabilities),
    Variables:
      ns.variables === null
        ? null
        : { Paths: list(ns.variables.paths, (p) => ({ PathSpec: p.pathSpec, Capabilities: strings(p.capabilities) })) },
  };
}

function labelled(rule: LabelledRule): LabelledRulesJSON {
  return { Name: rule.name, Policy: rule.policy, Capabilities: strings(rule.capabilities) };
}

function coarse(rule: CoarseRule | null): CoarseRulesJSON | null {
  return rule === null ? null : { Policy: rule.policy };
}

function withCapabilities(rule: CapabilityRule | null): CapabilityRulesJSON | null {
  return rule === null ? null : { Policy: rule.policy, Capabilities: strings(rule.capabilities) };
}

/**
 * Renders a parsed policy in Nomad's `RulesJSON` shape. Returns fresh,
 * mutable plain objects, ready for `JSON.stringify`.
 *
 * @example
 * policyToRulesJSON(parsePolicy('agent { policy = "read" }')).Agent // { Policy: 'read' }
 */
export function policyToRulesJSON(policy: Policy): RulesJSON {
  return {
    Namespaces: list(policy.namespaces, namespace),
    NodePools: list(policy.nodePools, labelled),
    HostVolumes: list(policy.hostVolumes, labelled),
    Agent: coarse(policy.agent),
    Node: coarse(policy.node),
    Operator: withCapabilities(policy.operator),
    Sentinel: withCapabilities(policy.sentinel),
    Quota: coarse(policy.quota),
    Plugin: coarse(policy.plugin),
    Raw: policy.raw,
  };
}
