import type { CommitEntry, EntryOp } from './commit-entry.js';
import { BootstrapError, ConflictError, InvalidArgumentError, NotFoundError } from './errors.js';
import {
  assertObjectSize,
  checkAuthMethod,
  checkBindingRule,
  checkPolicy,
  checkRole,
  checkToken,
  isChildOf,
  makeAuthMethod,
  makeBindingRule,
  makePolicy,
  makeRole,
  makeToken,
} from './object-shape.js';
import { RecordingView, type PlannedEntry } from './plan-reads.js';
import type { ReadView } from './read-view.js';
import { StagedView } from './staged-view.js';
import { TokenRecord } from './token-record.js';
import { descendantsOf } from './token-tree.js';
import type { ACLToken, Mutation, TableName } from './types.js';

/**
 * Turns one user mutation into the entry committed at `index`, applying
 * Nomad's state-store rules (facts §1, §2.1, §5) against `view`, which holds
 * every write committed or planned before this one.
 *
 * Pure: reads `view`, never changes it. Throws a coded error when the
 * mutation must be refused as a whole.
 */
export function planMutation(view: ReadView, mutation: Mutation, index: number): CommitEntry {
  if (typeof mutation !== 'object' || mutation === null) {
    throw new InvalidArgumentError('mutation must be an object');
  }
  switch (mutation.type) {
    case 'token-upsert':
      return planTokenUpsert(view, mutation.tokens, index, mutation.mode);
    case 'token-delete':
      return planTokenDelete(view, mutation.accessors, index, mutation.children);
    case 'policy-upsert':
      return planPolicyUpsert(view, mutation.policies, index);
    case 'policy-delete':
      return planPolicyDelete(view, mutation.names, index);
    case 'role-upsert':
      return planRoleUpsert(view, mutation.roles, index, mutation.mode);
    case 'role-delete':
      return planRoleDelete(view, mutation.ids, index);
    case 'auth-method-upsert':
      return planAuthMethodUpsert(view, mutation.methods, index, mutation.mode);
    case 'auth-method-delete':
      return planAuthMethodDelete(view, mutation.names, index);
    case 'binding-rule-upsert':
      return planBindingRuleUpsert(view, mutation.rules, index, mutation.mode);
    case 'binding-rule-delete':
      return planBindingRuleDelete(view, mutation.ids, index);
    case 'bootstrap':
      return planBootstrap(view, mutation.token, mutation.resetIndex, index);
    default:
      throw new InvalidArgumentError(
        `mutation.type must be one of token-upsert, token-delete, policy-upsert, policy-delete, role-upsert, role-delete, auth-method-upsert, auth-method-delete, binding-rule-upsert, binding-rule-delete, bootstrap`,
      );
  }
}

/**
 * `planMutation`, returning with the entry what the plan read of `view`
 * (`PlanReads`): an external region log (HA: etcd) pins exactly that in its
 * transaction. `tableIndex` gives the index of a table the plan scans whole.
 */
export function planMutationWithReads(view: ReadView, mutation: Mutation, index: number, tableIndex: (table: TableName) => number): PlannedEntry {
  const recording = new RecordingView(view, tableIndex);
  const entry = planMutation(recording, mutation, index);
  return { entry, reads: recording.reads };
}

function nonEmptyArray(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError(`${field} must be a non-empty array`);
  }
  return value;
}

