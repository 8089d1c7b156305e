import type { AuthorizeCheck, AuthorizeDecision } from './authorize-check.js';
import { checkableCapabilities } from './authorize-check.js';
import { compareBytes } from './byte-order.js';
import { closestGlob, compileGlob, type CompiledGlob } from './glob.js';
import type { CapabilityRule, CoarseRule, LabelledRule, Policy } from './policy.js';

/**
 * A compiled set of policies that answers authorization questions. Obtain
 * one from {@link compileACL} (or use {@link MANAGEMENT_ACL}); it is
 * immutable apart from its internal, bounded lookup caches, so it can be
 * shared between requests and cached (see `ACLCache`).
 *
 * The predicates mirror Nomad's `acl.ACL` methods; {@link ACL.authorize}
 * answers the same questions with a reason naming the deciding policy.
 */
export interface ACL {
  /** True for the management ACL, which allows everything. */
  readonly isManagement: boolean;
  /** Names of the policies compiled into this ACL, in input order. */
  readonly policyNames: readonly string[];
  /**
   * Answers a validated check (see `validateCheck`). The returned object is
   * shared and frozen; do not mutate it.
   */
  authorize(check: AuthorizeCheck): AuthorizeDecision;
  /** Nomad's AllowNamespaceOperation; `ns` `"*"` asks whether any namespace allows `capability`. */
  allowNamespaceOperation(ns: string, capability: string): boolean;
  /** Nomad's AllowNamespace: any non-deny capability on `ns` (or on any namespace for `"*"`). */
  allowNamespace(ns: string): boolean;
  /** Nomad's AllowVariableOperation without workload-identity claims. */
  allowVariableOperation(ns: string, path: string, capability: string): boolean;
  allowHostVolumeOperation(volume: string, capability: string): boolean;
  allowNodePoolOperation(pool: string, capability: string): boolean;
  allowAgentRead(): boolean;
  allowAgentWrite(): boolean;
  allowNodeRead(): boolean;
  allowNodeWrite(): boolean;
  allowQuotaRead(): boolean;
  allowQuotaWrite(): boolean;
  /** True only for plugin policy `read` (Nomad quirk: `write` does not imply read). */
  allowPluginRead(): boolean;
  /** True for plugin policy `read` or `list`. */
  allowPluginList(): boolean;
  allowOperatorRead(): boolean;
  allowOperatorWrite(): boolean;
  /** Fine-grained operator capability, e.g. `snapshot-save`. */
  allowOperatorOperation(capability: string): boolean;
  /** Fine-grained sentinel capability (Enterprise in Nomad; parsed, rarely used). */
  allowSentinelOperation(capability: string): boolean;
}

/** Most glob lookups remembered per table before the oldest is evicted. */
export const GLOB_CACHE_LIMIT = 1024;
/**
 * Longest name (or namespace + path) whose lookup is remembered. Real labels
 * are at most 128 characters; longer names are answered uncached so that a
 * caller cannot grow the memo with 4 KiB names.
 */
export const MEMO_NAME_LIMIT = 256;

function decision(allowed: boolean, reason: string): AuthorizeDecision {
  return Object.freeze({ Allowed: allowed, Reason: reason });
}

const MANAGEMENT_DECISION = decision(true, 'management token');

function q(s: string): string {
  return JSON.stringify(s);
}

/**
 * Separates a policy name from the role that brought it in, inside the
 * ACL's internal policy keys (policy and role names cannot contain NUL).
 */
const ROLE_SEP = '\u0000';

/** A policy key in a reason: `"app"`, or `"app" (role "deployers")` when a role brought it in. */
function ref(key: string): string {
  const at = key.indexOf(ROLE_SEP);
  return at < 0 ? q(key) : `${q(key.slice(0, at))} (role ${q(key.slice(at + 1))})`;
}

function policiesText(names: readonly string[]): string {
  return names.length === 1 ? `policy ${ref(names[0] as string)}` : `policies ${names.map(ref).join(', ')}`;
}

