import type { CommitEntry, EntryOp } from './commit-entry.js';
import { BootstrapError, ConflictError, InvalidArgumentError, NotFoundError } from './errors.js';
import { assertObjectSize, checkPolicy, checkRole, checkToken, isChildOf, makePolicy, makeRole, makeToken } from './object-shape.js';
import type { ReadView } from './read-view.js';
import { StagedView } from './staged-view.js';
import { descendantsOf } from './token-tree.js';
import type { ACLToken, Mutation } from './types.js';

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
    case 'bootstrap':
      return planBootstrap(view, mutation.token, mutation.resetIndex, index);
    default:
      throw new InvalidArgumentError(
        `mutation.type must be one of token-upsert, token-delete, policy-upsert, policy-delete, role-upsert, role-delete, bootstrap`,
      );
  }
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
          makeToken({
            ...t,
            SecretID: existing.SecretID,
            CreateTime: existing.CreateTime,
            CreateIndex: existing.CreateIndex,
            ModifyIndex: index,
            SourceIndex: 0,
          });
    assertObjectSize(token, `token ${token.AccessorID}`);
    const op: EntryOp = { type: 'put-token', token };
    staged.applyOp(op);
    ops.push(op);
  });
  return { index, ops, tables: ['acl_token'] };
}

/** A token that is not stored yet: its SecretID must be free. */
function newToken(view: ReadView, t: ACLToken, index: number): ACLToken {
  const holder = view.accessorBySecret(t.SecretID);
  if (holder !== undefined) {
    // Never echo the secret; the holder's accessor is public.
    throw new ConflictError(`the SecretID of new token ${t.AccessorID} is already in use by token ${holder}`);
  }
  return makeToken({ ...t, CreateIndex: index, ModifyIndex: index, SourceIndex: 0 });
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
