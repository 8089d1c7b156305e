import type { Mutation, PlannedEntry, SecretBox } from '@tollgate/state';
import { UnavailableError } from '../errors.js';
import { encodeAuthMethod, encodeBindingRule, encodePolicy, encodeRole, encodeToken, type EtcdLayout } from './etcd-layout.js';
import { MAX_TXN_BYTES } from './etcd-retry.js';
import type { LeaderFence } from './leader-election.js';

/** One compare of an etcd transaction. */
export type Compare = { readonly key: string; readonly target: 'Create' | 'Mod'; readonly cmp: '==' | '>'; readonly value: number };
/** One operation of an etcd transaction. */
export type Op = { readonly type: 'put'; readonly key: string; readonly value: string } | { readonly type: 'del'; readonly key: string };

/** What one planned object write contributes to a transaction. */
interface Step {
  readonly compares: Compare[];
  readonly ops: Op[];
  readonly bytes: number;
}

/** One etcd transaction: if every compare holds, apply the ops. */
export interface Txn {
  readonly compares: readonly Compare[];
  readonly ops: readonly Op[];
}

/**
 * One user write ready to share a transaction with other writes
 * (`packWrites`): its object compares and operations, without the
 * per-transaction parts (key check, table markers, `data/rev`).
 */
export interface PackableWrite {
  readonly compares: readonly Compare[];
  readonly ops: readonly Op[];
  /** Table markers the write moves (`data/tables/<name>`), merged across a pack. */
  readonly tables: readonly string[];
  readonly bytes: number;
}

/** The transactions of one planned entry (`entryTransactions`). */
export interface EntryTxns {
  readonly txns: Txn[];
  /**
   * Set when the entry fits one transaction and carries nothing that must
   * be alone (no fence, bootstrap or replication cursor): it may then be
   * packed with other writes into one transaction.
   */
  readonly packable: PackableWrite | undefined;
}

/** What the transaction builder needs of its region log. */
export interface TxnContext {
  readonly layout: EtcdLayout;
  readonly box: SecretBox;
  readonly agentId: string;
  /** etcd's `--max-txn-ops`. */
  readonly maxOps: number;
}

const pin = (key: string, modifyIndex: number | undefined): Compare =>
  modifyIndex === undefined ? { key, target: 'Create', cmp: '==', value: 0 } : { key, target: 'Mod', cmp: '==', value: modifyIndex };

const opBytes = (ops: readonly Op[]): number => ops.reduce((n, o) => n + o.key.length + (o.type === 'put' ? o.value.length : 0), 0);

/** The compares every transaction of the region carries: its key check (and the leader fence). */
export function alwaysCompares(layout: EtcdLayout, fence: LeaderFence | undefined): Compare[] {
  const always: Compare[] = [{ key: layout.keyCheck, target: 'Create', cmp: '>', value: 0 }];
  if (fence !== undefined) always.push({ key: fence.key, target: 'Create', cmp: '==', value: fence.createRevision });
  return always;
}

/** The `data/rev` put every transaction ends with: who wrote it, when (for the watch lag). */
export function revOp(layout: EtcdLayout, agentId: string): Op {
  return { type: 'put', key: layout.rev, value: JSON.stringify({ t: Date.now(), a: agentId }) };
}

/**
 * Turns a planned entry into transactions: per object, the compares that
 * pin what the plan read (`PlannedEntry.reads`: the mod revision it saw, or
 * that the key did not exist) and the puts/deletes; then the table markers,
 * bootstrap and cursor keys and `data/rev`. A leader-only entry too large
 * for one transaction (GC, a replication snapshot) is split into several,
 * each with the fence; the cursor goes in the last one, so a crash in
 * between only makes the replication loop re-send changes it skips as
 * identical. Any other write must fit in one.
 */