/** Capabilities merged for one label (or one variables namespace+path). */
class Entry {
  /** capability → the first policy that granted it. */
  readonly caps = new Map<string, string>();
  /** Policy that put the entry into the deny state (label tables only). */
  denyBy: string | null = null;
  /** Every policy that mentions the label, in order, without repeats. */
  readonly policies: string[] = [];
  /** The lookup result used for exact hits, built on first use. */
  exactMatch: Match | null = null;

  constructor(readonly display: string) {}

  mention(policy: string): void {
    if (!this.policies.includes(policy)) this.policies.push(policy);
  }

  /** Nomad's merge for labelled tables: deny wins and clears the entry. */
  addWithDeny(policy: string, capabilities: readonly string[]): void {
    if (this.denyBy !== null) return;
    for (const cap of capabilities) {
      if (cap === 'deny') {
        this.caps.clear();
        this.caps.set('deny', policy);
        this.denyBy = policy;
        return;
      }
      if (!this.caps.has(cap)) this.caps.set(cap, policy);
    }
  }

  /** Plain union, used for variables: Nomad applies no deny precedence there. */
  addUnion(policy: string, capabilities: readonly string[]): void {
    for (const cap of capabilities) if (!this.caps.has(cap)) this.caps.set(cap, policy);
  }

  grantsAnything(): boolean {
    return this.caps.size > 0 && !this.caps.has('deny');
  }

  firstGranter(): string {
    for (const policy of this.caps.values()) return policy;
    return this.policies[0] ?? '';
  }
}

/** The outcome of looking a name up in a table, with its decisions memoised. */
interface Match {
  readonly entry: Entry | null;
  /** The looked-up name when the entry was found by glob, else null. */
  readonly viaGlob: string | null;
  readonly decisions: Map<string, AuthorizeDecision>;
  any: AuthorizeDecision | null;
}

/**
 * One of Nomad's label tables (exact labels in a map, globs in byte order)
 * with a bounded memo of glob lookups.
 */
class Table {
  readonly exact = new Map<string, Entry>();
  private readonly pendingGlobs = new Map<string, Entry>();
  private globs: CompiledGlob[] = [];
  private globEntries: Entry[] = [];
  /** Exact entries in byte order, for the "any namespace" walk. */
  orderedExact: Entry[] = [];
  private readonly cache = new Map<string, Match>();
  /**
   * Two-level views for variables (namespace → path), so a lookup needs no
   * `ns + "\0" + path` string per call. Built by finish() when keys are
   * pairs; the memo counts toward the same GLOB_CACHE_LIMIT.
   */
  private exactPairs: Map<string, Map<string, Entry>> | null = null;
  private readonly pairCache = new Map<string, Map<string, Match>>();
  private pairCacheSize = 0;

  constructor(
    /** Resource word used in "no rule matched <kind> ...". */
    private readonly kind: string,
    /** Renders a looked-up name for messages. */
    private readonly subject: (name: string) => string,
    /** Capabilities whose decisions are memoised (keeps memos bounded). */
    private readonly memoisable: ReadonlySet<string>,
  ) {}

  entry(label: string, isGlob: boolean, display: string): Entry {
    const map = isGlob ? this.pendingGlobs : this.exact;
    let e = map.get(label);
    if (e === undefined) {
      e = new Entry(display);
      map.set(label, e);
    }
    return e;
  }

  /** Freezes the layout once all policies are merged. */
  finish(): void {
    const globLabels = [...this.pendingGlobs.keys()].sort(compareBytes);
    this.globs = globLabels.map(compileGlob);
    this.globEntries = globLabels.map((l) => this.pendingGlobs.get(l) as Entry);
    this.orderedExact = [...this.exact.keys()].sort(compareBytes).map((l) => this.exact.get(l) as Entry);
  }

  /** Builds the namespace → path view of exact keys of the form `ns\0path`. */
  indexPairs(): void {
    const pairs = new Map<string, Map<string, Entry>>();
    for (const [key, entry] of this.exact) {
      const nul = key.indexOf('\0');
      const ns = key.slice(0, nul);
      let paths = pairs.get(ns);
      if (paths === undefined) pairs.set(ns, (paths = new Map()));
      paths.set(key.slice(nul + 1), entry);
    }
    this.exactPairs = pairs;
  }

