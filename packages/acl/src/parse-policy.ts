import {
  HOST_VOLUME_CAPABILITIES,
  HOST_VOLUME_IMPLIED_CAPABILITIES,
  HOST_VOLUME_POLICY_EXPANSION,
  NAMESPACE_CAPABILITIES,
  NAMESPACE_POLICY_EXPANSION,
  NODE_POOL_CAPABILITIES,
  NODE_POOL_POLICY_EXPANSION,
  OPERATOR_CAPABILITIES,
  OPERATOR_POLICY_EXPANSION,
  PLUGIN_POLICY_LEVELS,
  POLICY_LEVELS,
  SENTINEL_CAPABILITIES,
  SENTINEL_POLICY_EXPANSION,
  VARIABLE_CAPABILITIES,
  expand,
  type ExpansionTable,
} from './capabilities.js';
import { compareBytes } from './byte-order.js';
import { PolicyError } from './errors.js';
import { decodeHcl, type HclValue } from './hcl-document.js';
import {
  EMPTY_POLICY,
  type CapabilityRule,
  type CoarseRule,
  type LabelledRule,
  type NamespaceRule,
  type Policy,
  type VariablePathRule,
} from './policy.js';

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /**
   * Reject unknown and duplicate keys. Use strict mode when a policy is
   * created or updated, lenient mode when evaluating stored policies (which
   * may predate a rule), as Nomad does.
   * @default true
   */
  readonly strict?: boolean;
}

type HclObject = { [key: string]: HclValue };

const NAMESPACE_NAME = /^[a-zA-Z0-9-*]{1,128}$/;
const NODE_POOL_NAME = /^[a-zA-Z0-9-_*]{1,128}$/;
const HOST_VOLUME_NAME = /^[a-zA-Z0-9-*]{1,128}$/;

const SINGLE_BLOCKS = ['agent', 'node', 'operator', 'sentinel', 'quota', 'plugin'] as const;
type SingleBlock = (typeof SINGLE_BLOCKS)[number];
const LABELLED_BLOCKS = ['namespace', 'node_pool', 'host_volume'] as const;
const KNOWN_TOP_LEVEL: ReadonlySet<string> = new Set<string>([...LABELLED_BLOCKS, ...SINGLE_BLOCKS]);

const NAMESPACE_KEYS: ReadonlySet<string> = new Set(['policy', 'capabilities', 'variables']);
const LABELLED_KEYS: ReadonlySet<string> = new Set(['policy', 'capabilities']);
const COARSE_KEYS: ReadonlySet<string> = new Set(['policy']);
const CAPABILITY_BLOCK_KEYS: ReadonlySet<string> = new Set(['policy', 'capabilities']);
const VARIABLES_KEYS: ReadonlySet<string> = new Set(['path']);
const PATH_KEYS: ReadonlySet<string> = new Set(['capabilities']);

const NAMESPACE_CAPS: ReadonlySet<string> = new Set(NAMESPACE_CAPABILITIES);
const VARIABLE_CAPS: ReadonlySet<string> = new Set(VARIABLE_CAPABILITIES);
const NODE_POOL_CAPS: ReadonlySet<string> = new Set(NODE_POOL_CAPABILITIES);
const HOST_VOLUME_CAPS: ReadonlySet<string> = new Set(HOST_VOLUME_CAPABILITIES);
const OPERATOR_CAPS: ReadonlySet<string> = new Set(OPERATOR_CAPABILITIES);
const SENTINEL_CAPS: ReadonlySet<string> = new Set(SENTINEL_CAPABILITIES);
const POLICY_VALUES: ReadonlySet<string> = new Set(POLICY_LEVELS);
const PLUGIN_POLICY_VALUES: ReadonlySet<string> = new Set(PLUGIN_POLICY_LEVELS);

/** A block as found in the document, before validation. */
interface RawBlock {
  /** `""` when the label is missing, like Nomad's hclDecode fix-up. */
  readonly label: string;
  readonly body: HclObject;
}

interface RawNamespace {
  readonly name: string;
  readonly policy: string;
  readonly capabilities: string[];
  readonly variables: { paths: { pathSpec: string; capabilities: string[] }[] } | null;
}

interface RawLabelled {
  readonly name: string;
  readonly policy: string;
  readonly capabilities: string[];
}