function planTokenUpsert(view: ReadView, tokens: unknown, index: number, mode: 'create' | 'update' | undefined): CommitEntry {
  const given = nonEmptyArray(tokens, 'mutation.tokens');
  // A child overlay so that two tokens of the same write see each other.
  const staged = new StagedView(view);
  const ops: EntryOp[] = [];
  const seen = new Set<string>();
  given.forEach((raw, i) => {
    const t = checkToken(raw, `mutation.tokens[${i}]`);
    if (seen.has(t.AccessorID)) {
      throw new ConflictError(`token ${t.AccessorID} appears more than once in one write`);
    }
    seen.add(t.AccessorID);
    const existing = staged.token(t.AccessorID);
    if (mode === 'update' && existing === undefined) {
      throw new NotFoundError(`cannot find token ${t.AccessorID}`, [t.AccessorID]);
    }
    if (mode === 'create' && existing !== undefined) {
      throw new ConflictError(`token ${t.AccessorID} already exists`);
    }
    // A new child whose parent was revoked since the writer saw it (a delete
    // earlier in this group commit, or another HA agent's) would outlive its
    // tree: refused, like an update of a deleted token.
    const parent = t.ParentAccessorID;
    if (mode === 'create' && parent !== undefined && isChildOf(t, parent) && staged.token(parent) === undefined) {
      throw new NotFoundError(`cannot find token ${parent} (the parent of new token ${t.AccessorID})`, [parent]);
    }
    const token =
      existing === undefined
        ? newToken(staged, t, index)
        : // Nomad's UpsertACLTokens: an update keeps SecretID, CreateTime
          // and CreateIndex and replaces every other field wholesale.
          TokenRecord.fromToken(
            makeToken({
              ...t,
              SecretID: existing.SecretID,
              CreateTime: existing.CreateTime,
              CreateIndex: existing.CreateIndex,
              ModifyIndex: index,
              SourceIndex: 0,
            }),
          );
    assertObjectSize(token, `token ${token.AccessorID}`);
    const op: EntryOp = { type: 'put-token', token };
    staged.applyOp(op);
    ops.push(op);
  });
  return { index, ops, tables: ['acl_token'] };
}

/**
 * A token that is not stored yet: its SecretID must be free. Planned tokens
 * are `TokenRecord`s, the form memory keeps: the secret's SHA-256 is taken
 * once here and reused by the staged views, the LevelDB batch and memory.
 */
function newToken(view: ReadView, t: ACLToken, index: number): ACLToken {
  const token = TokenRecord.fromToken(makeToken({ ...t, CreateIndex: index, ModifyIndex: index, SourceIndex: 0 }));
  const holder = view.accessorBySecretHash(token.secretHash);
  if (holder !== undefined) {
    // Never echo the secret; the holder's accessor is public.
    throw new ConflictError(`the SecretID of new token ${t.AccessorID} is already in use by token ${holder}`);
  }
  return token;
}

/**
 * Deletes the tokens and, by default, every descendant in the same entry
 * (one atomic write: a crash leaves the whole tree or none of it). With
 * `children: 'orphan'` the direct children stay, marked `Orphan`.
 */
function planTokenDelete(view: ReadView, accessors: unknown, index: number, children: unknown): CommitEntry {
  if (children !== undefined && children !== 'revoke' && children !== 'orphan') {
    throw new InvalidArgumentError('mutation.children must be "revoke" or "orphan"');
  }
  const given = nonEmptyArray(accessors, 'mutation.accessors');
  const unique: string[] = [];
  given.forEach((a, i) => {
    if (typeof a !== 'string') throw new InvalidArgumentError(`mutation.accessors[${i}] must be a string`);
    if (!unique.includes(a)) unique.push(a);
  });
  const missing = unique.filter((a) => view.token(a) === undefined);
  if (missing.length > 0) {
    throw new NotFoundError(`Cannot delete nonexistent tokens: ${missing.join(', ')}`, missing);
  }
  const ops: EntryOp[] = unique.map((accessor) => ({ type: 'delete-token', accessor }) as const);
  const deleting = new Set(unique);
  if (children === 'orphan') {
    for (const root of unique) {
      for (const child of view.childrenOf(root)) {
        const t = view.token(child);
        if (t === undefined || deleting.has(child)) continue;
        ops.push({ type: 'put-token', token: makeToken({ ...t, Orphan: true, ModifyIndex: index, SourceIndex: 0 }) });
      }
    }
  } else {
    for (const d of descendantsOf(view, unique)) ops.push({ type: 'delete-token', accessor: d });
  }
  return { index, ops, tables: ['acl_token'] };
}

function planPolicyUpsert(view: ReadView, policies: unknown, index: number): CommitEntry {
  const given = nonEmptyArray(policies, 'mutation.policies');
  const ops: EntryOp[] = [];
  const seen = new Set<string>();
  given.forEach((raw, i) => {
    const p = checkPolicy(raw, `mutation.policies[${i}]`);
    if (seen.has(p.Name)) throw new ConflictError(`policy ${p.Name} appears more than once in one write`);
    seen.add(p.Name);
    const existing = view.policy(p.Name);
    const policy = makePolicy({
      ...p,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      SourceIndex: 0,
    });
    assertObjectSize(policy, `policy ${policy.Name}`);
    ops.push({ type: 'put-policy', policy });
  });
  return { index, ops, tables: ['acl_policy'] };
}