  /** {@link lookup} for a `(namespace, path)` pair without building the joined key on hits. */
  lookupPair(ns: string, path: string): Match {
    const exact = this.exactPairs?.get(ns)?.get(path);
    if (exact !== undefined) {
      return (exact.exactMatch ??= { entry: exact, viaGlob: null, decisions: new Map(), any: null });
    }
    let paths = this.pairCache.get(ns);
    let match = paths?.get(path);
    if (match === undefined) {
      const key = `${ns}\0${path}`;
      const i = closestGlob(this.globs, key);
      match = { entry: i < 0 ? null : (this.globEntries[i] as Entry), viaGlob: key, decisions: new Map(), any: null };
      if (key.length > MEMO_NAME_LIMIT) return match;
      if (this.pairCacheSize >= GLOB_CACHE_LIMIT) {
        // Coarse eviction: drop the oldest namespace's memo wholesale.
        const oldest = this.pairCache.entries().next();
        if (oldest.done !== true) {
          this.pairCacheSize -= oldest.value[1].size;
          this.pairCache.delete(oldest.value[0]);
          if (oldest.value[1] === paths) paths = undefined;
        }
      }
      if (paths === undefined) this.pairCache.set(ns, (paths = new Map()));
      paths.set(path, match);
      this.pairCacheSize++;
    }
    return match;
  }

  pairCapability(ns: string, path: string, cap: string): AuthorizeDecision {
    const match = this.lookupPair(ns, path);
    let d = match.decisions.get(cap);
    if (d === undefined) {
      d = this.decideCapability(match, match.viaGlob ?? `${ns}\0${path}`, cap);
      if (this.memoisable.has(cap)) match.decisions.set(cap, d);
    }
    return d;
  }

  /** Every entry in Nomad's walk order: exact labels, then globs. */
  allEntries(): Entry[] {
    return [...this.orderedExact, ...this.globEntries];
  }

  lookup(name: string): Match {
    const exact = this.exact.get(name);
    if (exact !== undefined) {
      return (exact.exactMatch ??= { entry: exact, viaGlob: null, decisions: new Map(), any: null });
    }
    let match = this.cache.get(name);
    if (match === undefined) {
      const i = closestGlob(this.globs, name);
      match = { entry: i < 0 ? null : (this.globEntries[i] as Entry), viaGlob: name, decisions: new Map(), any: null };
      if (name.length > MEMO_NAME_LIMIT) return match;
      if (this.cache.size >= GLOB_CACHE_LIMIT) {
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
      this.cache.set(name, match);
    }
    return match;
  }

  capability(name: string, cap: string): AuthorizeDecision {
    const match = this.lookup(name);
    let d = match.decisions.get(cap);
    if (d === undefined) {
      d = this.decideCapability(match, name, cap);
      if (this.memoisable.has(cap)) match.decisions.set(cap, d);
    }
    return d;
  }

  anyAccess(name: string): AuthorizeDecision {
    const match = this.lookup(name);
    return (match.any ??= this.decideAny(match, name));
  }

  private closeness(match: Match): string {
    return match.viaGlob === null ? '' : `closest match for ${this.subject(match.viaGlob)}`;
  }

  private noMatch(name: string): AuthorizeDecision {
    return decision(false, `no rule matched ${this.kind} ${this.subject(name)}`);
  }

  private denied(entry: Entry, by: string, match: Match): AuthorizeDecision {
    const close = this.closeness(match);
    return decision(false, `denied by policy ${ref(by)} ${entry.display} (deny${close === '' ? '' : `; ${close}`})`);
  }

  private decideCapability(match: Match, name: string, cap: string): AuthorizeDecision {
    const entry = match.entry;
    if (entry === null) return this.noMatch(name);
    if (entry.denyBy !== null) return this.denied(entry, entry.denyBy, match);
    const close = this.closeness(match);
    const suffix = close === '' ? '' : ` (${close})`;
    const granter = entry.caps.get(cap);
    if (granter !== undefined) return decision(true, `allowed by policy ${ref(granter)} ${entry.display}${suffix}`);
    // Variables keep deny alongside grants (no deny precedence in Nomad).
    const denier = entry.caps.get('deny');
    if (denier !== undefined) return this.denied(entry, denier, match);
    return decision(false, `denied: ${entry.display} from ${policiesText(entry.policies)}${suffix} does not grant ${q(cap)}`);
  }

  private decideAny(match: Match, name: string): AuthorizeDecision {
    const entry = match.entry;
    if (entry === null) return this.noMatch(name);
    if (entry.denyBy !== null) return this.denied(entry, entry.denyBy, match);
    const close = this.closeness(match);
    const suffix = close === '' ? '' : ` (${close})`;
    if (!entry.grantsAnything()) {
      return decision(false, `denied: ${entry.display} from ${policiesText(entry.policies)}${suffix} grants no capabilities`);
    }
    return decision(true, `allowed by policy ${ref(entry.firstGranter())} ${entry.display}${suffix}`);
  }
}

type Level = '' | 'deny' | 'write' | 'read' | 'list';

// Nomad's maxPrivilege: deny > write > read > list > none; `scale` and
// anything else count as none.
function rank(level: string): number {
  switch (level) {
    case 'deny':
      return 4;
    case 'write':
      return 3;
    case 'read':
      return 2;
    case 'list':
      return 1;
    default:
      return 0;
  }
}

/** A coarse block (agent, node, quota, plugin, operator) merged by max privilege. */
class Coarse {
  level: Level = '';
  by: string | null = null;

