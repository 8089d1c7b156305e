import type { CommitEntry, EntryOp } from './commit-entry.js';
import { InvalidArgumentError } from './errors.js';
import type { Logger } from './logger.js';
import {
  assertObjectSize,
  checkAuthMethod,
  checkBindingRule,
  checkPolicy,
  checkRole,
  checkToken,
  makeAuthMethod,
  makeBindingRule,
  makePolicy,
  makeRole,
  makeToken,
  sameAuthMethod,
  sameBindingRule,
  samePolicy,
  sameRole,
  sameToken,
} from './object-shape.js';
import { RecordingView, type PlannedEntry } from './plan-reads.js';
import type { ReadView } from './read-view.js';
import { secretIndexKey } from './secret-box.js';
import { StagedView } from './staged-view.js';
import { TokenRecord } from './token-record.js';
import { descendantsOf } from './token-tree.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, TableName } from './types.js';

/**
 * A batch of global changes from the authoritative region, applied by a
 * follower's replication loop through `RegionLog.applyReplicated`.
 */
export interface ReplicatedBatch {
  /**
   * The authoritative region's index this batch brings the follower up to;
   * stored as the replication cursor in the same atomic write. Must not go
   * backwards except in a `reset` batch.
   */
  readonly sourceIndex: number;
  /** Global tokens as stored upstream (SecretID, Hash, CreateTime kept as given). */
  readonly upsertTokens: readonly ACLToken[];
  /** Accessors of deleted global tokens; unknown ones are ignored. */
  readonly deleteTokens: readonly string[];
  readonly upsertPolicies: readonly ACLPolicy[];
  /** Names of deleted policies; unknown ones are ignored. */
  readonly deletePolicies: readonly string[];
  /** Roles as stored upstream (absent = none). */
  readonly upsertRoles?: readonly ACLRole[];
  /** IDs of deleted roles; unknown ones are ignored (absent = none). */
  readonly deleteRoles?: readonly string[];
  /** Auth methods as stored upstream, client secret in clear (absent = none). */
  readonly upsertAuthMethods?: readonly ACLAuthMethod[];
  /** Names of deleted auth methods; unknown ones are ignored (absent = none). */
  readonly deleteAuthMethods?: readonly string[];
  /** Binding rules as stored upstream (absent = none). */
  readonly upsertBindingRules?: readonly ACLBindingRule[];
  /** IDs of deleted binding rules; unknown ones are ignored (absent = none). */
  readonly deleteBindingRules?: readonly string[];
  /**
   * `true`: the batch is a full snapshot of the authoritative region's global
   * state, and every global token, policy, role, auth method and binding rule not in it is deleted here.
   * @default false
   */
  readonly reset?: boolean;
}

function stringArray(value: unknown, field: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new InvalidArgumentError(`${field} must be an array of strings`);
  }
  return value;
}

