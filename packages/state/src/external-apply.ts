import type { CommitEntry, EntryOp } from './commit-entry.js';
import { InvalidArgumentError } from './errors.js';
import {
  checkAuthMethod,
  checkBindingRule,
  checkPolicy,
  checkRole,
  checkToken,
  sameAuthMethod,
  sameBindingRule,
  samePolicy,
  sameRole,
  sameToken,
} from './object-shape.js';
import type { ReadView } from './read-view.js';
import { StagedView } from './staged-view.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, TableName } from './types.js';

/**
 * The whole committed state of an external region log at one position (HA:
 * every key under the region's etcd prefix, read at one revision). Applied
 * with `StateStore.applySnapshot` when the log can no longer replay changes
 * since the store's index (etcd compacted them) or on first start.
 */
export interface CommittedSnapshot {
  /** The log position the snapshot was read at; becomes the store's index. */
  readonly index: number;
  /** Every token, with its final `CreateIndex` / `ModifyIndex` from the log. */
  readonly tokens: readonly ACLToken[];
  /** Every policy, with its final indexes from the log. */
  readonly policies: readonly ACLPolicy[];
  /** Every role, with its final indexes from the log (absent = none, for older logs). */
  readonly roles?: readonly ACLRole[];
  /** Every auth method (absent = none). */
  readonly authMethods?: readonly ACLAuthMethod[];
  /** Every binding rule (absent = none). */
  readonly bindingRules?: readonly ACLBindingRule[];
  /** Index of the last bootstrap; 0 = never bootstrapped. */
  readonly bootstrapIndex: number;
  /** Authoritative index this follower region has applied; 0 = none. */
  readonly replicationCursor: number;
}

const TABLES: readonly TableName[] = ['acl_token', 'acl_policy', 'acl_role', 'acl_auth_method', 'acl_binding_rule'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function counter(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError(`${field} must be a non-negative integer`);
  }
  return v;
}

/** Indexes of an object written by an external log: 1 ≤ CreateIndex ≤ ModifyIndex ≤ `index`. */
function checkIndexes(o: { CreateIndex: number; ModifyIndex: number }, index: number, field: string): void {
  if (o.CreateIndex < 1 || o.CreateIndex > o.ModifyIndex || o.ModifyIndex > index) {
    throw new InvalidArgumentError(`${field} must have 1 <= CreateIndex <= ModifyIndex <= ${index}`);
  }
}

/**
 * Checks one entry committed by an external region log against `view` (the
 * state before it) and returns a normalized copy. The log already decided
 * the write; the store only refuses what would corrupt it: an index that
 * does not move forward, malformed objects, object indexes beyond the
 * entry's, or two tokens sharing a SecretID.
 */