  constructor(private readonly kind: string) {}

  merge(policy: string, rule: CoarseRule): void {
    if (rank(rule.policy) > rank(this.level)) {
      this.level = rule.policy as Level;
      this.by = policy;
    }
  }

  /** Precomputes the decision for needing one of `levels`, named `want`. */
  decide(want: string, levels: readonly Level[]): AuthorizeDecision {
    if (this.by === null) return decision(false, `no rule matched ${this.kind}`);
    if (this.level === 'deny') return decision(false, `denied by policy ${ref(this.by)} ${this.kind} (deny)`);
    if (levels.includes(this.level)) return decision(true, `allowed by policy ${ref(this.by)} ${this.kind} ${q(this.level)}`);
    return decision(false, `denied: ${this.kind} ${q(this.level)} from policy ${ref(this.by)} does not grant ${want}`);
  }
}

const READ_LEVELS: readonly Level[] = ['read', 'write'];
const WRITE_LEVELS: readonly Level[] = ['write'];

interface CoarseDecisions {
  readonly read: AuthorizeDecision;
  readonly write: AuthorizeDecision;
}

function coarseDecisions(c: Coarse): CoarseDecisions {
  return { read: c.decide('read', READ_LEVELS), write: c.decide('write', WRITE_LEVELS) };
}

const NAME_SUBJECT = (name: string): string => q(name);
const VARIABLE_SUBJECT = (key: string): string => {
  const nul = key.indexOf('\0');
  return `namespace ${q(key.slice(0, nul))} path ${q(key.slice(nul + 1))}`;
};

const NAMESPACE_MEMO = new Set(checkableCapabilities('namespace'));
const VARIABLE_MEMO = new Set(checkableCapabilities('variable'));
const HOST_VOLUME_MEMO = new Set(checkableCapabilities('host_volume'));
const NODE_POOL_MEMO = new Set(checkableCapabilities('node_pool'));
const OPERATOR_MEMO = new Set(checkableCapabilities('operator'));
const SENTINEL_MEMO = new Set(['sentinel-read', 'sentinel-submit', 'sentinel-delete']);

/** The single key under which the operator and sentinel capability sets live. */
const SOLE = '';

class CompiledACL implements ACL {
  readonly isManagement = false;
  readonly policyNames: readonly string[];

  private readonly namespaces = new Table('namespace', NAME_SUBJECT, NAMESPACE_MEMO);
  private readonly variables = new Table('variable', VARIABLE_SUBJECT, VARIABLE_MEMO);
  private readonly hostVolumes = new Table('host_volume', NAME_SUBJECT, HOST_VOLUME_MEMO);
  private readonly nodePools = new Table('node_pool', NAME_SUBJECT, NODE_POOL_MEMO);
  private readonly operatorCaps = new Table('operator', () => 'capability', OPERATOR_MEMO);
  private readonly sentinelCaps = new Table('sentinel', () => 'capability', SENTINEL_MEMO);

