export { ACLCache, aclCacheKey } from './acl-cache.js';
export type { ACLCacheOptions } from './acl-cache.js';
export { GLOB_CACHE_LIMIT, MANAGEMENT_ACL, MEMO_NAME_LIMIT, compileACL } from './acl.js';
export type { ACL } from './acl.js';
export { AUTHORIZE_RESOURCES, MAX_CHECK_NAME_LENGTH, checkableCapabilities, validateCheck } from './authorize-check.js';
export type { AuthorizeCheck, AuthorizeDecision, AuthorizeResource } from './authorize-check.js';
export {
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
  POLICY_DENY,
  POLICY_LEVELS,
  POLICY_LIST,
  POLICY_READ,
  POLICY_SCALE,
  POLICY_WRITE,
  SENTINEL_CAPABILITIES,
  SENTINEL_POLICY_EXPANSION,
  VARIABLE_CAPABILITIES,
} from './capabilities.js';
export type { ExpansionTable } from './capabilities.js';
export { CheckError, DurationError, PolicyError, PolicyParserBusyError } from './errors.js';
export type { AclErrorCode } from './errors.js';
export { compileGlob, globMatch } from './glob.js';
export type { CompiledGlob } from './glob.js';
export { formatGoDuration, formatGoDurationNs, parseGoDuration } from './go-duration.js';
export { MAX_NESTING, MAX_RULES_BYTES, decodeHcl } from './hcl-document.js';
export type { HclValue } from './hcl-document.js';
export { parsePolicy } from './parse-policy.js';
export type { ParsePolicyOptions } from './parse-policy.js';
export { IN_PROCESS_POLICY_PARSER, PolicyParsePool } from './policy-parse-pool.js';
export type { PolicyParsePoolOptions, PolicyParser } from './policy-parse-pool.js';
export { EMPTY_POLICY } from './policy.js';
export type { CapabilityRule, CoarseRule, LabelledRule, NamespaceRule, Policy, VariablePathRule, VariablesRule } from './policy.js';
export { policyToRulesJSON } from './rules-json.js';
export type {
  CapabilityRulesJSON,
  CoarseRulesJSON,
  LabelledRulesJSON,
  NamespaceRulesJSON,
  RulesJSON,
} from './rules-json.js';
