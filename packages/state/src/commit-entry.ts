import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, TableName } from './types.js';

/**
 * One write to an object, with its final value: planners have already applied
 * Nomad's rules (kept SecretID, CreateIndex, ...) and assigned indexes.
 */
export type EntryOp =
  | { readonly type: 'put-token'; readonly token: ACLToken }
  | { readonly type: 'delete-token'; readonly accessor: string }
  | { readonly type: 'put-policy'; readonly policy: ACLPolicy }
  | { readonly type: 'delete-policy'; readonly name: string }
  | { readonly type: 'put-role'; readonly role: ACLRole }
  | { readonly type: 'delete-role'; readonly id: string }
  | { readonly type: 'put-auth-method'; readonly method: ACLAuthMethod }
  | { readonly type: 'delete-auth-method'; readonly name: string }
  | { readonly type: 'put-binding-rule'; readonly rule: ACLBindingRule }
  | { readonly type: 'delete-binding-rule'; readonly id: string };

/**
 * Everything one committed write changes at one region index. This is the
 * seam between a region log and the state machine: the embedded LevelDB log
 * plans entries itself (group commit assigns the indexes), while a future
 * etcd-backed log would build the same entries from watched etcd revisions
 * and hand them to the same `commit` path, which turns them into LevelDB
 * operations and in-memory updates.
 */
export interface CommitEntry {
  /**
   * The region index of this write. Equal to the previous index only for a
   * replication batch that moves nothing but the cursor.
   */
  readonly index: number;
  readonly ops: readonly EntryOp[];
  /** Tables whose table index moves to `index` (also when no object changed). */
  readonly tables: readonly TableName[];
  /** Set by a bootstrap: the new bootstrap (reset) index. */
  readonly bootstrapIndex?: number;
  /** Set by a replication batch: the authoritative index now applied. */
  readonly replicationCursor?: number;
}