  private readonly agent: CoarseDecisions;
  private readonly node: CoarseDecisions;
  private readonly quota: CoarseDecisions;
  private readonly operator: CoarseDecisions;
  private readonly pluginRead: AuthorizeDecision;
  private readonly pluginList: AuthorizeDecision;

  /** "any namespace" answers, per capability ('' = any capability). */
  private readonly anyNamespace = new Map<string, AuthorizeDecision | null>();

  constructor(given: ReadonlyArray<{ name: string; policy: Policy; role?: string }>) {
    this.policyNames = Object.freeze([...new Set(given.map((p) => p.name))]);
    // Reasons name the role a policy came through: its key carries the role.
    const policies = given.map((p) => ({ name: p.role === undefined ? p.name : `${p.name}${ROLE_SEP}${p.role}`, policy: p.policy }));
    const agent = new Coarse('agent');
    const node = new Coarse('node');
    const quota = new Coarse('quota');
    const plugin = new Coarse('plugin');
    const operator = new Coarse('operator');

    for (const { name, policy } of policies) {
      for (const ns of policy.namespaces) {
        const nsGlob = ns.name.includes('*');
        const entry = this.namespaces.entry(ns.name, nsGlob, `namespace ${q(ns.name)}`);
        entry.mention(name);
        // Variables are recorded before the deny check, as in Nomad's NewACL.
        for (const path of ns.variables?.paths ?? []) {
          const isGlob = nsGlob || path.pathSpec.includes('*');
          const display = `namespace ${q(ns.name)} path ${q(path.pathSpec)}`;
          const v = this.variables.entry(`${ns.name}\0${path.pathSpec}`, isGlob, display);
          v.mention(name);
          v.addUnion(name, path.capabilities);
        }
        entry.addWithDeny(name, ns.capabilities);
      }
      addLabelled(this.nodePools, 'node_pool', name, policy.nodePools);
      addLabelled(this.hostVolumes, 'host_volume', name, policy.hostVolumes);
      if (policy.agent !== null) agent.merge(name, policy.agent);
      if (policy.node !== null) node.merge(name, policy.node);
      if (policy.quota !== null) quota.merge(name, policy.quota);
      if (policy.plugin !== null) plugin.merge(name, policy.plugin);
      if (policy.operator !== null) {
        operator.merge(name, policy.operator);
        addCapabilityBlock(this.operatorCaps, 'operator', name, policy.operator);
      }
      if (policy.sentinel !== null) addCapabilityBlock(this.sentinelCaps, 'sentinel', name, policy.sentinel);
    }

    for (const t of [this.namespaces, this.variables, this.hostVolumes, this.nodePools, this.operatorCaps, this.sentinelCaps]) {
      t.finish();
    }
    this.variables.indexPairs();
    this.agent = coarseDecisions(agent);
    this.node = coarseDecisions(node);
    this.quota = coarseDecisions(quota);
    this.operator = coarseDecisions(operator);
    // Nomad's AllowPluginRead accepts only `read`: a `write` plugin policy
    // grants neither read nor list. Mirrored deliberately.
    this.pluginRead = plugin.decide('read', ['read']);
    this.pluginList = plugin.decide('list', ['read', 'list']);
  }

