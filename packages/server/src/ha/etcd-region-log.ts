import { RegionLog, SecretBox } from '@tollgate/state';
import type { CommitEntry, Mutation, RegionLogWriteResult, ReplicatedBatch, StateStore } from '@tollgate/state';
import type { Etcd3, IOperation, ITxnResponse } from 'etcd3';
import { ConfigError, NotLeaderError, UnavailableError, WaitTimeoutError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { timeoutSignal } from '../grpc/timeout-signal.js';
import type { Logger } from '../logger.js';
import { encodeAuthMethod, encodeBindingRule, encodePolicy, encodeRole, encodeToken, EtcdLayout } from './etcd-layout.js';
import {
  APPLY_WAIT_MS,
  MAX_TXN_BYTES,
  MAX_TXN_OPS,
  PROBE_FAILURES_BEFORE_DEGRADED,
  PROBE_INTERVAL_MS,
  WRITE_CONFLICT_ATTEMPTS,
  isUnreachable,
  unavailable,
} from './etcd-retry.js';
import { sleep } from '../sleep.js';
import type { LeaderFence } from './leader-election.js';
import { RegionFollower } from './region-follower.js';

/** What the HA metrics learn from the region log. */
export interface RegionLogObserver {
  /** A transaction lost a compare race and was re-planned. */
  conflict(): void;
  /** The region was listed again (first start, compaction). */
  relist(): void;
  /** Watched writes were applied; `lagSeconds` = now − their commit time, when known. */
  applied(lagSeconds: number | undefined): void;
}

/** Options of `EtcdRegionLog.open`. */
export interface EtcdRegionLogOptions {
  readonly client: Etcd3;
  /** The region's key prefix, e.g. `/tollgate/global/`. */
  readonly prefix: string;
  /** This agent's state machine, which this log feeds (through `applyCommitted` / `applySnapshot`). */
  readonly store: StateStore;
  /** The region-wide `acl.encryption_key`: seals SecretIDs before they go to etcd. */
  readonly secretKey: Buffer;
  /** Recorded with every write (`data/rev`), for diagnosis. */
  readonly agentId: string;
  readonly log: Logger;
  /** The leader fence for leader-only writes; `undefined` = this agent does not lead. */
  readonly fence: () => LeaderFence | undefined;
  readonly observer?: Partial<RegionLogObserver>;
  /**
   * How long `open` waits for the first catch-up with etcd before it
   * returns anyway (the agent then starts degraded and catches up later).
   * @default 5000
   */
  readonly syncTimeoutMs?: number;
  /**
   * etcd's `--max-txn-ops` (`etcd.max_txn_ops`): the most operations and
   * compares one transaction carries. A user's write (a token revocation
   * with its whole tree) must fit one. @default MAX_TXN_OPS (128, etcd's default)
   */
  readonly maxTxnOps?: number;
}

/** A snapshot of the log's health, for `/v1/agent/ha`, health and metrics. */
export interface EtcdRegionLogInfo {
  readonly reachable: boolean;
  /** Milliseconds since etcd last answered (0 right after an answer). */
  readonly lastContactMs: number;
  /** Whether a watch is established. */
  readonly watching: boolean;
  /** The newest region write revision this agent has heard of. */
  readonly etcdIndex: number;
  /** The store's applied index. */
  readonly appliedIndex: number;
  /** Commit-to-apply delay of the last watched write, in seconds. */
  readonly watchLagSeconds: number;
  readonly degradedReason: string | undefined;
}

type Compare = { readonly key: string; readonly target: 'Create' | 'Mod'; readonly cmp: '==' | '>'; readonly value: number };
type Op = { readonly type: 'put'; readonly key: string; readonly value: string } | { readonly type: 'del'; readonly key: string };
/** What one planned object write contributes to a transaction. */
interface Step {
  readonly compares: Compare[];
  readonly ops: Op[];
  readonly bytes: number;
}
/** One etcd transaction: if every compare holds, apply the ops. */
interface Txn {
  readonly compares: readonly Compare[];
  readonly ops: readonly Op[];
}

/** Plaintext and AAD of the key check value (`keycheck`). */
const KEY_CHECK = 'tollgate-region-key-check';

/** Planner errors that may come from a stale local view, so they are confirmed after catching up. */
const STALE_SENSITIVE: ReadonlySet<string> = new Set<ErrorCode>(['TOLLGATE_NOT_FOUND', 'TOLLGATE_CONFLICT', 'TOLLGATE_BOOTSTRAP']);

/**
 * The region log of an HA region: etcd (DESIGN.md "Region log"; the key
 * layout is in `etcd-layout.ts`).
 *
 * **Writes.** A mutation is planned with Nomad's rules against this agent's
 * state (`StateStore.planMutation`), then committed as one etcd transaction
 * whose compares assert that every key the plan read is still as the plan
 * saw it: a new token's accessor and secret-hash keys do not exist
 * (`create_revision == 0`, so two agents can never both create them), an
 * updated or deleted object still has the mod revision it had, bootstrap is
 * still undone (or at the reset index given). A failed compare means another
 * agent won a race: this agent catches up to the winner's revision and
 * re-plans (which then yields the winner's outcome: e.g. "ACL bootstrap
 * already done"). The write's index is the transaction's revision, and the
 * call resolves once this agent's own watch has applied it
 * (read-your-writes). Leader-only writes also compare the leader key
 * (fencing).
 *
 * **Reads** stay on the local store. `readIndex()` is one etcd read of
 * `data/rev` (concurrent calls share it), the revision of the region's last
 * write: a linearizable read waits until the store has applied it.
 *
 * **Failure.** A probe reads `data/rev` every second. When etcd does not
 * answer, the log is `degraded`: writes fail at once with a 503 naming etcd,
 * reads go on from the store. When etcd answers again, the follower resumes
 * from the store's index and the log is `open` again.
 */
export class EtcdRegionLog extends RegionLog {
  readonly #o: EtcdRegionLogOptions;
  readonly #client: Etcd3;
  readonly #layout: EtcdLayout;
  readonly #store: StateStore;
  readonly #box: SecretBox;
  readonly #follower: RegionFollower;
  readonly #stop = new AbortController();
  #probe: Promise<void> | undefined;
  #keyChecked = false;
  #unreachableSince: number | undefined;
  #unreachableError: string | undefined;
  #probeFailures = 0;
  #lastContact = 0;
  #watching = false;
  #etcdIndex = 0;
  #lagSeconds = 0;
  #fatal: string | undefined;
  #stalledProbes = 0;
  #readInflight: Promise<number> | undefined;
  #readNext: Promise<number> | undefined;

  private constructor(opts: EtcdRegionLogOptions) {
    super();
    this.#o = opts;
    this.#client = opts.client;
    this.#layout = new EtcdLayout(opts.prefix);
    this.#store = opts.store;
    this.#box = new SecretBox(opts.secretKey);
    this.#follower = new RegionFollower({
      client: opts.client,
      layout: this.#layout,
      store: opts.store,
      box: this.#box,
      log: opts.log,
      events: {
        onWatching: (w) => {
          this.#watching = w;
          if (w) this.#reachable();
        },
        onApplied: (index, committedAtMs) => {
          this.#fatal = undefined;
          this.#etcdIndex = Math.max(this.#etcdIndex, index);
          const lag = committedAtMs === undefined ? undefined : Math.max(0, Date.now() - committedAtMs) / 1000;
          if (lag !== undefined) this.#lagSeconds = lag;
          this.#o.observer?.applied?.(lag);
        },
        onRelist: (index) => {
          this.#o.log.info({ index }, 'listed the region from etcd');
          this.#o.observer?.relist?.();
        },
        onError: (err, fatal) => {
          const message = err instanceof Error ? err.message : String(err);
          if (fatal) {
            if (this.#fatal !== message) this.#o.log.error({ err: message }, 'cannot follow the region in etcd');
            this.#fatal = message;
          } else {
            this.#o.log.warn({ err: message }, 'etcd watch broke; resuming from the stored index');
            if (isUnreachable(err)) this.#unreachable(err);
          }
        },
      },
    });
  }

  /**
   * Opens the log: checks that this agent's `acl.encryption_key` is the
   * region's, starts following etcd and probing it, and waits (up to
   * `syncTimeoutMs`) until the store has caught up with etcd. When etcd is
   * unreachable it returns anyway, degraded, and catches up later.
   * @throws ConfigError when etcd holds data sealed under another key.
   */
  static async open(opts: EtcdRegionLogOptions): Promise<EtcdRegionLog> {
    const log = new EtcdRegionLog(opts);
    try {
      await log.#checkKey();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      log.#unreachable(err);
      opts.log.warn({ err: String(err) }, 'etcd is unreachable at start; serving reads from the local state until it answers');
    }
    log.#follower.start();
    log.#probe = log.#probeLoop();
    if (log.#unreachableSince === undefined) {
      const bound = timeoutSignal(opts.syncTimeoutMs ?? 5000);
      try {
        const target = await log._readIndex();
        await opts.store.waitForIndex(target, bound.signal);
      } catch {
        // Degraded start; the probe and the follower recover by themselves.
      } finally {
        bound.dispose();
      }
    }
    return log;
  }

  /** Health and progress, for status endpoints and metrics. */
  get info(): EtcdRegionLogInfo {
    return {
      reachable: this.#unreachableSince === undefined,
      lastContactMs: this.#lastContact === 0 ? -1 : Date.now() - this.#lastContact,
      watching: this.#watching,
      etcdIndex: Math.max(this.#etcdIndex, this.#store.index()),
      appliedIndex: this.#store.index(),
      watchLagSeconds: this.#lagSeconds,
      degradedReason: this.degradedReason,
    };
  }

  // ------------------------------------------------------------- writes

  protected _apply(mutation: Mutation, leaderOnly: boolean): Promise<RegionLogWriteResult> {
    return this.#write(() => this.#store.planMutation(mutation), mutation, leaderOnly);
  }

  protected _applyReplicated(batch: ReplicatedBatch): Promise<RegionLogWriteResult> {
    return this.#write(() => this.#store.planReplicated(batch), undefined, true);
  }

  async #write(plan: () => CommitEntry, mutation: Mutation | undefined, leaderOnly: boolean): Promise<RegionLogWriteResult> {
    await this.#assertWritable();
    let confirmed = false;
    for (let attempt = 0; attempt < WRITE_CONFLICT_ATTEMPTS; attempt++) {
      const fence = leaderOnly ? this.#fenceOrThrow() : undefined;
      let entry: CommitEntry;
      try {
        entry = plan();
      } catch (err) {
        // A refusal read from a stale view may be wrong: confirm it once, caught up.
        const code = (err as { code?: unknown }).code;
        if (confirmed || typeof code !== 'string' || !STALE_SENSITIVE.has(code)) throw err;
        confirmed = true;
        await this.#catchUp(await this._readIndex());
        entry = plan();
      }
      const txns = this.#transactions(entry, mutation, fence);
      let committed = 0;
      let conflictAt: number | undefined;
      for (const txn of txns) {
        const res = await this.#commit(txn, fence);
        if (!res.succeeded) {
          conflictAt = this.#explainFailure(res, fence);
          break;
        }
        committed = Number(res.header.revision);
      }
      if (conflictAt === undefined) {
        await this.#waitApplied(committed);
        return { index: committed };
      }
      this.#o.observer?.conflict?.();
      // Catch up with the winner, then plan again against what it wrote.
      await this.#catchUp(Math.max(conflictAt, committed));
      await sleep(Math.random() * 5 * (attempt + 1));
    }
    throw new UnavailableError(
      `the write lost ${WRITE_CONFLICT_ATTEMPTS} races in a row against concurrent writes to the same objects; retry it`,
    );
  }

  #fenceOrThrow(): LeaderFence {
    const fence = this.#o.fence();
    if (fence === undefined) throw new NotLeaderError('this agent is not the leader of its region; leader-only writes are refused');
    return fence;
  }

  /**
   * Turns a planned entry into transactions: per object, the compares that
   * pin what the plan read and the puts/deletes; then the table markers,
   * bootstrap and cursor keys and `data/rev`. A leader-only entry too large
   * for one transaction (GC, a replication snapshot) is split into several,
   * each with the fence; the cursor goes in the last one, so a crash in
   * between only makes the replication loop re-send changes it skips as
   * identical. Any other write must fit in one.
   */
  #transactions(entry: CommitEntry, mutation: Mutation | undefined, fence: LeaderFence | undefined): Txn[] {
    const L = this.#layout;
    const store = this.#store;
    const steps: Step[] = [];
    const step = (compares: Compare[], ops: Op[]): void => {
      steps.push({ compares, ops, bytes: ops.reduce((n, o) => n + o.key.length + (o.type === 'put' ? o.value.length : 0), 0) });
    };
    const pin = (key: string, modifyIndex: number | undefined): Compare =>
      modifyIndex === undefined ? { key, target: 'Create', cmp: '==', value: 0 } : { key, target: 'Mod', cmp: '==', value: modifyIndex };

    // Role names this entry releases (deleted or renamed roles) may be taken
    // by a later op of the same entry: their name key is then no longer pinned
    // as absent (compares see the state before the transaction).
    const releasedNames = new Set<string>();
    for (const op of entry.ops) {
      switch (op.type) {
        case 'put-token': {
          const t = op.token;
          const prev = store.tokenByAccessor(t.AccessorID);
          const compares = [pin(L.token(t.AccessorID), prev?.ModifyIndex)];
          const ops: Op[] = [{ type: 'put', key: L.token(t.AccessorID), value: encodeToken(t, this.#box) }];
          const parent = t.ParentAccessorID;
          if (prev === undefined && mutation?.type === 'token-upsert' && parent !== undefined && t.Orphan !== true) {
            // A new child pins its parent: a revocation of the parent's tree by
            // another agent meanwhile fails this create (re-planned: refused).
            const p = store.tokenByAccessor(parent);
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
          const prev = store.tokenByAccessor(op.accessor);
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
          const prev = store.policy(op.policy.Name);
          step([pin(L.policy(op.policy.Name), prev?.ModifyIndex)], [{ type: 'put', key: L.policy(op.policy.Name), value: encodePolicy(op.policy, this.#box) }]);
          break;
        }
        case 'delete-policy': {
          const prev = store.policy(op.name);
          step([pin(L.policy(op.name), prev?.ModifyIndex)], [{ type: 'del', key: L.policy(op.name) }]);
          break;
        }
        case 'put-role': {
          const r = op.role;
          const prev = store.role(r.ID);
          const compares = [pin(L.role(r.ID), prev?.ModifyIndex)];
          const ops: Op[] = [{ type: 'put', key: L.role(r.ID), value: encodeRole(r, this.#box) }];
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
            for (const { Name } of r.Policies) compares.push(pin(L.policy(Name), store.policy(Name)?.ModifyIndex));
          }
          step(compares, ops);
          break;
        }
        case 'delete-role': {
          const prev = store.role(op.id);
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
          const compares = [pin(L.authMethod(m.Name), store.authMethod(m.Name)?.ModifyIndex)];
          if (m.Default && mutation?.type === 'auth-method-upsert') {
            // The plan checked no other method of the type is the default.
            // Pin the auth method table: any method written meanwhile by
            // another agent (a racing second default included) moves it, so
            // this write is re-planned on the newer state (revision 1 is
            // etcd's own: the table was never written).
            const seen = store.tableIndex('acl_auth_method');
            compares.push(pin(L.table('acl_auth_method'), seen <= 1 ? undefined : seen));
          }
          step(compares, [{ type: 'put', key: L.authMethod(m.Name), value: encodeAuthMethod(m, this.#box) }]);
          break;
        }
        case 'delete-auth-method': {
          const prev = store.authMethod(op.name);
          if (prev === undefined) break;
          step([pin(L.authMethod(op.name), prev.ModifyIndex)], [{ type: 'del', key: L.authMethod(op.name) }]);
          break;
        }
        case 'put-binding-rule': {
          const r = op.rule;
          const compares = [pin(L.bindingRule(r.ID), store.bindingRule(r.ID)?.ModifyIndex)];
          if (mutation?.type === 'binding-rule-upsert') {
            // The plan checked the auth method exists: pin it.
            compares.push(pin(L.authMethod(r.AuthMethod), store.authMethod(r.AuthMethod)?.ModifyIndex));
          }
          step(compares, [{ type: 'put', key: L.bindingRule(r.ID), value: encodeBindingRule(r, this.#box) }]);
          break;
        }
        case 'delete-binding-rule': {
          const prev = store.bindingRule(op.id);
          if (prev === undefined) break;
          step([pin(L.bindingRule(op.id), prev.ModifyIndex)], [{ type: 'del', key: L.bindingRule(op.id) }]);
          break;
        }
      }
    }
    // A delete of a policy this agent does not know is a no-op only if etcd does not know it either.
    if (mutation?.type === 'policy-delete') {
      for (const name of new Set(mutation.names)) {
        if (store.policy(name) === undefined) step([pin(L.policy(name), undefined)], []);
      }
    }

    const tables: Op[] = entry.tables.map((t) => ({ type: 'put', key: L.table(t), value: '' }) as const);
    const tail: Op[] = [...tables];
    const tailCompares: Compare[] = [];
    if (entry.bootstrapIndex !== undefined) {
      const seen = store.bootstrapIndex();
      tailCompares.push(pin(L.bootstrap, seen === 0 ? undefined : seen));
      const accessor = entry.ops[0]?.type === 'put-token' ? entry.ops[0].token.AccessorID : '';
      tail.push({ type: 'put', key: L.bootstrap, value: JSON.stringify({ AccessorID: accessor }) });
    }
    const always: Compare[] = [{ key: L.keyCheck, target: 'Create', cmp: '>', value: 0 }];
    if (fence !== undefined) always.push({ key: fence.key, target: 'Create', cmp: '==', value: fence.createRevision });
    const rev = (): Op => ({ type: 'put', key: L.rev, value: JSON.stringify({ t: Date.now(), a: this.#o.agentId }) });

    // Pack the object steps into transactions within etcd's limits.
    const maxOps = this.#o.maxTxnOps ?? MAX_TXN_OPS;
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
    return chunks.map((chunk, i) => {
      const last = i === chunks.length - 1;
      const ops: Op[] = [...chunk.flatMap((s) => s.ops), ...(last ? tail : tables), rev()];
      if (last && entry.replicationCursor !== undefined) {
        ops.push({ type: 'put', key: L.cursor, value: String(entry.replicationCursor) });
      }
      return { compares: [...always, ...(last ? tailCompares : []), ...chunk.flatMap((s) => s.compares)], ops };
    });
  }

  /** Commits one transaction; transport failures mark etcd unreachable and become 503s. */
  async #commit(txn: Txn, fence: LeaderFence | undefined): Promise<ITxnResponse> {
    const [first, ...rest] = txn.compares;
    let b = this.#client.if(first!.key, first!.target, first!.cmp, first!.value);
    for (const c of rest) b = b.and(c.key, c.target, c.cmp, c.value);
    const ops: IOperation[] = txn.ops.map((o) => (o.type === 'put' ? this.#client.put(o.key).value(o.value) : this.#client.delete().key(o.key)));
    const diagnose: IOperation[] = [this.#client.get(this.#layout.rev), this.#client.get(this.#layout.keyCheck)];
    if (fence !== undefined) diagnose.push(this.#client.get(fence.key));
    try {
      const res = await b.then(...ops).else(...diagnose).commit();
      this.#reachable();
      return res;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.#unreachable(err);
      throw unavailable('the write transaction', err);
    }
  }

  /**
   * Why a transaction's compares failed: a lost fence (NotLeaderError), a
   * region without its key check (etcd wiped), or a lost race — then the
   * revision to catch up to before re-planning.
   */
  #explainFailure(res: ITxnResponse, fence: LeaderFence | undefined): number {
    const kv = (i: number) => res.responses[i]?.response_range?.kvs[0];
    if (kv(1) === undefined) {
      throw new UnavailableError(`etcd has no ${this.#layout.keyCheck}: the region's data is gone from etcd; writes are refused`);
    }
    if (fence !== undefined) {
      const leaderKey = kv(2);
      if (leaderKey === undefined || Number(leaderKey.create_revision) !== fence.createRevision) {
        throw new NotLeaderError('this agent lost the region leadership (its leader key expired); the leader-only write was refused');
      }
    }
    const rev = kv(0);
    return rev === undefined ? 0 : Number(rev.mod_revision);
  }

  // -------------------------------------------------------------- reads

  /**
   * The revision of the region's last write (`data/rev`). Concurrent calls
   * share one etcd read, but a call never shares a read that was sent
   * before it arrived (that read could miss a write acknowledged before
   * the call): it waits for the next one.
   */
  protected _readIndex(): Promise<number> {
    if (this.#unreachableSince !== undefined) {
      return Promise.reject(unavailable('the read-index lookup', new Error(this.#unreachableError ?? 'no answer')));
    }
    if (this.#readNext !== undefined) return this.#readNext;
    if (this.#readInflight === undefined) return this.#startRead();
    this.#readNext = this.#readInflight.then(
      () => this.#startRead(),
      () => this.#startRead(),
    );
    return this.#readNext;
  }

  #startRead(): Promise<number> {
    this.#readNext = undefined;
    const read = this.#fetchRevision().finally(() => {
      if (this.#readInflight === read) this.#readInflight = undefined;
    });
    this.#readInflight = read;
    return read;
  }

  async #fetchRevision(): Promise<number> {
    let res;
    try {
      res = await this.#client.get(this.#layout.rev).exec();
    } catch (err) {
      if (isUnreachable(err)) this.#unreachable(err);
      throw unavailable('the read-index lookup', err);
    }
    this.#reachable();
    const kv = res.kvs[0];
    const index = kv === undefined ? 0 : Number(kv.mod_revision);
    this.#etcdIndex = Math.max(this.#etcdIndex, index);
    return index;
  }

  /** Resolves with the store's index once it is ≥ `index`, or with the index reached after `APPLY_WAIT_MS`. */
  async #waitIndex(index: number): Promise<number> {
    if (this.#store.index() >= index) return this.#store.index();
    const bound = timeoutSignal(APPLY_WAIT_MS);
    try {
      return await this.#store.waitForIndex(index, bound.signal);
    } finally {
      bound.dispose();
    }
  }

  /** Waits until the store has applied `index`, or throws a 504. */
  async #catchUp(index: number): Promise<void> {
    const reached = await this.#waitIndex(index);
    if (reached < index && this.#store.status === 'open') {
      throw new WaitTimeoutError(
        `this agent has not caught up with etcd (applied ${reached}, region at ${index}) within ${APPLY_WAIT_MS} ms`,
      );
    }
  }

  async #waitApplied(index: number): Promise<void> {
    const reached = await this.#waitIndex(index);
    if (reached < index && this.#store.status === 'open') {
      throw new WaitTimeoutError(
        `the write was committed at index ${index}, but this agent has not applied it within ${APPLY_WAIT_MS} ms (its etcd watch is behind)`,
      );
    }
  }

  // ------------------------------------------------------------ health

  protected _degradedReason(): string | undefined {
    if (this.#unreachableSince !== undefined) {
      return `etcd unreachable since ${new Date(this.#unreachableSince).toISOString()} (${this.#unreachableError ?? 'no answer'})`;
    }
    if (this.#fatal !== undefined) return this.#fatal;
    if (!this.#keyChecked) return 'etcd key check pending';
    return undefined;
  }

  async #assertWritable(): Promise<void> {
    if (this.#unreachableSince !== undefined) {
      throw new UnavailableError(
        `etcd unreachable since ${new Date(this.#unreachableSince).toISOString()}: writes are refused; this agent serves reads from its local state (index ${this.#store.index()})`,
      );
    }
    if (this.#fatal !== undefined) throw new UnavailableError(`this agent cannot follow its region in etcd: ${this.#fatal}`);
    if (!this.#keyChecked) await this.#checkKey();
  }

  #reachable(): void {
    this.#lastContact = Date.now();
    this.#probeFailures = 0;
    if (this.#unreachableSince !== undefined) {
      this.#o.log.info({ downMs: Date.now() - this.#unreachableSince }, 'etcd reachable again');
      this.#unreachableSince = undefined;
      this.#unreachableError = undefined;
    }
  }

  #unreachable(err: unknown): void {
    if (this.#unreachableSince === undefined) {
      this.#unreachableSince = Date.now();
      this.#unreachableError = err instanceof Error ? err.message : String(err);
      this.#o.log.warn({ err: this.#unreachableError }, 'etcd unreachable: refusing writes, serving reads from local state');
    }
  }

  /**
   * Makes sure every agent of the region seals SecretIDs with the same key:
   * the first agent stores a sealed constant, the others must open it.
   */
  async #checkKey(): Promise<void> {
    if (this.#keyChecked) return;
    const sealed = this.#box.seal(KEY_CHECK, KEY_CHECK);
    const k = this.#layout.keyCheck;
    let res: ITxnResponse;
    try {
      res = await this.#client.if(k, 'Create', '==', 0).then(this.#client.put(k).value(sealed)).else(this.#client.get(k)).commit();
    } catch (err) {
      if (isUnreachable(err)) throw unavailable('the key check', err);
      throw err;
    }
    this.#reachable();
    const revision = Number(res.header.revision);
    if (this.#store.index() > revision) {
      // A data dir that never followed this etcd (an embedded agent's, or another cluster's).
      throw new ConfigError(
        `etcd: this agent's state is at index ${this.#store.index()} but the region's etcd is only at revision ${revision}: the data dir was not written by this etcd region (an embedded agent's, or another cluster's); start the agent with an empty data dir`,
      );
    }
    if (!res.succeeded) {
      const stored = res.responses[0]?.response_range?.kvs[0]?.value.toString('utf8') ?? '';
      let ok = false;
      try {
        ok = this.#box.open(stored, KEY_CHECK) === KEY_CHECK;
      } catch {
        ok = false;
      }
      if (!ok) {
        throw new ConfigError(
          `acl.encryption_key: this agent's key differs from the one its region's etcd data (${this.#layout.prefix}) was sealed with; every agent of a region needs the same key`,
        );
      }
    }
    this.#keyChecked = true;
  }

  /**
   * Every second: is etcd there, and is the watch keeping up? A watch
   * whose stream died silently shows as the store staying behind etcd's
   * last write for several probes; it is then re-opened.
   */
  async #probeLoop(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      await sleep(PROBE_INTERVAL_MS, this.#stop.signal);
      if (this.#stop.signal.aborted) break;
      try {
        if (!this.#keyChecked) await this.#checkKey();
        const res = await this.#client.get(this.#layout.rev).exec();
        this.#reachable();
        const index = res.kvs[0] === undefined ? 0 : Number(res.kvs[0].mod_revision);
        this.#etcdIndex = Math.max(this.#etcdIndex, index);
        if (this.#store.index() < index) {
          if (++this.#stalledProbes >= 3) {
            this.#o.log.warn({ applied: this.#store.index(), etcd: index }, 'etcd watch looks stalled; re-opening it');
            this.#stalledProbes = 0;
            this.#follower.restartWatch();
          }
        } else {
          this.#stalledProbes = 0;
        }
      } catch (err) {
        if (err instanceof ConfigError) {
          this.#fatal = err.message;
          continue;
        }
        if (!isUnreachable(err) && !(err instanceof UnavailableError)) continue;
        this.#probeFailures++;
        if (this.#probeFailures >= PROBE_FAILURES_BEFORE_DEGRADED || this.#unreachableSince !== undefined) this.#unreachable(err);
      }
    }
  }

  protected async _close(): Promise<void> {
    this.#stop.abort();
    await this.#follower.close();
    await this.#probe;
  }
}
