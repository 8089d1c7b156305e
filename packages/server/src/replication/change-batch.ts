import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, Change, ReplicatedBatch } from '@tollgate/state';

/**
 * Replication batches, pure logic: how the authoritative side cuts its change
 * feed into batches, and how the follower side merges the batches that
 * queued up while its previous write was being made durable.
 *
 * Both rest on one rule: within a run of consecutive indexes, the last
 * operation on a key wins. Batches never split an index, so once a batch is
 * applied the follower's cursor can be its last index.
 */

/** A batch of global changes covering authoritative indexes `firstIndex..index`. */
export interface ChangeBatchData {
  readonly firstIndex: number;
  /** Every global change up to this index is included (or in an earlier batch). */
  readonly index: number;
  /** When `firstIndex` was committed at the source (ms since the epoch). */
  readonly commitTimeMs: number;
  readonly upsertTokens: readonly ACLToken[];
  readonly deleteTokens: readonly string[];
  readonly upsertPolicies: readonly ACLPolicy[];
  readonly deletePolicies: readonly string[];
  /** ACL roles; absent = none (heartbeat entries and older tests build batches without them). */
  readonly upsertRoles?: readonly ACLRole[];
  readonly deleteRoles?: readonly string[];
  /** ACL auth methods and binding rules; absent = none. */
  readonly upsertAuthMethods?: readonly ACLAuthMethod[];
  readonly deleteAuthMethods?: readonly string[];
  readonly upsertBindingRules?: readonly ACLBindingRule[];
  readonly deleteBindingRules?: readonly string[];
}

/** Upper bound on a batch's encoded size; a batch ends after the index that crosses it. */
export const BATCH_MAX_BYTES = 1024 * 1024;

/** What `buildChangeBatches` reads objects from: the store, at send time. */
export interface ObjectSource {
  tokenByAccessor(accessor: string): ACLToken | undefined;
  policy(name: string): ACLPolicy | undefined;
  role(id: string): ACLRole | undefined;
  authMethod(name: string): ACLAuthMethod | undefined;
  bindingRule(id: string): ACLBindingRule | undefined;
}

/**
 * Collects operations on tokens, policies and roles, last operation per key wins.
 * An upsert followed by a delete is a delete; a delete followed by an upsert
 * is an upsert (the store applies a batch's deletes before its upserts, so
 * the two must never both be present for one key).
 */
export class ChangeAccumulator {
  readonly #tokens = new Map<string, ACLToken | null>();
  readonly #policies = new Map<string, ACLPolicy | null>();
  readonly #roles = new Map<string, ACLRole | null>();
  readonly #methods = new Map<string, ACLAuthMethod | null>();
  readonly #rules = new Map<string, ACLBindingRule | null>();
  #bytes = 0;

  /** Rough encoded size of everything collected so far (for batch cuts). */
  get approxBytes(): number {
    return this.#bytes;
  }

  get isEmpty(): boolean {
    return this.#tokens.size === 0 && this.#policies.size === 0 && this.#roles.size === 0 && this.#methods.size === 0 && this.#rules.size === 0;
  }

  upsertToken(t: ACLToken): void {
    this.#tokens.set(t.AccessorID, t);
    this.#bytes += tokenBytes(t);
  }

  deleteToken(accessor: string): void {
    this.#tokens.set(accessor, null);
    this.#bytes += accessor.length + 2;
  }

  upsertPolicy(p: ACLPolicy): void {
    this.#policies.set(p.Name, p);
    this.#bytes += policyBytes(p);
  }

  deletePolicy(name: string): void {
    this.#policies.set(name, null);
    this.#bytes += name.length + 2;
  }

  upsertRole(r: ACLRole): void {
    this.#roles.set(r.ID, r);
    this.#bytes += 160 + r.Name.length + r.Description.length + r.Policies.reduce((n, l) => n + l.Name.length + 2, 0);
  }

  deleteRole(id: string): void {
    this.#roles.set(id, null);
    this.#bytes += id.length + 2;
  }

  upsertAuthMethod(m: ACLAuthMethod): void {
    this.#methods.set(m.Name, m);
    this.#bytes += 200 + JSON.stringify(m.Config).length;
  }

  deleteAuthMethod(name: string): void {
    this.#methods.set(name, null);
    this.#bytes += name.length + 2;
  }

  upsertBindingRule(r: ACLBindingRule): void {
    this.#rules.set(r.ID, r);
    this.#bytes += 200 + r.Description.length + r.Selector.length + r.BindName.length;
  }

  deleteBindingRule(id: string): void {
    this.#rules.set(id, null);
    this.#bytes += id.length + 2;
  }