  authorize(check: AuthorizeCheck): AuthorizeDecision {
    const cap = check.Capability;
    switch (check.Resource) {
      case 'namespace':
        return cap === undefined ? this.namespaceAny(check.Name ?? '') : this.namespaceOp(check.Name ?? '', cap);
      case 'variable':
        return this.variables.pairCapability(check.Namespace ?? '', check.Name ?? '', cap ?? '');
      case 'host_volume':
        return cap === undefined ? this.hostVolumes.anyAccess(check.Name ?? '') : this.hostVolumes.capability(check.Name ?? '', cap);
      case 'node_pool':
        return cap === undefined ? this.nodePools.anyAccess(check.Name ?? '') : this.nodePools.capability(check.Name ?? '', cap);
      case 'node':
        return cap === 'write' ? this.node.write : this.node.read;
      case 'agent':
        return cap === 'write' ? this.agent.write : this.agent.read;
      case 'quota':
        return cap === 'write' ? this.quota.write : this.quota.read;
      case 'plugin':
        return cap === 'list' ? this.pluginList : this.pluginRead;
      case 'operator':
        if (cap === 'read') return this.operator.read;
        if (cap === 'write') return this.operator.write;
        return this.operatorCaps.capability(SOLE, cap ?? '');
      default:
        return decision(false, `unknown resource ${q(String((check as { Resource: unknown }).Resource))}`);
    }
  }

  private namespaceOp(ns: string, cap: string): AuthorizeDecision {
    if (ns === '*') {
      const any = this.anyNamespaceAllows(cap);
      if (any !== null) return any;
    }
    return this.namespaces.capability(ns, cap);
  }

  private namespaceAny(ns: string): AuthorizeDecision {
    if (ns === '*') {
      const any = this.anyNamespaceAllows('');
      if (any !== null) return any;
    }
    return this.namespaces.anyAccess(ns);
  }

  // Nomad's anyNamespaceAllowsOp / anyNamespaceAllowsAnyOp: with the "*"
  // sentinel, allowed as soon as one namespace entry allows. '' = any op.
  private anyNamespaceAllows(cap: string): AuthorizeDecision | null {
    const known = this.anyNamespace.get(cap);
    if (known !== undefined) return known;
    let found: AuthorizeDecision | null = null;
    for (const entry of this.namespaces.allEntries()) {
      const granter = cap === '' ? (entry.grantsAnything() ? entry.firstGranter() : undefined) : entry.caps.get(cap);
      if (granter !== undefined) {
        found = decision(true, `allowed by policy ${ref(granter)} ${entry.display} (Name "*" asks for any namespace)`);
        break;
      }
    }
    if (cap === '' || NAMESPACE_MEMO.has(cap)) this.anyNamespace.set(cap, found);
    return found;
  }

  allowNamespaceOperation(ns: string, capability: string): boolean {
    return this.namespaceOp(ns, capability).Allowed;
  }

  allowNamespace(ns: string): boolean {
    return this.namespaceAny(ns).Allowed;
  }

  allowVariableOperation(ns: string, path: string, capability: string): boolean {
    return this.variables.pairCapability(ns, path, capability).Allowed;
  }

  allowHostVolumeOperation(volume: string, capability: string): boolean {
    return this.hostVolumes.capability(volume, capability).Allowed;
  }

  allowNodePoolOperation(pool: string, capability: string): boolean {
    return this.nodePools.capability(pool, capability).Allowed;
  }

  allowAgentRead(): boolean {
    return this.agent.read.Allowed;
  }

  allowAgentWrite(): boolean {
    return this.agent.write.Allowed;
  }

  allowNodeRead(): boolean {
    return this.node.read.Allowed;
  }

  allowNodeWrite(): boolean {
    return this.node.write.Allowed;
  }

  allowQuotaRead(): boolean {
    return this.quota.read.Allowed;
  }

  allowQuotaWrite(): boolean {
    return this.quota.write.Allowed;
  }

  allowPluginRead(): boolean {
    return this.pluginRead.Allowed;
  }

  allowPluginList(): boolean {
    return this.pluginList.Allowed;
  }

  allowOperatorRead(): boolean {
    return this.operator.read.Allowed;
  }

  allowOperatorWrite(): boolean {
    return this.operator.write.Allowed;
  }

  allowOperatorOperation(capability: string): boolean {
    return this.operatorCaps.capability(SOLE, capability).Allowed;
  }