export function entryTransactions(ctx: TxnContext, planned: PlannedEntry, mutation: Mutation | undefined, fence: LeaderFence | undefined): EntryTxns {
  const L = ctx.layout;
  const { entry, reads } = planned;
  const steps = objectSteps(ctx, planned, mutation);
  const tables: Op[] = entry.tables.map((t) => ({ type: 'put', key: L.table(t), value: '' }) as const);
  const tail: Op[] = [...tables];
  const tailCompares: Compare[] = [];
  if (entry.bootstrapIndex !== undefined) {
    const seen = reads.bootstrapIndex;
    if (seen === undefined) throw unread('the bootstrap index');
    tailCompares.push(pin(L.bootstrap, seen === 0 ? undefined : seen));
    const accessor = entry.ops[0]?.type === 'put-token' ? entry.ops[0].token.AccessorID : '';
    tail.push({ type: 'put', key: L.bootstrap, value: JSON.stringify({ AccessorID: accessor }) });
  }
  const always = alwaysCompares(L, fence);

  // Pack the object steps into transactions within etcd's limits.
  const maxOps = ctx.maxOps;
  const reserveOps = tail.length + 2;
  const reserveCompares = tailCompares.length + always.length;
  const chunks: Step[][] = [[]];
  let ops = 0;
  let compares = 0;
  let bytes = 0;
  for (const s of steps) {
    if (
      chunks[chunks.length - 1]!.length > 0 &&
      (ops + s.ops.length + reserveOps > maxOps || compares + s.compares.length + reserveCompares > maxOps || bytes + s.bytes > MAX_TXN_BYTES)
    ) {
      chunks.push([]);
      ops = compares = bytes = 0;
    }
    chunks[chunks.length - 1]!.push(s);
    ops += s.ops.length;
    compares += s.compares.length;
    bytes += s.bytes;
  }
  if (chunks.length > 1 && fence === undefined) {
    throw new UnavailableError(
      `the write is too large for one etcd transaction (${steps.length} objects; etcd.max_txn_ops allows ${maxOps} operations): ` +
        'split it, or raise etcd\'s --max-txn-ops and etcd.max_txn_ops (a token revocation takes its whole tree in one transaction)',
    );
  }
  const txns = chunks.map((chunk, i): Txn => {
    const last = i === chunks.length - 1;
    const ops: Op[] = [...chunk.flatMap((s) => s.ops), ...(last ? tail : tables), revOp(L, ctx.agentId)];
    if (last && entry.replicationCursor !== undefined) {
      ops.push({ type: 'put', key: L.cursor, value: String(entry.replicationCursor) });
    }
    return { compares: [...always, ...(last ? tailCompares : []), ...chunk.flatMap((s) => s.compares)], ops };
  });
  const alone = fence !== undefined || entry.bootstrapIndex !== undefined || entry.replicationCursor !== undefined || txns.length > 1;
  const objectOps = steps.flatMap((s) => s.ops);
  const packable: PackableWrite | undefined = alone
    ? undefined
    : {
        compares: steps.flatMap((s) => s.compares),
        ops: objectOps,
        tables: tables.map((t) => t.key),
        bytes: opBytes(objectOps),
      };
  return { txns, packable };
}

/**
 * Packs queued writes, in order, into the first transaction that etcd's
 * limits allow (`maxOps` operations and compares, `MAX_TXN_BYTES`): the
 * writes taken and the transaction. A write joins only if no key it writes
 * is read or written by another member, and no key it reads is written by
 * one (compares see the state before the transaction, so the members must
 * not depend on each other); a write that does not fit waits for the next
 * transaction. The first write is always taken.
 */