function objectArray(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${field} must be an array`);
  return value;
}

/** `planReplicated`, returning with the entry what the plan read of `view` (see `planMutationWithReads`). */
export function planReplicatedWithReads(
  view: ReadView,
  batch: ReplicatedBatch,
  index: number,
  log: Logger,
  tableIndex: (table: TableName) => number,
): PlannedEntry {
  const recording = new RecordingView(view, tableIndex);
  const entry = planReplicated(recording, batch, index, log);
  return { entry, reads: recording.reads };
}

/**
 * Plans a replicated batch as one entry at `index` (or at the current index
 * when nothing changes and only the cursor moves).
 *
 * Rules: deletes are applied before upserts (a key in both ends upserted);
 * local (non-global) tokens are never created, changed or deleted; objects
 * identical to the stored copy (ignoring indexes) are left alone so a full
 * snapshot costs writes only for real differences; `SourceIndex` is the
 * upstream ModifyIndex (or the batch's `sourceIndex` when that is 0).
 */
export function planReplicated(view: ReadView, batch: ReplicatedBatch, index: number, log: Logger): CommitEntry {
  if (typeof batch !== 'object' || batch === null) throw new InvalidArgumentError('batch must be an object');
  const { sourceIndex } = batch;
  if (typeof sourceIndex !== 'number' || !Number.isSafeInteger(sourceIndex) || sourceIndex < 0) {
    throw new InvalidArgumentError('batch.sourceIndex must be a non-negative integer');
  }
  const reset = batch.reset === true;
  if (!reset && sourceIndex < view.replicationCursor) {
    throw new InvalidArgumentError(
      `batch.sourceIndex ${sourceIndex} is behind the replication cursor ${view.replicationCursor}`,
    );
  }
  const deleteTokens = stringArray(batch.deleteTokens, 'batch.deleteTokens');
  const deletePolicies = stringArray(batch.deletePolicies, 'batch.deletePolicies');
  const rawTokens = objectArray(batch.upsertTokens, 'batch.upsertTokens');
  const rawPolicies = objectArray(batch.upsertPolicies, 'batch.upsertPolicies');
  const deleteRoles = stringArray(batch.deleteRoles ?? [], 'batch.deleteRoles');
  const rawRoles = objectArray(batch.upsertRoles ?? [], 'batch.upsertRoles');

  // Validate everything before planning anything: a malformed batch is refused whole.
  const tokens = new Map<string, ACLToken>();
  rawTokens.forEach((raw, i) => {
    const t = checkToken(raw, `batch.upsertTokens[${i}]`);
    tokens.set(t.AccessorID, t);
  });
  const policies = new Map<string, ACLPolicy>();
  rawPolicies.forEach((raw, i) => {
    const p = checkPolicy(raw, `batch.upsertPolicies[${i}]`);
    policies.set(p.Name, p);
  });

  const roles = new Map<string, ACLRole>();
  rawRoles.forEach((raw, i) => {
    const r = checkRole(raw, `batch.upsertRoles[${i}]`);
    roles.set(r.ID, r);
  });

  const deleteMethods = stringArray(batch.deleteAuthMethods ?? [], 'batch.deleteAuthMethods');
  const methods = new Map<string, ACLAuthMethod>();
  objectArray(batch.upsertAuthMethods ?? [], 'batch.upsertAuthMethods').forEach((raw, i) => {
    const m = checkAuthMethod(raw, `batch.upsertAuthMethods[${i}]`);
    methods.set(m.Name, m);
  });
  const deleteRules = stringArray(batch.deleteBindingRules ?? [], 'batch.deleteBindingRules');
  const rules = new Map<string, ACLBindingRule>();
  objectArray(batch.upsertBindingRules ?? [], 'batch.upsertBindingRules').forEach((raw, i) => {
    const r = checkBindingRule(raw, `batch.upsertBindingRules[${i}]`);
    rules.set(r.ID, r);
  });

  const staged = new StagedView(view);
  const ops: EntryOp[] = [];
  const push = (op: EntryOp): void => {
    staged.applyOp(op);
    ops.push(op);
  };
  const sourceOf = (modifyIndex: number): number => (modifyIndex > 0 ? modifyIndex : sourceIndex);

  for (const accessor of new Set(deleteTokens)) {
    const existing = staged.token(accessor);
    if (existing === undefined) continue;
    if (!existing.Global) {
      log.warn({ accessor }, 'replication asked to delete a local token; ignored');
      continue;
    }
    push({ type: 'delete-token', accessor });
  }
  for (const name of new Set(deletePolicies)) {
    if (staged.policy(name) !== undefined) push({ type: 'delete-policy', name });
  }
  for (const id of new Set(deleteRoles)) {
    if (staged.role(id) !== undefined) push({ type: 'delete-role', id });
  }
  for (const name of new Set(deleteMethods)) {
    if (staged.authMethod(name) !== undefined) push({ type: 'delete-auth-method', name });
  }
  for (const id of new Set(deleteRules)) {
    if (staged.bindingRule(id) !== undefined) push({ type: 'delete-binding-rule', id });
  }

  for (const t of tokens.values()) {
    if (!t.Global) {
      log.warn({ accessor: t.AccessorID }, 'replication sent a non-global token; ignored');
      continue;
    }
    const existing = staged.token(t.AccessorID);
    if (existing !== undefined && !existing.Global) {
      log.warn({ accessor: t.AccessorID }, 'replicated global token collides with a local token; ignored');
      continue;
    }
    // Hashed once: the lookup, the record the store keeps and its index keys share it.
    const secretHash = secretIndexKey(t.SecretID);
    const holder = staged.accessorBySecretHash(secretHash);
    if (holder !== undefined && holder !== t.AccessorID) {
      log.error(
        { accessor: t.AccessorID, holder },
        'replicated global token shares its SecretID with another token here; ignored',
      );
      continue;
    }
    if (existing !== undefined && sameToken(existing, t)) continue;
    const token = TokenRecord.fromToken(
      makeToken({
        ...t,
        CreateIndex: existing?.CreateIndex ?? index,
        ModifyIndex: index,
        SourceIndex: sourceOf(t.ModifyIndex),
      }),
      secretHash,
    );
    assertObjectSize(token, `token ${token.AccessorID}`);
    push({ type: 'put-token', token });
  }
  for (const p of policies.values()) {
    const existing = staged.policy(p.Name);
    if (existing !== undefined && samePolicy(existing, p)) continue;
    const policy = makePolicy({
      ...p,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      SourceIndex: sourceOf(p.ModifyIndex),
    });
    assertObjectSize(policy, `policy ${policy.Name}`);
    push({ type: 'put-policy', policy });
  }

  // A rename upstream can arrive before the delete of the role whose name it
  // takes (in a reset, or in one batch): the local holder of the name goes first.
  for (const r of roles.values()) {
    const holder = staged.roleByName(r.Name);
    if (holder !== undefined && holder.ID !== r.ID) push({ type: 'delete-role', id: holder.ID });
  }
  for (const r of roles.values()) {
    const existing = staged.role(r.ID);
    if (existing !== undefined && sameRole(existing, r)) continue;
    const role = makeRole({
      ...r,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      SourceIndex: sourceOf(r.ModifyIndex),
    });
    assertObjectSize(role, `role ${role.ID}`);
    push({ type: 'put-role', role });
  }

  // Upstream enforced its rules (one default per type, the rule's method
  // existing when written): copies are taken as they are.
  for (const m of methods.values()) {
    const existing = staged.authMethod(m.Name);
    if (existing !== undefined && sameAuthMethod(existing, m)) continue;
    const method = makeAuthMethod({
      ...m,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      SourceIndex: sourceOf(m.ModifyIndex),
    });
    assertObjectSize(method, `auth method ${method.Name}`);
    push({ type: 'put-auth-method', method });
  }
  for (const r of rules.values()) {
    const existing = staged.bindingRule(r.ID);
    if (existing !== undefined && sameBindingRule(existing, r)) continue;
    const rule = makeBindingRule({
      ...r,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      SourceIndex: sourceOf(r.ModifyIndex),
    });
    assertObjectSize(rule, `binding rule ${rule.ID}`);
    push({ type: 'put-binding-rule', rule });
  }

  if (reset) {
    const goneTokens: string[] = [];
    staged.forEachToken((t) => {
      if (t.Global && !tokens.has(t.AccessorID)) goneTokens.push(t.AccessorID);
    });
    const gonePolicies: string[] = [];
    staged.forEachPolicy((p) => {
      if (!policies.has(p.Name)) gonePolicies.push(p.Name);
    });
    const goneRoles: string[] = [];
    staged.forEachRole((r) => {
      if (!roles.has(r.ID)) goneRoles.push(r.ID);
    });
    for (const accessor of goneTokens) push({ type: 'delete-token', accessor });
    for (const name of gonePolicies) push({ type: 'delete-policy', name });
    for (const id of goneRoles) push({ type: 'delete-role', id });
    const goneMethods: string[] = [];
    staged.forEachAuthMethod((m) => {
      if (!methods.has(m.Name)) goneMethods.push(m.Name);
    });
    const goneRules: string[] = [];
    staged.forEachBindingRule((r) => {
      if (!rules.has(r.ID)) goneRules.push(r.ID);
    });
    for (const name of goneMethods) push({ type: 'delete-auth-method', name });
    for (const id of goneRules) push({ type: 'delete-binding-rule', id });
  }

  // A local child of a deleted global token dies with it, here, in the same
  // write (the authoritative region cannot see this region's local tokens;
  // global descendants arrive as deletions of their own). Walked after the
  // upserts, so a child orphaned upstream in the same batch is not taken.
  const deletedGlobal = ops.flatMap((op) => (op.type === 'delete-token' ? [op.accessor] : []));
  if (deletedGlobal.length > 0) {
    for (const accessor of descendantsOf(staged, deletedGlobal, (t) => !t.Global)) push({ type: 'delete-token', accessor });
  }

  if (ops.length === 0) {
    // Nothing to change: persist the cursor without spending a region index.
    return { index: view.index, ops, tables: [], replicationCursor: sourceIndex };
  }
  const tables = new Set<TableName>();
  for (const op of ops) tables.add(tableOf(op));
  return { index, ops, tables: [...tables], replicationCursor: sourceIndex };
}

function tableOf(op: EntryOp): TableName {
  switch (op.type) {
    case 'put-token':
    case 'delete-token':
      return 'acl_token';
    case 'put-policy':
    case 'delete-policy':
      return 'acl_policy';
    case 'put-role':
    case 'delete-role':
      return 'acl_role';
    case 'put-auth-method':
    case 'delete-auth-method':
      return 'acl_auth_method';
    case 'put-binding-rule':
    case 'delete-binding-rule':
      return 'acl_binding_rule';
  }
}