  allowSentinelOperation(capability: string): boolean {
    return this.sentinelCaps.capability(SOLE, capability).Allowed;
  }
}

function addLabelled(table: Table, kind: string, policy: string, rules: readonly LabelledRule[]): void {
  for (const rule of rules) {
    const entry = table.entry(rule.name, rule.name.includes('*'), `${kind} ${q(rule.name)}`);
    entry.mention(policy);
    entry.addWithDeny(policy, rule.capabilities);
  }
}

// Operator and sentinel capability sets: unioned, deny clears (as labels).
function addCapabilityBlock(table: Table, kind: string, policy: string, rule: CapabilityRule): void {
  const entry = table.entry(SOLE, false, kind);
  entry.mention(policy);
  entry.addWithDeny(policy, rule.capabilities);
}

class ManagementACL implements ACL {
  readonly isManagement = true;
  readonly policyNames: readonly string[] = Object.freeze([]);
  authorize(): AuthorizeDecision {
    return MANAGEMENT_DECISION;
  }
  allowNamespaceOperation(): boolean {
    return true;
  }
  allowNamespace(): boolean {
    return true;
  }
  allowVariableOperation(): boolean {
    return true;
  }
  allowHostVolumeOperation(): boolean {
    return true;
  }
  allowNodePoolOperation(): boolean {
    return true;
  }
  allowAgentRead(): boolean {
    return true;
  }
  allowAgentWrite(): boolean {
    return true;
  }
  allowNodeRead(): boolean {
    return true;
  }
  allowNodeWrite(): boolean {
    return true;
  }
  allowQuotaRead(): boolean {
    return true;
  }
  allowQuotaWrite(): boolean {
    return true;
  }
  allowPluginRead(): boolean {
    return true;
  }
  allowPluginList(): boolean {
    return true;
  }
  allowOperatorRead(): boolean {
    return true;
  }
  allowOperatorWrite(): boolean {
    return true;
  }
  allowOperatorOperation(): boolean {
    return true;
  }
  allowSentinelOperation(): boolean {
    return true;
  }
}

/**
 * The ACL of management tokens (and of servers with ACLs disabled): every
 * check is allowed with reason `management token`.
 */
export const MANAGEMENT_ACL: ACL = Object.freeze(new ManagementACL());

/**
 * Compiles parsed policies into an {@link ACL}, merging them as Nomad's
 * `NewACL` does:
 *
 * - namespace, node pool and host volume entries are keyed by their exact
 *   label (globs in a separate table); the same label across policies is
 *   unioned, and a `deny` on a label wins over every grant for that label
 *   only (a deny on `"*"` does not affect `"prod"`);
 * - variables are keyed by namespace label + path and plainly unioned: a
 *   deny in one policy does not cancel a grant from another (Nomad quirk);
 * - agent, node, quota, plugin and operator take the maximum privilege
 *   (deny > write > read > list; `scale` counts as none); operator
 *   capability sets are unioned with deny clearing them.
 *
 * Lookups try the exact label first, then the closest matching glob.
 * A policy given with `role` came in through that ACL role; reasons then
 * name both (`allowed by policy "app" (role "deployers") …`).
 *
 * The ACL remembers which policy granted or denied what, so
 * `authorize()` can explain itself.
 *
 * @example
 * const acl = compileACL([{ name: 'app', policy: parsePolicy('namespace "prod-*" { policy = "read" }') }]);
 * acl.authorize({ Resource: 'namespace', Name: 'prod-api', Capability: 'read-job' });
 * // { Allowed: true, Reason: 'allowed by policy "app" namespace "prod-*" (closest match for "prod-api")' }
 */
export function compileACL(policies: ReadonlyArray<{ name: string; policy: Policy; role?: string }>): ACL {
  if (!Array.isArray(policies)) throw new TypeError('policies must be an array of { name, policy }');
  for (const [i, p] of policies.entries()) {
    if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || p.policy === null || typeof p.policy !== 'object') {
      throw new TypeError(`policies[${i}] must be { name: string, policy: Policy }`);
    }
    if (p.role !== undefined && typeof p.role !== 'string') throw new TypeError(`policies[${i}].role must be a string`);
    if (p.name.includes(ROLE_SEP) || (p.role ?? '').includes(ROLE_SEP)) {
      throw new TypeError(`policies[${i}]: names cannot contain NUL`);
    }
  }
  return new CompiledACL(policies);
}
