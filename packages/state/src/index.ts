export { StateStore } from './state-store.js';
export type { CommitListener, ListOptions, StateStoreOptions, StoreStatus, WriteResult } from './state-store.js';
export type { ChangesSinceOptions } from './change-feed.js';
export type { StoreCreateMode } from './open-guard.js';
export type { ReplicatedBatch } from './replication-planner.js';
export { RegionLog } from './region-log.js';
export type { RegionLogStatus, RegionLogWriteOptions, RegionLogWriteResult } from './region-log.js';
export { EmbeddedRegionLog } from './embedded-region-log.js';
export type { CommittedSnapshot } from './external-apply.js';
export type { CommitEntry, EntryOp } from './commit-entry.js';
export type { PlanReads, PlannedEntry } from './plan-reads.js';
export { SecretBox, secretIndexKey } from './secret-box.js';
export type { Logger } from './logger.js';
export { noopLogger } from './logger.js';
export type { StoreMetrics } from './store-metrics.js';
export { noopStoreMetrics } from './store-metrics.js';
export { MAX_OBJECT_BYTES, checkAuthMethod, checkAuthMethodConfig } from './object-shape.js';
export { openAuthMethodRecord, sealedAuthMethodRecord } from './level-layout.js';
export {
  BootstrapError,
  CommitFailedError,
  ConflictError,
  FeedHorizonError,
  InvalidArgumentError,
  NotFoundError,
  RegionLogClosedError,
  SecretKeyMismatchError,
  StateError,
  StoreClosedError,
  StoreCorruptError,
  StoreOpenError,
  StoreRefusedError,
  ValueTooLargeError,
} from './errors.js';
export type { StateErrorCode } from './errors.js';
export type {
  ACLAuthMethod,
  ACLAuthMethodConfig,
  ACLBindingRule,
  ACLPolicy,
  ACLRole,
  ACLRolePolicyLink,
  ACLTokenRoleLink,
  JobACL,
  ACLPolicyStub,
  ACLToken,
  ACLTokenStub,
  Change,
  Mutation,
  TableName,
  TokenType,
} from './types.js';
export type { RecordKind } from './record-mac.js';