export function packWrites(
  queue: readonly PackableWrite[],
  layout: EtcdLayout,
  agentId: string,
  maxOps: number,
): { readonly taken: number; readonly txn: Txn } {
  const always = alwaysCompares(layout, undefined);
  const written = new Set<string>();
  const read = new Set<string>();
  const pinned = new Set<string>();
  const tables = new Set<string>();
  const compares: Compare[] = [...always];
  const ops: Op[] = [];
  let bytes = 0;
  let taken = 0;
  for (const w of queue) {
    if (taken > 0) {
      const newTables = w.tables.filter((t) => !tables.has(t)).length;
      // + 1: data/rev.
      if (ops.length + w.ops.length + tables.size + newTables + 1 > maxOps) break;
      if (compares.length + w.compares.length > maxOps || bytes + w.bytes > MAX_TXN_BYTES) break;
      // Table markers are written by every member: only a pin on one (an
      // auth method default) conflicts with them.
      if (
        w.ops.some((o) => written.has(o.key) || read.has(o.key)) ||
        w.compares.some((c) => written.has(c.key) || tables.has(c.key)) ||
        w.tables.some((t) => read.has(t))
      ) {
        break;
      }
    }
    taken++;
    for (const o of w.ops) written.add(o.key);
    for (const c of w.compares) {
      read.add(c.key);
      // The same pin by two members is one compare.
      const id = `${c.key}\u0000${c.target}${c.cmp}${c.value}`;
      if (pinned.has(id)) continue;
      pinned.add(id);
      compares.push(c);
    }
    ops.push(...w.ops);
    for (const t of w.tables) tables.add(t);
    bytes += w.bytes;
  }
  for (const t of tables) ops.push({ type: 'put', key: t, value: '' });
  ops.push(revOp(layout, agentId));
  return { taken, txn: { compares, ops } };
}

/** The prior value the plan read under `key`; a write of an object the plan did not read is a planner bug. */
function prior<T>(seen: ReadonlyMap<string, T | undefined>, key: string, what: string): T | undefined {
  if (!seen.has(key)) throw unread(`${what} ${key}`);
  return seen.get(key);
}

function unread(what: string): Error {
  return new Error(`internal: the plan writes ${what} without having read it, so no compare can guard it`);
}