interface RawCapabilityBlock {
  readonly policy: string;
  readonly capabilities: string[];
}

/**
 * Parses and validates policy rules (HCL1 or JSON), as Nomad's `acl.Parse`.
 *
 * Empty rules give an empty policy that grants nothing. Strict mode (the
 * default) additionally rejects unknown or duplicate top-level keys, repeated
 * labels (`namespace "a"` twice), and unknown keys inside blocks. Checks run
 * in Nomad's order, so the first error reported is Nomad's: namespaces,
 * node pools, host volumes, unknown/duplicate keys, then agent, node,
 * operator, sentinel, quota, plugin.
 *
 * Throws {@link PolicyError} (and nothing else) for any string input; the
 * message is what Nomad prints after `failed to parse rules: `. Where Nomad
 * prints a Go `%#v` struct (e.g. `&acl.AgentPolicy{Policy:""}`), the message
 * shows a readable HCL-like form of the block instead, e.g.
 * `Invalid agent policy: agent { policy = "" }`. Inputs over 64 KiB are
 * rejected before parsing.
 *
 * Parsing costs about a millisecond for a typical policy (GopherJS), so
 * callers on a request path should cache parsed policies.
 *
 * @example
 * const policy = parsePolicy('namespace "prod-*" { policy = "read" }');
 */
export function parsePolicy(rules: string, opts?: ParsePolicyOptions): Policy {
  if (typeof rules !== 'string') {
    throw new TypeError(`rules must be a string, got ${describeJs(rules)}`);
  }
  const strict = opts?.strict ?? true;
  if (rules === '') return EMPTY_POLICY;

  const doc = decodeHcl(rules);
  const extraKeys: string[] = [];

  // Decode stage: shape and type checks. Go's hcl.Decode fails here too, so
  // these errors carry the "Failed to parse ACL Policy:" prefix.
  const namespaceBlocks = labelledBlocks(doc, 'namespace');
  const nodePoolBlocks = labelledBlocks(doc, 'node_pool');
  const hostVolumeBlocks = labelledBlocks(doc, 'host_volume');
  const singles = new Map<SingleBlock, HclObject>();
  for (const key of SINGLE_BLOCKS) {
    const bodies = singleBlocks(doc, key);
    const last = bodies.at(-1);
    if (last === undefined) continue;
    // hcl decodes every repeated block into the same pointer: the last wins.
    singles.set(key, last);
    if (bodies.length > 1) extraKeys.push(key);
  }
  for (const key of Object.keys(doc)) {
    if (!KNOWN_TOP_LEVEL.has(key)) extraKeys.push(key);
  }

  const namespaces = namespaceBlocks.map((b) => decodeNamespace(b, extraKeys));
  const nodePools = nodePoolBlocks.map((b) => decodeLabelled(b, 'node_pool', extraKeys));
  const hostVolumes = hostVolumeBlocks.map((b) => decodeLabelled(b, 'host_volume', extraKeys));
  // Two blocks with one label (`namespace "a" {}` twice) are valid Nomad:
  // both are kept (RulesJSON shows both) and compilation unions them.

  const agent = decodeSingle(singles, 'agent', COARSE_KEYS, extraKeys);
  const node = decodeSingle(singles, 'node', COARSE_KEYS, extraKeys);
  const operator = decodeSingle(singles, 'operator', CAPABILITY_BLOCK_KEYS, extraKeys);
  const sentinel = decodeSingle(singles, 'sentinel', CAPABILITY_BLOCK_KEYS, extraKeys);
  const quota = decodeSingle(singles, 'quota', COARSE_KEYS, extraKeys);
  const plugin = decodeSingle(singles, 'plugin', COARSE_KEYS, extraKeys);

  const empty =
    namespaces.length === 0 &&
    nodePools.length === 0 &&
    hostVolumes.length === 0 &&
    agent === null &&
    node === null &&
    operator === null &&
    sentinel === null &&
    quota === null &&
    plugin === null;
  if (empty) throw new PolicyError(`Invalid policy: ${rules}`);

  const nsRules = namespaces.map(validateNamespace);
  const poolRules = nodePools.map(validateNodePool);
  const volumeRules = hostVolumes.map(validateHostVolume);

  if (strict && extraKeys.length > 0) {
    const unique = [...new Set(extraKeys)].sort(compareBytes);
    throw new PolicyError(`Invalid or duplicate policy keys: ${unique.join(', ')}`);
  }

  const policy: Policy = {
    raw: rules,
    namespaces: Object.freeze(nsRules),
    nodePools: Object.freeze(poolRules),
    hostVolumes: Object.freeze(volumeRules),
    agent: agent === null ? null : validateCoarse('agent', agent, POLICY_VALUES),
    node: node === null ? null : validateCoarse('node', node, POLICY_VALUES),
    operator:
      operator === null ? null : validateCapabilityBlock('operator', operator, OPERATOR_CAPS, OPERATOR_POLICY_EXPANSION),
    sentinel:
      sentinel === null ? null : validateCapabilityBlock('sentinel', sentinel, SENTINEL_CAPS, SENTINEL_POLICY_EXPANSION),
    quota: quota === null ? null : validateCoarse('quota', quota, POLICY_VALUES),
    plugin: plugin === null ? null : validateCoarse('plugin', plugin, PLUGIN_POLICY_VALUES),
  };
  return Object.freeze(policy);
}