  /** Adds every operation of a batch, in order after what is already here. */
  addBatch(b: ChangeBatchData): void {
    for (const a of b.deleteTokens) this.deleteToken(a);
    for (const t of b.upsertTokens) this.upsertToken(t);
    for (const n of b.deletePolicies) this.deletePolicy(n);
    for (const p of b.upsertPolicies) this.upsertPolicy(p);
    for (const id of b.deleteRoles ?? []) this.deleteRole(id);
    for (const r of b.upsertRoles ?? []) this.upsertRole(r);
    for (const n of b.deleteAuthMethods ?? []) this.deleteAuthMethod(n);
    for (const m of b.upsertAuthMethods ?? []) this.upsertAuthMethod(m);
    for (const id of b.deleteBindingRules ?? []) this.deleteBindingRule(id);
    for (const r of b.upsertBindingRules ?? []) this.upsertBindingRule(r);
  }

  /** The collected operations as lists. */
  lists(): Pick<
    ChangeBatchData,
    | 'upsertTokens'
    | 'deleteTokens'
    | 'upsertPolicies'
    | 'deletePolicies'
    | 'upsertRoles'
    | 'deleteRoles'
    | 'upsertAuthMethods'
    | 'deleteAuthMethods'
    | 'upsertBindingRules'
    | 'deleteBindingRules'
  > {
    const upsertTokens: ACLToken[] = [];
    const deleteTokens: string[] = [];
    for (const [key, t] of this.#tokens) {
      if (t === null) deleteTokens.push(key);
      else upsertTokens.push(t);
    }
    const upsertPolicies: ACLPolicy[] = [];
    const deletePolicies: string[] = [];
    for (const [key, p] of this.#policies) {
      if (p === null) deletePolicies.push(key);
      else upsertPolicies.push(p);
    }
    const upsertRoles: ACLRole[] = [];
    const deleteRoles: string[] = [];
    for (const [key, r] of this.#roles) {
      if (r === null) deleteRoles.push(key);
      else upsertRoles.push(r);
    }
    const [upsertAuthMethods, deleteAuthMethods] = split(this.#methods);
    const [upsertBindingRules, deleteBindingRules] = split(this.#rules);
    return {
      upsertTokens,
      deleteTokens,
      upsertPolicies,
      deletePolicies,
      upsertRoles,
      deleteRoles,
      upsertAuthMethods,
      deleteAuthMethods,
      upsertBindingRules,
      deleteBindingRules,
    };
  }
}

/** Upserts and deleted keys of one last-wins map. */
function split<T>(m: ReadonlyMap<string, T | null>): [T[], string[]] {
  const up: T[] = [];
  const del: string[] = [];
  for (const [key, v] of m) {
    if (v === null) del.push(key);
    else up.push(v);
  }
  return [up, del];
}

function tokenBytes(t: ACLToken): number {
  let n = 240 + t.Name.length;
  for (const p of t.Policies ?? []) n += p.length + 2;
  return n;
}

function policyBytes(p: ACLPolicy): number {
  return 120 + p.Name.length + p.Description.length + p.Rules.length;
}

/**
 * Authoritative side: cuts `changes` (global changes in index order, as
 * `changesSince(…, { globalOnly: true })` returns them) into batches of at
 * most about `maxBytes`, never splitting an index. Objects are read from
 * `source` now, so a batch carries current versions; a key upserted and
 * since deleted goes out as a delete (its delete is also further on in the
 * feed).
 *
 * @param commitTimeOf when an index was committed at the source (ms).
 */
export function buildChangeBatches(
  changes: readonly Change[],
  source: ObjectSource,
  commitTimeOf: (index: number) => number,
  maxBytes: number = BATCH_MAX_BYTES,
): ChangeBatchData[] {
  const out: ChangeBatchData[] = [];
  let acc = new ChangeAccumulator();
  let first = -1;
  let last = -1;
  const flush = (): void => {
    if (first === -1) return;
    out.push({ firstIndex: first, index: last, commitTimeMs: commitTimeOf(first), ...acc.lists() });
    acc = new ChangeAccumulator();
    first = -1;
  };
  for (const c of changes) {
    // Cut only between indexes, once the batch is over budget.
    if (c.index !== last && acc.approxBytes >= maxBytes) flush();
    if (first === -1) first = c.index;
    last = c.index;
    if (c.table === 'acl_token') {
      const t = c.op === 'upsert' ? source.tokenByAccessor(c.key) : undefined;
      if (t !== undefined) acc.upsertToken(t);
      else acc.deleteToken(c.key);
    } else if (c.table === 'acl_auth_method') {
      const m = c.op === 'upsert' ? source.authMethod(c.key) : undefined;
      if (m !== undefined) acc.upsertAuthMethod(m);
      else acc.deleteAuthMethod(c.key);
    } else if (c.table === 'acl_binding_rule') {
      const r = c.op === 'upsert' ? source.bindingRule(c.key) : undefined;
      if (r !== undefined) acc.upsertBindingRule(r);
      else acc.deleteBindingRule(c.key);
    } else if (c.table === 'acl_role') {
      const r = c.op === 'upsert' ? source.role(c.key) : undefined;
      if (r !== undefined) acc.upsertRole(r);
      else acc.deleteRole(c.key);
    } else {
      const p = c.op === 'upsert' ? source.policy(c.key) : undefined;
      if (p !== undefined) acc.upsertPolicy(p);
      else acc.deletePolicy(c.key);
    }
  }
  flush();
  return out;
}

/**
 * Follower side: merges consecutive batches (oldest first) into one, so that
 * the store makes them durable with one write. The result covers
 * `batches[0].firstIndex .. batches[last].index` and keeps the oldest commit
 * time, which is what the lag is measured from.
 * @throws RangeError for an empty list or batches out of order.
 */
export function mergeBatches(batches: readonly ChangeBatchData[]): ChangeBatchData {
  const head = batches[0];
  if (head === undefined) throw new RangeError('batches must not be empty');
  if (batches.length === 1) return head;
  const acc = new ChangeAccumulator();
  let prev = -1;
  // A progress-only entry (a heartbeat: no changes) holds nothing that is
  // waiting to be applied, so the lag is measured from the first real change.
  let commitTimeMs: number | undefined;
  for (const b of batches) {
    if (b.index < prev) throw new RangeError(`batches out of order: index ${b.index} after ${prev}`);
    prev = b.index;
    if (commitTimeMs === undefined && hasChanges(b)) commitTimeMs = b.commitTimeMs;
    acc.addBatch(b);
  }
  return { firstIndex: head.firstIndex, index: prev, commitTimeMs: commitTimeMs ?? head.commitTimeMs, ...acc.lists() };
}

/** How many object operations a batch carries. */
export function changeCount(b: ChangeBatchData): number {
  return (
    b.upsertTokens.length +
    b.deleteTokens.length +
    b.upsertPolicies.length +
    b.deletePolicies.length +
    (b.upsertRoles?.length ?? 0) +
    (b.deleteRoles?.length ?? 0) +
    (b.upsertAuthMethods?.length ?? 0) +
    (b.deleteAuthMethods?.length ?? 0) +
    (b.upsertBindingRules?.length ?? 0) +
    (b.deleteBindingRules?.length ?? 0)
  );
}

/** Whether a batch changes anything (a heartbeat's progress entry does not). */
export function hasChanges(b: ChangeBatchData): boolean {
  return changeCount(b) > 0;
}

/** A batch as the store's `applyReplicated` input (its index becomes the cursor). */
export function toReplicatedBatch(b: ChangeBatchData): ReplicatedBatch {
  return {
    sourceIndex: b.index,
    upsertTokens: b.upsertTokens,
    deleteTokens: b.deleteTokens,
    upsertPolicies: b.upsertPolicies,
    deletePolicies: b.deletePolicies,
    upsertRoles: b.upsertRoles ?? [],
    deleteRoles: b.deleteRoles ?? [],
    upsertAuthMethods: b.upsertAuthMethods ?? [],
    deleteAuthMethods: b.deleteAuthMethods ?? [],
    upsertBindingRules: b.upsertBindingRules ?? [],
    deleteBindingRules: b.deleteBindingRules ?? [],
  };
}

/**
 * One step of a Watch stream, authoritative side: the frames that carry the
 * global changes after a cursor, and the index the cursor reaches once they
 * are sent.
 */
export interface FeedStep<F> {
  readonly frames: readonly F[];
  readonly through: number;
  /** The feed read was cut at its limit: more changes follow right away. */
  readonly truncated: boolean;
}

/**
 * The steps built at the store's current index, by cursor, so that streams
 * at the same point share one read of the feed and one encoding (encode
 * once, fan out to every follower). A step is valid only while the store's
 * index stays where it was read (objects are read at send time), so the
 * cache forgets everything once the index moves on: it never holds more
 * than one step per distinct cursor of the streams being served.
 */
export class FeedStepCache<F> {
  #index = -1;
  readonly #steps = new Map<number, FeedStep<F>>();

  /** The step built from cursor `since` at store index `index`, if any. */
  get(index: number, since: number): FeedStep<F> | undefined {
    this.#moveTo(index);
    return this.#steps.get(since);
  }

  set(index: number, since: number, step: FeedStep<F>): void {
    this.#moveTo(index);
    this.#steps.set(since, step);
  }

  /** Cursors with a step held now. */
  get size(): number {
    return this.#steps.size;
  }

  #moveTo(index: number): void {
    if (index === this.#index) return;
    this.#steps.clear();
    this.#index = index;
  }
}