/** Per object of the entry: the compares that pin what its plan read, and its puts and deletes. */
function objectSteps(ctx: TxnContext, planned: PlannedEntry, mutation: Mutation | undefined): Step[] {
  const L = ctx.layout;
  const box = ctx.box;
  const { entry, reads } = planned;
  const steps: Step[] = [];
  const step = (compares: Compare[], ops: Op[]): void => {
    steps.push({ compares, ops, bytes: opBytes(ops) });
  };
  // Role names this entry releases (deleted or renamed roles) may be taken
  // by a later op of the same entry: their name key is then no longer pinned
  // as absent (compares see the state before the transaction).
  const releasedNames = new Set<string>();
  for (const op of entry.ops) {
    switch (op.type) {
      case 'put-token': {
        const t = op.token;
        const prev = prior(reads.tokens, t.AccessorID, 'token');
        const compares = [pin(L.token(t.AccessorID), prev?.ModifyIndex)];
        const ops: Op[] = [{ type: 'put', key: L.token(t.AccessorID), value: encodeToken(t, box) }];
        const parent = t.ParentAccessorID;
        if (prev === undefined && mutation?.type === 'token-upsert' && parent !== undefined && t.Orphan !== true) {
          // A new child pins its parent: a revocation of the parent's tree by
          // another agent meanwhile fails this create (re-planned: refused).
          const p = reads.tokens.get(parent);
          if (p !== undefined) compares.push(pin(L.token(parent), p.ModifyIndex));
        }
        if (prev === undefined || prev.SecretID !== t.SecretID) {
          // The secret-hash key makes SecretIDs unique across racing agents.
          compares.push(pin(L.secret(t.SecretID), undefined));
          ops.push({ type: 'put', key: L.secret(t.SecretID), value: t.AccessorID });
          if (prev !== undefined) ops.push({ type: 'del', key: L.secret(prev.SecretID) });
        }
        step(compares, ops);
        break;
      }
      case 'delete-token': {
        const prev = prior(reads.tokens, op.accessor, 'token');
        if (prev === undefined) break;
        step(
          [pin(L.token(op.accessor), prev.ModifyIndex)],
          [
            { type: 'del', key: L.token(op.accessor) },
            { type: 'del', key: L.secret(prev.SecretID) },
          ],
        );
        break;
      }
      case 'put-policy': {
        const prev = prior(reads.policies, op.policy.Name, 'policy');
        step([pin(L.policy(op.policy.Name), prev?.ModifyIndex)], [{ type: 'put', key: L.policy(op.policy.Name), value: encodePolicy(op.policy, box) }]);
        break;
      }
      case 'delete-policy': {
        const prev = prior(reads.policies, op.name, 'policy');
        step([pin(L.policy(op.name), prev?.ModifyIndex)], [{ type: 'del', key: L.policy(op.name) }]);
        break;
      }
      case 'put-role': {
        const r = op.role;
        const prev = prior(reads.roles, r.ID, 'role');
        const compares = [pin(L.role(r.ID), prev?.ModifyIndex)];
        const ops: Op[] = [{ type: 'put', key: L.role(r.ID), value: encodeRole(r, box) }];
        if (prev === undefined || prev.Name !== r.Name) {
          // The name key makes role names unique across racing agents.
          if (!releasedNames.has(r.Name)) compares.push(pin(L.roleName(r.Name), undefined));
          ops.push({ type: 'put', key: L.roleName(r.Name), value: r.ID });
          if (prev !== undefined) {
            ops.push({ type: 'del', key: L.roleName(prev.Name) });
            releasedNames.add(prev.Name);
          }
        }
        if (mutation?.type === 'role-upsert') {
          // A user's write checked that its policies exist: pin them, so a
          // policy deleted by another agent meanwhile fails the write.
          for (const { Name } of r.Policies) {
            if (reads.policies.has(Name)) compares.push(pin(L.policy(Name), reads.policies.get(Name)?.ModifyIndex));
          }
        }
        step(compares, ops);
        break;
      }
      case 'delete-role': {
        const prev = prior(reads.roles, op.id, 'role');
        if (prev === undefined) break;
        step(
          [pin(L.role(op.id), prev.ModifyIndex)],
          [
            { type: 'del', key: L.role(op.id) },
            { type: 'del', key: L.roleName(prev.Name) },
          ],
        );
        releasedNames.add(prev.Name);
        break;
      }
      case 'put-auth-method': {
        const m = op.method;
        const compares = [pin(L.authMethod(m.Name), prior(reads.authMethods, m.Name, 'auth method')?.ModifyIndex)];
        if (m.Default && mutation?.type === 'auth-method-upsert') {
          // The plan checked no other method of the type is the default.
          // Pin the auth method table: any method written meanwhile by
          // another agent (a racing second default included) moves it, so
          // this write is re-planned on the newer state (revision 1 is
          // etcd's own: the table was never written).
          const seen = reads.scannedTables.get('acl_auth_method');
          if (seen !== undefined) compares.push(pin(L.table('acl_auth_method'), seen <= 1 ? undefined : seen));
        }
        step(compares, [{ type: 'put', key: L.authMethod(m.Name), value: encodeAuthMethod(m, box) }]);
        break;
      }
      case 'delete-auth-method': {
        const prev = prior(reads.authMethods, op.name, 'auth method');
        if (prev === undefined) break;
        step([pin(L.authMethod(op.name), prev.ModifyIndex)], [{ type: 'del', key: L.authMethod(op.name) }]);
        break;
      }
      case 'put-binding-rule': {
        const r = op.rule;
        const compares = [pin(L.bindingRule(r.ID), prior(reads.bindingRules, r.ID, 'binding rule')?.ModifyIndex)];
        if (mutation?.type === 'binding-rule-upsert') {
          // The plan checked the auth method exists: pin it.
          if (reads.authMethods.has(r.AuthMethod)) compares.push(pin(L.authMethod(r.AuthMethod), reads.authMethods.get(r.AuthMethod)?.ModifyIndex));
        }
        step(compares, [{ type: 'put', key: L.bindingRule(r.ID), value: encodeBindingRule(r, box) }]);
        break;
      }
      case 'delete-binding-rule': {
        const prev = prior(reads.bindingRules, op.id, 'binding rule');
        if (prev === undefined) break;
        step([pin(L.bindingRule(op.id), prev.ModifyIndex)], [{ type: 'del', key: L.bindingRule(op.id) }]);
        break;
      }
    }
  }
  // A delete of a policy this agent does not know is a no-op only if etcd does not know it either.
  if (mutation?.type === 'policy-delete') {
    for (const name of new Set(mutation.names)) {
      if (reads.policies.has(name) && reads.policies.get(name) === undefined) step([pin(L.policy(name), undefined)], []);
    }
  }
  return steps;
}