// ---------------------------------------------------------------------------
// Decode stage: turn the generic document into typed raw blocks.

function fail(detail: string): never {
  throw new PolicyError(`Failed to parse ACL Policy: ${detail}`);
}

function describeJs(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'block';
  return typeof value;
}

function isObject(value: HclValue | undefined): value is HclObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asBlockList(value: HclValue, where: string): HclObject[] {
  if (!Array.isArray(value) || !value.every(isObject)) {
    fail(`${where}: expected a block, got ${describeJs(value)}`);
  }
  return value as HclObject[];
}

// A labelled block comes back as { "<label>": [ {body}, ... ] }. A block
// written without a label comes back as its body alone; it is recognised
// by not having that single-key, list-of-bodies shape. (The one ambiguous
// case, an unlabelled block whose only content is one sub-block, is read as
// a label, and strict mode then reports the sub-block's keys as unknown.)
function splitLabelled(entries: HclObject[]): RawBlock[] {
  const blocks: RawBlock[] = [];
  for (const entry of entries) {
    const keys = Object.keys(entry);
    const only = keys.length === 1 ? keys[0] : undefined;
    const value = only === undefined ? undefined : entry[only];
    if (only !== undefined && Array.isArray(value) && value.length > 0 && value.every(isObject)) {
      for (const body of value) blocks.push({ label: only, body: body as HclObject });
    } else {
      blocks.push({ label: '', body: entry });
    }
  }
  return blocks;
}

function labelledBlocks(doc: HclObject, key: string): RawBlock[] {
  const value = doc[key];
  if (value === undefined) return [];
  return splitLabelled(asBlockList(value, key));
}

function singleBlocks(doc: HclObject, key: string): HclObject[] {
  const value = doc[key];
  if (value === undefined) return [];
  return asBlockList(value, key);
}

function readString(body: HclObject, field: string, where: string): string {
  const value = body[field];
  if (value === undefined) return '';
  if (typeof value !== 'string') fail(`${where}: ${field} must be a string, got ${describeJs(value)}`);
  return value;
}