function planPolicyDelete(view: ReadView, names: unknown, index: number): CommitEntry {
  const given = nonEmptyArray(names, 'mutation.names');
  const ops: EntryOp[] = [];
  const seen = new Set<string>();
  given.forEach((n, i) => {
    if (typeof n !== 'string') throw new InvalidArgumentError(`mutation.names[${i}] must be a string`);
    if (seen.has(n)) return;
    seen.add(n);
    // A missing name is a silent no-op, as in Nomad; the table index still moves.
    if (view.policy(n) !== undefined) ops.push({ type: 'delete-policy', name: n });
  });
  return { index, ops, tables: ['acl_policy'] };
}

/**
 * Nomad's UpsertRoles rules, checked inside the serialized commit so that a
 * racing create of the same name, or a delete of a linked policy, cannot
 * slip between the server's check and the write.
 */
function planRoleUpsert(view: ReadView, roles: unknown, index: number, mode: 'create' | 'update' | undefined): CommitEntry {
  const given = nonEmptyArray(roles, 'mutation.roles');
  const staged = new StagedView(view);
  const ops: EntryOp[] = [];
  given.forEach((raw, i) => {
    const r = checkRole(raw, `mutation.roles[${i}]`);
    const existing = staged.role(r.ID);
    if (mode === 'update' && existing === undefined) throw new NotFoundError(`cannot find role ${r.ID}`, [r.ID]);
    if (mode === 'create' && existing !== undefined) throw new ConflictError(`role ${r.ID} already exists`);
    const named = staged.roleByName(r.Name);
    if (named !== undefined && named.ID !== r.ID) {
      throw new InvalidArgumentError(`role with name ${r.Name} already exists`);
    }
    for (const link of r.Policies) {
      if (staged.policy(link.Name) === undefined) throw new NotFoundError(`cannot find policy ${link.Name}`, [link.Name]);
    }
    const role = makeRole({ ...r, CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index, SourceIndex: 0 });
    assertObjectSize(role, `role ${role.ID}`);
    const op: EntryOp = { type: 'put-role', role };
    staged.applyOp(op);
    ops.push(op);
  });
  return { index, ops, tables: ['acl_role'] };
}

function planRoleDelete(view: ReadView, ids: unknown, index: number): CommitEntry {
  const given = nonEmptyArray(ids, 'mutation.ids');
  const unique: string[] = [];
  given.forEach((id, i) => {
    if (typeof id !== 'string') throw new InvalidArgumentError(`mutation.ids[${i}] must be a string`);
    if (!unique.includes(id)) unique.push(id);
  });
  const missing = unique.filter((id) => view.role(id) === undefined);
  // Nomad's deleteACLRoleByIDTxn: any unknown ID fails the whole delete.
  if (missing.length > 0) throw new NotFoundError('ACL role not found', missing);
  return { index, ops: unique.map((id) => ({ type: 'delete-role', id }) as const), tables: ['acl_role'] };
}

/** Unique strings of a non-empty array, in order. */
function uniqueStrings(values: unknown, field: string): string[] {
  const unique: string[] = [];
  nonEmptyArray(values, field).forEach((v, i) => {
    if (typeof v !== 'string') throw new InvalidArgumentError(`${field}[${i}] must be a string`);
    if (!unique.includes(v)) unique.push(v);
  });
  return unique;
}

/**
 * Nomad's UpsertACLAuthMethods state rules, inside the serialized commit:
 * at most one `Default` method per type (a racing second default is
 * refused here even if both passed the server's check), CreateIndex and
 * CreateTime kept on update.
 */
function planAuthMethodUpsert(view: ReadView, methods: unknown, index: number, mode: 'create' | 'update' | undefined): CommitEntry {
  const given = nonEmptyArray(methods, 'mutation.methods');
  const staged = new StagedView(view);
  const ops: EntryOp[] = [];
  given.forEach((raw, i) => {
    const m = checkAuthMethod(raw, `mutation.methods[${i}]`);
    const existing = staged.authMethod(m.Name);
    if (mode === 'update' && existing === undefined) throw new NotFoundError(`cannot find auth method ${m.Name}`, [m.Name]);
    if (mode === 'create' && existing !== undefined) throw new ConflictError(`auth method ${m.Name} already exists`);
    if (m.Default) {
      let other: string | undefined;
      staged.forEachAuthMethod((o) => {
        if (o.Default && o.Type === m.Type && o.Name !== m.Name) other = o.Name;
      });
      if (other !== undefined) throw new InvalidArgumentError(`default method already exists: ${other}`);
    }
    const method = makeAuthMethod({
      ...m,
      CreateTime: existing?.CreateTime ?? m.CreateTime,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      SourceIndex: 0,
    });
    assertObjectSize(method, `auth method ${method.Name}`);
    const op: EntryOp = { type: 'put-auth-method', method };
    staged.applyOp(op);
    ops.push(op);
  });
  return { index, ops, tables: ['acl_auth_method'] };
}