export function checkCommittedEntry(view: ReadView, raw: unknown, field: string): CommitEntry {
  if (!isRecord(raw)) throw new InvalidArgumentError(`${field} must be an object`);
  const index = counter(raw['index'], `${field}.index`);
  if (index <= view.index) {
    throw new InvalidArgumentError(`${field}.index ${index} must be greater than the store's index ${view.index}`);
  }
  const rawOps = raw['ops'];
  if (!Array.isArray(rawOps)) throw new InvalidArgumentError(`${field}.ops must be an array`);
  const staged = new StagedView(view);
  const ops: EntryOp[] = rawOps.map((op: unknown, i) => {
    const f = `${field}.ops[${i}]`;
    if (!isRecord(op)) throw new InvalidArgumentError(`${f} must be an object`);
    let checked: EntryOp;
    switch (op['type']) {
      case 'put-token': {
        const token = checkToken(op['token'], `${f}.token`);
        checkIndexes(token, index, `${f}.token`);
        const holder = staged.accessorBySecret(token.SecretID);
        if (holder !== undefined && holder !== token.AccessorID) {
          throw new InvalidArgumentError(`${f}.token ${token.AccessorID} has the SecretID of token ${holder}`);
        }
        checked = { type: 'put-token', token };
        break;
      }
      case 'put-policy': {
        const policy = checkPolicy(op['policy'], `${f}.policy`);
        checkIndexes(policy, index, `${f}.policy`);
        checked = { type: 'put-policy', policy };
        break;
      }
      case 'put-role': {
        const role = checkRole(op['role'], `${f}.role`);
        checkIndexes(role, index, `${f}.role`);
        const named = staged.roleByName(role.Name);
        if (named !== undefined && named.ID !== role.ID) {
          throw new InvalidArgumentError(`${f}.role ${role.ID} has the name of role ${named.ID}`);
        }
        checked = { type: 'put-role', role };
        break;
      }
      case 'delete-role':
        if (typeof op['id'] !== 'string') throw new InvalidArgumentError(`${f}.id must be a string`);
        checked = { type: 'delete-role', id: op['id'] };
        break;
      case 'put-auth-method': {
        const method = checkAuthMethod(op['method'], `${f}.method`);
        checkIndexes(method, index, `${f}.method`);
        checked = { type: 'put-auth-method', method };
        break;
      }
      case 'delete-auth-method':
        if (typeof op['name'] !== 'string') throw new InvalidArgumentError(`${f}.name must be a string`);
        checked = { type: 'delete-auth-method', name: op['name'] };
        break;
      case 'put-binding-rule': {
        const rule = checkBindingRule(op['rule'], `${f}.rule`);
        checkIndexes(rule, index, `${f}.rule`);
        checked = { type: 'put-binding-rule', rule };
        break;
      }
      case 'delete-binding-rule':
        if (typeof op['id'] !== 'string') throw new InvalidArgumentError(`${f}.id must be a string`);
        checked = { type: 'delete-binding-rule', id: op['id'] };
        break;
      case 'delete-token':
        if (typeof op['accessor'] !== 'string') throw new InvalidArgumentError(`${f}.accessor must be a string`);
        checked = { type: 'delete-token', accessor: op['accessor'] };
        break;
      case 'delete-policy':
        if (typeof op['name'] !== 'string') throw new InvalidArgumentError(`${f}.name must be a string`);
        checked = { type: 'delete-policy', name: op['name'] };
        break;
      default:
        throw new InvalidArgumentError(`${f}.type must be put-/delete- token, policy, role, auth-method or binding-rule`);
    }
    staged.applyOp(checked);
    return checked;
  });
  const rawTables = raw['tables'] ?? [];
  if (!Array.isArray(rawTables) || !rawTables.every((t) => TABLES.includes(t as TableName))) {
    throw new InvalidArgumentError(`${field}.tables must be an array of ${TABLES.join(' / ')}`);
  }
  const entry: { -readonly [K in keyof CommitEntry]: CommitEntry[K] } = {
    index,
    ops,
    tables: [...new Set(rawTables as TableName[])],
  };
  if (raw['bootstrapIndex'] !== undefined) entry.bootstrapIndex = counter(raw['bootstrapIndex'], `${field}.bootstrapIndex`);
  if (raw['replicationCursor'] !== undefined) {
    entry.replicationCursor = counter(raw['replicationCursor'], `${field}.replicationCursor`);
  }
  return entry;
}

/**
 * Plans a snapshot as one entry at `snapshot.index` that turns `view` into
 * exactly the snapshot: deletes what it lacks, writes what differs (content
 * or indexes), moves both table indexes, the bootstrap index and the cursor.
 * Objects already equal are left alone, so a resync costs writes only for
 * real differences.
 */