function readStringList(body: HclObject, field: string, where: string): string[] {
  const value = body[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${where}: ${field} must be a list of strings, got ${describeJs(value)}`);
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item !== 'string') fail(`${where}: ${field}[${i}] must be a string, got ${describeJs(item)}`);
    out.push(item);
  });
  return out;
}

function collectUnknownKeys(body: HclObject, allowed: ReadonlySet<string>, where: string, extraKeys: string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.has(key)) extraKeys.push(`${where}.${key}`);
  }
}

function blockName(kind: string, label: string): string {
  return `${kind} ${JSON.stringify(label)}`;
}

function decodeNamespace(block: RawBlock, extraKeys: string[]): RawNamespace {
  const where = blockName('namespace', block.label);
  collectUnknownKeys(block.body, NAMESPACE_KEYS, where, extraKeys);
  const policy = readString(block.body, 'policy', where);
  const capabilities = readStringList(block.body, 'capabilities', where);

  let variables: RawNamespace['variables'] = null;
  const rawVariables = block.body['variables'];
  if (rawVariables !== undefined) {
    const bodies = asBlockList(rawVariables, `${where}.variables`);
    // A repeated `variables` block: hcl keeps the last one.
    if (bodies.length > 1) extraKeys.push(`${where}.variables`);
    const body = bodies.at(-1) ?? {};
    const varsWhere = `${where}.variables`;
    collectUnknownKeys(body, VARIABLES_KEYS, varsWhere, extraKeys);
    const rawPaths = body['path'];
    const pathBlocks = rawPaths === undefined ? [] : splitLabelled(asBlockList(rawPaths, `${varsWhere}.path`));
    const seen = new Set<string>();
    const paths = pathBlocks.map((p) => {
      const pathWhere = `${varsWhere}.${blockName('path', p.label)}`;
      if (seen.has(p.label)) extraKeys.push(pathWhere);
      seen.add(p.label);
      collectUnknownKeys(p.body, PATH_KEYS, pathWhere, extraKeys);
      return { pathSpec: p.label, capabilities: readStringList(p.body, 'capabilities', pathWhere) };
    });
    variables = { paths };
  }
  return { name: block.label, policy, capabilities, variables };
}

function decodeLabelled(block: RawBlock, kind: string, extraKeys: string[]): RawLabelled {
  const where = blockName(kind, block.label);
  collectUnknownKeys(block.body, LABELLED_KEYS, where, extraKeys);
  return {
    name: block.label,
    policy: readString(block.body, 'policy', where),
    capabilities: readStringList(block.body, 'capabilities', where),
  };
}

function decodeSingle(
  singles: ReadonlyMap<SingleBlock, HclObject>,
  kind: SingleBlock,
  allowed: ReadonlySet<string>,
  extraKeys: string[],
): RawCapabilityBlock | null {
  const body = singles.get(kind);
  if (body === undefined) return null;
  collectUnknownKeys(body, allowed, kind, extraKeys);
  return {
    policy: readString(body, 'policy', kind),
    capabilities: allowed.has('capabilities') ? readStringList(body, 'capabilities', kind) : [],
  };
}

// ---------------------------------------------------------------------------
// Validation stage, in Nomad's order and with Nomad's messages.

function quoteList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

// Readable stand-in for Go's `%#v` of a policy struct, e.g.
// `namespace "a" { policy = "bogus", capabilities = ["read-job"] }`.
function describeBlock(kind: string, label: string | null, policy: string, capabilities?: readonly string[]): string {
  const head = label === null ? kind : blockName(kind, label);
  const fields = [`policy = ${JSON.stringify(policy)}`];
  if (capabilities !== undefined && capabilities.length > 0) fields.push(`capabilities = ${quoteList(capabilities)}`);
  return `${head} { ${fields.join(', ')} }`;
}

function expandCapabilities(explicit: readonly string[], table: ExpansionTable, policy: string): string[] {
  return policy === '' ? [...explicit] : [...explicit, ...expand(table, policy)];
}

function validateNamespace(ns: RawNamespace): NamespaceRule {
  const describe = (): string => describeBlock('namespace', ns.name, ns.policy, ns.capabilities);
  if (!NAMESPACE_NAME.test(ns.name)) throw new PolicyError(`Invalid namespace name: ${describe()}`);
  if (ns.policy !== '' && !POLICY_VALUES.has(ns.policy)) throw new PolicyError(`Invalid namespace policy: ${describe()}`);
  for (const cap of ns.capabilities) {
    if (!NAMESPACE_CAPS.has(cap)) throw new PolicyError(`Invalid namespace capability '${cap}': ${describe()}`);
  }

  const capabilities = expandCapabilities(ns.capabilities, NAMESPACE_POLICY_EXPANSION, ns.policy);
  // Implied host-volume capabilities, appended after the shorthand (they may
  // duplicate entries; compilation de-duplicates, as in Nomad).
  const implied: string[] = [];
  for (const cap of capabilities) implied.push(...expand(HOST_VOLUME_IMPLIED_CAPABILITIES, cap));
  capabilities.push(...implied);

  let variables: NamespaceRule['variables'] = null;
  if (ns.variables !== null) {
    if (ns.variables.paths.length === 0) {
      throw new PolicyError(`Invalid variable policy: no variable paths in namespace ${ns.name}`);
    }
    const paths: VariablePathRule[] = [];
    for (const path of ns.variables.paths) {
      if (path.pathSpec === '') throw new PolicyError(`Invalid missing variable path in namespace ${ns.name}`);
      if (path.pathSpec.startsWith('/')) {
        // The stray backtick at the end is in Nomad's message too.
        throw new PolicyError(
          `Invalid variable path ${JSON.stringify(path.pathSpec)} in namespace ${ns.name}: cannot start with a leading '/'\``,
        );
      }
      for (const cap of path.capabilities) {
        if (!VARIABLE_CAPS.has(cap)) throw new PolicyError(`Invalid variable capability '${cap}' in namespace ${ns.name}`);
      }
      paths.push(Object.freeze({ pathSpec: path.pathSpec, capabilities: Object.freeze(expandVariableCapabilities(path.capabilities)) }));
    }
    variables = Object.freeze({ paths: Object.freeze(paths) });
  }

  return Object.freeze({ name: ns.name, policy: ns.policy, capabilities: Object.freeze(capabilities), variables });
}

// Any deny reduces a path to [deny]; read without list gains list. (Nomad's
// docs say write implies list too; the code does not, and neither do we.)
function expandVariableCapabilities(caps: readonly string[]): string[] {
  if (caps.includes('deny')) return ['deny'];
  if (caps.includes('read') && !caps.includes('list')) return [...caps, 'list'];
  return [...caps];
}

function validateNodePool(np: RawLabelled): LabelledRule {
  if (!NODE_POOL_NAME.test(np.name)) throw new PolicyError(`Invalid node pool name '${np.name}'`);
  if (np.policy !== '' && !POLICY_VALUES.has(np.policy)) {
    throw new PolicyError(`Invalid node pool policy '${np.policy}' for '${np.name}'`);
  }
  for (const cap of np.capabilities) {
    if (!NODE_POOL_CAPS.has(cap)) throw new PolicyError(`Invalid node pool capability '${cap}' for '${np.name}'`);
  }
  return Object.freeze({
    name: np.name,
    policy: np.policy,
    capabilities: Object.freeze(expandCapabilities(np.capabilities, NODE_POOL_POLICY_EXPANSION, np.policy)),
  });
}

function validateHostVolume(hv: RawLabelled): LabelledRule {
  const describe = (): string => describeBlock('host_volume', hv.name, hv.policy, hv.capabilities);
  if (!HOST_VOLUME_NAME.test(hv.name)) throw new PolicyError(`Invalid host volume name: ${describe()}`);
  if (hv.policy !== '' && !POLICY_VALUES.has(hv.policy)) throw new PolicyError(`Invalid host volume policy: ${describe()}`);
  for (const cap of hv.capabilities) {
    if (!HOST_VOLUME_CAPS.has(cap)) throw new PolicyError(`Invalid host volume capability '${cap}': ${describe()}`);
  }
  return Object.freeze({
    name: hv.name,
    policy: hv.policy,
    capabilities: Object.freeze(expandCapabilities(hv.capabilities, HOST_VOLUME_POLICY_EXPANSION, hv.policy)),
  });
}

// agent, node, quota and plugin: the shorthand is required.
function validateCoarse(kind: string, block: RawCapabilityBlock, allowed: ReadonlySet<string>): CoarseRule {
  if (!allowed.has(block.policy)) throw new PolicyError(`Invalid ${kind} policy: ${describeBlock(kind, null, block.policy)}`);
  return Object.freeze({ policy: block.policy });
}

// operator and sentinel: the shorthand is optional (since Nomad 2.0).
function validateCapabilityBlock(
  kind: 'operator' | 'sentinel',
  block: RawCapabilityBlock,
  allowedCaps: ReadonlySet<string>,
  table: ExpansionTable,
): CapabilityRule {
  if (block.policy !== '' && !POLICY_VALUES.has(block.policy)) {
    throw new PolicyError(`Invalid ${kind} policy: ${describeBlock(kind, null, block.policy, block.capabilities)}`);
  }
  for (const cap of block.capabilities) {
    if (!allowedCaps.has(cap)) throw new PolicyError(`Invalid ${kind} capability '${cap}'`);
  }
  return Object.freeze({
    policy: block.policy,
    capabilities: Object.freeze(expandCapabilities(block.capabilities, table, block.policy)),
  });
}