function planAuthMethodDelete(view: ReadView, names: unknown, index: number): CommitEntry {
  const unique = uniqueStrings(names, 'mutation.names');
  const missing = unique.filter((n) => view.authMethod(n) === undefined);
  // Nomad's deleteACLAuthMethodTxn: any unknown name fails the whole delete.
  // Its binding rules stay (as in Nomad); they match nothing without it.
  if (missing.length > 0) throw new NotFoundError('ACL auth method not found', missing);
  return { index, ops: unique.map((name) => ({ type: 'delete-auth-method', name }) as const), tables: ['acl_auth_method'] };
}

/** Nomad's UpsertACLBindingRules: the auth method must exist when the rule is written (checked in the commit). */
function planBindingRuleUpsert(view: ReadView, rules: unknown, index: number, mode: 'create' | 'update' | undefined): CommitEntry {
  const given = nonEmptyArray(rules, 'mutation.rules');
  const staged = new StagedView(view);
  const ops: EntryOp[] = [];
  given.forEach((raw, i) => {
    const r = checkBindingRule(raw, `mutation.rules[${i}]`);
    const existing = staged.bindingRule(r.ID);
    if (mode === 'update' && existing === undefined) throw new NotFoundError(`cannot find binding rule ${r.ID}`, [r.ID]);
    if (mode === 'create' && existing !== undefined) throw new ConflictError(`binding rule ${r.ID} already exists`);
    if (mode !== undefined && staged.authMethod(r.AuthMethod) === undefined) {
      throw new InvalidArgumentError(`ACL auth method ${r.AuthMethod} not found`);
    }
    const rule = makeBindingRule({
      ...r,
      CreateTime: existing?.CreateTime ?? r.CreateTime,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
      SourceIndex: 0,
    });
    assertObjectSize(rule, `binding rule ${rule.ID}`);
    const op: EntryOp = { type: 'put-binding-rule', rule };
    staged.applyOp(op);
    ops.push(op);
  });
  return { index, ops, tables: ['acl_binding_rule'] };
}

function planBindingRuleDelete(view: ReadView, ids: unknown, index: number): CommitEntry {
  const unique = uniqueStrings(ids, 'mutation.ids');
  const missing = unique.filter((id) => view.bindingRule(id) === undefined);
  if (missing.length > 0) throw new NotFoundError('ACL binding rule not found', missing);
  return { index, ops: unique.map((id) => ({ type: 'delete-binding-rule', id }) as const), tables: ['acl_binding_rule'] };
}

function planBootstrap(
  view: ReadView,
  rawToken: unknown,
  resetIndex: number | undefined,
  index: number,
): CommitEntry {
  if (resetIndex !== undefined && (typeof resetIndex !== 'number' || !Number.isSafeInteger(resetIndex))) {
    throw new InvalidArgumentError('mutation.resetIndex must be an integer or undefined');
  }
  // Checked here, inside the serialized commit, so of two racing bootstraps
  // the second sees the first's staged bootstrap index and is refused.
  const done = view.bootstrapIndex;
  if (done > 0) {
    if (resetIndex === undefined) {
      throw new BootstrapError(`ACL bootstrap already done (reset index: ${done})`, done);
    }
    if (resetIndex !== done) {
      throw new BootstrapError(`Invalid bootstrap reset index (specified ${resetIndex}, reset index: ${done})`, done);
    }
  }
  const t = checkToken(rawToken, 'mutation.token');
  if (view.token(t.AccessorID) !== undefined) {
    throw new ConflictError(`bootstrap token ${t.AccessorID} already exists`);
  }
  const token = newToken(view, t, index);
  assertObjectSize(token, `token ${token.AccessorID}`);
  return { index, ops: [{ type: 'put-token', token }], tables: ['acl_token'], bootstrapIndex: index };
}