export function planSnapshot(view: ReadView, raw: CommittedSnapshot): CommitEntry {
  if (!isRecord(raw)) throw new InvalidArgumentError('snapshot must be an object');
  const index = counter(raw.index, 'snapshot.index');
  if (index < view.index) {
    throw new InvalidArgumentError(`snapshot.index ${index} is behind the store's index ${view.index}`);
  }
  if (!Array.isArray(raw.tokens)) throw new InvalidArgumentError('snapshot.tokens must be an array');
  if (!Array.isArray(raw.policies)) throw new InvalidArgumentError('snapshot.policies must be an array');
  const tokens = new Map<string, ACLToken>();
  const secrets = new Map<string, string>();
  raw.tokens.forEach((t: unknown, i) => {
    const token = checkToken(t, `snapshot.tokens[${i}]`);
    checkIndexes(token, index, `snapshot.tokens[${i}]`);
    if (tokens.has(token.AccessorID)) throw new InvalidArgumentError(`snapshot.tokens has ${token.AccessorID} twice`);
    const holder = secrets.get(token.SecretID);
    if (holder !== undefined) {
      throw new InvalidArgumentError(`snapshot.tokens: ${token.AccessorID} has the SecretID of token ${holder}`);
    }
    tokens.set(token.AccessorID, token);
    secrets.set(token.SecretID, token.AccessorID);
  });
  const policies = new Map<string, ACLPolicy>();
  raw.policies.forEach((p: unknown, i) => {
    const policy = checkPolicy(p, `snapshot.policies[${i}]`);
    checkIndexes(policy, index, `snapshot.policies[${i}]`);
    if (policies.has(policy.Name)) throw new InvalidArgumentError(`snapshot.policies has ${policy.Name} twice`);
    policies.set(policy.Name, policy);
  });
  const rawRoles: readonly unknown[] = raw.roles ?? [];
  if (!Array.isArray(rawRoles)) throw new InvalidArgumentError('snapshot.roles must be an array');
  const roles = new Map<string, ACLRole>();
  const roleNames = new Set<string>();
  rawRoles.forEach((r: unknown, i) => {
    const role = checkRole(r, `snapshot.roles[${i}]`);
    checkIndexes(role, index, `snapshot.roles[${i}]`);
    if (roles.has(role.ID) || roleNames.has(role.Name)) {
      throw new InvalidArgumentError(`snapshot.roles has ${role.ID} or the name ${role.Name} twice`);
    }
    roles.set(role.ID, role);
    roleNames.add(role.Name);
  });
  const methods = keyedSnapshot(raw.authMethods, 'snapshot.authMethods', index, checkAuthMethod, (m) => m.Name);
  const rules = keyedSnapshot(raw.bindingRules, 'snapshot.bindingRules', index, checkBindingRule, (r) => r.ID);
  const bootstrapIndex = counter(raw.bootstrapIndex, 'snapshot.bootstrapIndex');
  const replicationCursor = counter(raw.replicationCursor, 'snapshot.replicationCursor');

  // Deletes first: a token in the snapshot may reuse the SecretID of one that is gone.
  const ops: EntryOp[] = [];
  view.forEachToken((t) => {
    if (!tokens.has(t.AccessorID)) ops.push({ type: 'delete-token', accessor: t.AccessorID });
  });
  view.forEachPolicy((p) => {
    if (!policies.has(p.Name)) ops.push({ type: 'delete-policy', name: p.Name });
  });
  view.forEachRole((r) => {
    if (!roles.has(r.ID)) ops.push({ type: 'delete-role', id: r.ID });
  });
  view.forEachAuthMethod((m) => {
    if (!methods.has(m.Name)) ops.push({ type: 'delete-auth-method', name: m.Name });
  });
  view.forEachBindingRule((r) => {
    if (!rules.has(r.ID)) ops.push({ type: 'delete-binding-rule', id: r.ID });
  });
  for (const m of methods.values()) {
    const have = view.authMethod(m.Name);
    if (have === undefined || !sameAuthMethod(have, m) || !sameIndexes(have, m)) ops.push({ type: 'put-auth-method', method: m });
  }
  for (const r of rules.values()) {
    const have = view.bindingRule(r.ID);
    if (have === undefined || !sameBindingRule(have, r) || !sameIndexes(have, r)) ops.push({ type: 'put-binding-rule', rule: r });
  }
  for (const t of tokens.values()) {
    const have = view.token(t.AccessorID);
    if (have === undefined || !sameToken(have, t) || !sameIndexes(have, t)) ops.push({ type: 'put-token', token: t });
  }
  for (const p of policies.values()) {
    const have = view.policy(p.Name);
    if (have === undefined || !samePolicy(have, p) || !sameIndexes(have, p)) ops.push({ type: 'put-policy', policy: p });
  }
  for (const r of roles.values()) {
    const have = view.role(r.ID);
    if (have === undefined || !sameRole(have, r) || !sameIndexes(have, r)) ops.push({ type: 'put-role', role: r });
  }
  return { index, ops, tables: [...TABLES], bootstrapIndex, replicationCursor };
}

/** Checks a snapshot's list of one object type: each object valid, each key once. */
function keyedSnapshot<T extends { CreateIndex: number; ModifyIndex: number }>(
  raw: unknown,
  field: string,
  index: number,
  check: (v: unknown, f: string) => T,
  keyOf: (o: T) => string,
): Map<string, T> {
  const list: unknown = raw ?? [];
  if (!Array.isArray(list)) throw new InvalidArgumentError(`${field} must be an array`);
  const out = new Map<string, T>();
  list.forEach((v: unknown, i) => {
    const o = check(v, `${field}[${i}]`);
    checkIndexes(o, index, `${field}[${i}]`);
    if (out.has(keyOf(o))) throw new InvalidArgumentError(`${field} has ${keyOf(o)} twice`);
    out.set(keyOf(o), o);
  });
  return out;
}

function sameIndexes(
  a: { CreateIndex: number; ModifyIndex: number; SourceIndex?: number },
  b: { CreateIndex: number; ModifyIndex: number; SourceIndex?: number },
): boolean {
  return a.CreateIndex === b.CreateIndex && a.ModifyIndex === b.ModifyIndex && (a.SourceIndex ?? 0) === (b.SourceIndex ?? 0);
}
