export { Agent } from './agent.js';
export type { AgentOptions, AgentStatus } from './agent.js';
export type { AgentHealth } from './agent-health.js';
export type { HttpServerPorts } from './http/http-server.js';
export type { AclWriteOp, AclWriteResult } from './acl-write.js';
export { loadAgentConfigFile, mergeAgentConfig, parseAgentConfig, resolveAgentConfig } from './config.js';
export type { AgentConfigInput, ResolvedAgentConfig } from './config.js';
export {
  AclDisabledError,
  BadRequestError,
  ConfigError,
  FileExistsError,
  TlsFileError,
  ObjectNotFoundError,
  PermissionDeniedError,
  RegionUnavailableError,
  TokenExpiredError,
  TollgateError,
  UnavailableError,
  WaitTimeoutError,
  httpStatusFor,
} from './errors.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export { deriveAuditKey, hmacSecret } from './audit/audit-key.js';
export { verifyAuditLog } from './audit/audit-verify.js';
export type { AuditFile, AuditVerifyOptions, AuditVerifyResult } from './audit/audit-verify.js';
export { AGENT_USAGE, runAgentCommand } from './run-agent-command.js';
export { ReplicationLoop } from './replication/replication-loop.js';
export type {
  ReplicationErrorReason,
  ReplicationEvent,
  ReplicationLoopOptions,
  ReplicationLoopStatus,
  ReplicationPhase,
  ReplicationReport,
  ResyncReason,
} from './replication/replication-loop.js';
export type { ReplicationSourceView, ReplicationStatusView } from './replication/replication-status.js';
export { createCa, createCert, roleName, DEFAULT_CA_DAYS, DEFAULT_CERT_DAYS, TLS_DOMAIN } from './tls/cert-authority.js';
export type { CertAndKey, CertKind, CreateCaOptions, CreateCertOptions } from './tls/cert-authority.js';
export { CA_FILE, CA_KEY_FILE, certFileNames, writeCaFiles, writeCertFiles } from './tls/cert-files.js';
export { loadTlsMaterial } from './tls/tls-material.js';
export type { TlsMaterial } from './tls/tls-material.js';
