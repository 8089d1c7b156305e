export { TollgateClient } from './tollgate-client.js';
export type { ApiResponse, QueryOptions, RequestOptions } from './tollgate-client.js';
export { DEFAULT_ADDRESS, DEFAULT_TIMEOUT_MS, resolveClientOptions } from './client-options.js';
export type { ResolvedClientOptions, TollgateClientOptions } from './client-options.js';
export { ApiError, ConnectionError, InvalidResponseError, TollgateClientError } from './errors.js';
export type {
  AclAuthMethod,
  AclAuthMethodConfig,
  AclAuthMethodListStub,
  AclAuthMethodWriteRequest,
  AclBindingRule,
  AclBindingRuleListStub,
  AclBindingRuleWriteRequest,
  AclLoginRequest,
  AclJobACL,
  AclPolicy,
  AclPolicyListStub,
  AclPolicyWriteRequest,
  AclRole,
  AclRoleLinkRequest,
  AclRoleListStub,
  AclRolePolicyLink,
  AclRoleWriteRequest,
  AclToken,
  AclTokenCreateRequest,
  AclTokenListStub,
  AclTokenRoleLink,
  AclTokenType,
  AclTokenUpdateRequest,
  AclTokenRenewRequest,
  AclTokenUploadRequest,
  AgentHealth,
  AuthorizeCheck,
  AuthorizeResponse,
  AuthorizeResult,
  PolicyValidation,
  ReplicationSource,
  ReplicationStatus,
} from './types.js';
export { resolveClientTls, tlsFetch } from './client-tls.js';
export type { ClientTlsOptions, ResolvedClientTls } from './client-tls.js';
