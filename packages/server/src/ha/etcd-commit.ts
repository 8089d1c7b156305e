import type { Mutation, PlannedEntry, RegionLogWriteResult, SecretBox, StateStore } from '@tollgate/state';
import type { Etcd3, IOperation, ITxnResponse } from 'etcd3';
import { NotLeaderError, UnavailableError, WaitTimeoutError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { timeoutSignal } from '../grpc/timeout-signal.js';
import { sleep } from '../sleep.js';
import type { EtcdHealth } from './etcd-health.js';
import type { EtcdLayout } from './etcd-layout.js';
import { APPLY_WAIT_MS, WRITE_CONFLICT_ATTEMPTS, isUnreachable, unavailable } from './etcd-retry.js';
import { entryTransactions, packWrites, type PackableWrite, type Txn, type TxnContext } from './etcd-txn-packing.js';
import type { LeaderFence } from './leader-election.js';

/**
 * Most packed transactions in flight at once. Writes that arrive while
 * they are in flight queue up and go together in the next one (etcd's own
 * batching then has several transactions to put in one raft round).
 */
export const MAX_TXNS_IN_FLIGHT = 4;

/** Planner errors that may come from a stale local view, so they are confirmed after catching up. */
const STALE_SENSITIVE: ReadonlySet<string> = new Set<ErrorCode>(['TOLLGATE_NOT_FOUND', 'TOLLGATE_CONFLICT', 'TOLLGATE_BOOTSTRAP']);

/** Options of `EtcdCommitter`. */
export interface EtcdCommitterOptions {
  readonly client: Etcd3;
  readonly layout: EtcdLayout;
  readonly store: StateStore;
  readonly box: SecretBox;
  readonly agentId: string;
  /** etcd's `--max-txn-ops`. */
  readonly maxTxnOps: number;
  readonly health: EtcdHealth;
  /** The region's current revision (the batched read barrier). */
  readonly readIndex: () => Promise<number>;
  /** The leader fence for leader-only writes; `undefined` = this agent does not lead. */
  readonly fence: () => LeaderFence | undefined;
  /** A transaction lost a compare race and its writes are re-planned. */
  readonly onConflict?: () => void;
  /** @default MAX_TXNS_IN_FLIGHT */
  readonly maxTxnsInFlight?: number;
}

/** How a transaction ended: committed at `revision`, or a lost race (catch up to `conflictAt`, re-plan). */
type Outcome = { readonly revision: number } | { readonly conflictAt: number };

interface Queued {
  readonly write: PackableWrite;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Commits planned writes to etcd and retries lost races (DESIGN.md
 * "Region log"): plan against local state → transaction(s) whose compares
 * pin what the plan read → on a failed compare, catch up with the winner and
 * plan again → resolve once this agent's own watch applied the revision
 * (read-your-writes).
 *
 * **Packing and pipelining.** A user write that fits one transaction goes
 * to a queue; the queue sends up to `maxTxnsInFlight` transactions at once
 * without waiting for earlier ones to be applied, each packing every queued
 * write whose keys do not overlap another member's (`packWrites`). All
 * members of a transaction commit at its revision, or none does: if any
 * compare fails, every member catches up and is re-planned and sent alone
 * (its own transaction), so one lost race cannot starve the others. Leader-
 * only, bootstrap and multi-transaction writes always go alone.
 */
export class EtcdCommitter {
  readonly #o: EtcdCommitterOptions;
  readonly #ctx: TxnContext;
  readonly #maxInFlight: number;
  readonly #queue: Queued[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(opts: EtcdCommitterOptions) {
    this.#o = opts;
    this.#ctx = { layout: opts.layout, box: opts.box, agentId: opts.agentId, maxOps: opts.maxTxnOps };
    this.#maxInFlight = Math.max(1, opts.maxTxnsInFlight ?? MAX_TXNS_IN_FLIGHT);
  }

  /**
   * Plans (`plan` against the local store; its reads become the compares),
   * commits and waits until the write is applied locally; retries lost races up to
   * `WRITE_CONFLICT_ATTEMPTS` times.
   */
  async write(plan: () => PlannedEntry, mutation: Mutation | undefined, leaderOnly: boolean): Promise<RegionLogWriteResult> {
    await this.#o.health.assertWritable();
    let confirmed = false;
    for (let attempt = 0; attempt < WRITE_CONFLICT_ATTEMPTS; attempt++) {
      const fence = leaderOnly ? this.#fenceOrThrow() : undefined;
      let planned: PlannedEntry;
      try {
        planned = plan();
      } catch (err) {
        // A refusal read from a stale view may be wrong: confirm it once, caught up.
        const code = (err as { code?: unknown }).code;
        if (confirmed || typeof code !== 'string' || !STALE_SENSITIVE.has(code)) throw err;
        confirmed = true;
        await this.#catchUp(await this.#o.readIndex());
        planned = plan();
      }
      const { txns, packable } = entryTransactions(this.#ctx, planned, mutation, fence);
      // A write that lost a race in a shared transaction goes alone next time.
      const outcome = packable !== undefined && attempt === 0 ? await this.#enqueue(packable) : await this.#commitAll(txns, fence);
      if ('revision' in outcome) {
        await this.#waitApplied(outcome.revision);
        return { index: outcome.revision };
      }
      this.#o.onConflict?.();
      // Catch up with the winner, then plan again against what it wrote.
      await this.#catchUp(outcome.conflictAt);
      await sleep(Math.random() * 5 * (attempt + 1));
    }
    throw new UnavailableError(
      `the write lost ${WRITE_CONFLICT_ATTEMPTS} races in a row against concurrent writes to the same objects; retry it`,
    );
  }

  /** Waits until the store has applied `index`, or throws a 504. */
  async #catchUp(index: number): Promise<void> {
    const reached = await this.#waitIndex(index);
    if (reached < index && this.#o.store.status === 'open') {
      throw new WaitTimeoutError(
        `this agent has not caught up with etcd (applied ${reached}, region at ${index}) within ${APPLY_WAIT_MS} ms`,
      );
    }
  }

  #fenceOrThrow(): LeaderFence {
    const fence = this.#o.fence();
    if (fence === undefined) throw new NotLeaderError('this agent is not the leader of its region; leader-only writes are refused');
    return fence;
  }

  /** The transactions of one write, in order, each after the one before committed. */
  async #commitAll(txns: readonly Txn[], fence: LeaderFence | undefined): Promise<Outcome> {
    let committed = 0;
    for (const txn of txns) {
      const res = await this.#commit(txn, fence);
      if (!res.succeeded) return { conflictAt: Math.max(this.#explainFailure(res, fence), committed) };
      committed = Number(res.header.revision);
    }
    return { revision: committed };
  }

  #enqueue(write: PackableWrite): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // Writes planned in the same turn of the event loop share a transaction.
      setImmediate(() => {
        this.#scheduled = false;
        this.#pump();
      });
    });
  }

  /** Sends packed transactions while fewer than `maxTxnsInFlight` are in flight. */
  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const { taken, txn } = packWrites(
        this.#queue.map((q) => q.write),
        this.#o.layout,
        this.#o.agentId,
        this.#o.maxTxnOps,
      );
      const members = this.#queue.splice(0, taken);
      this.#inFlight++;
      this.#commit(txn, undefined)
        .then(
          (res) => {
            if (res.succeeded) {
              const revision = Number(res.header.revision);
              for (const m of members) m.resolve({ revision });
              return;
            }
            const conflictAt = this.#explainFailure(res, undefined);
            for (const m of members) m.resolve({ conflictAt });
          },
        )
        .catch((err: unknown) => {
          for (const m of members) m.reject(err);
        })
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
  }

  /** Commits one transaction; transport failures mark etcd unreachable and become 503s. */
  async #commit(txn: Txn, fence: LeaderFence | undefined): Promise<ITxnResponse> {
    const client = this.#o.client;
    const [first, ...rest] = txn.compares;
    let b = client.if(first!.key, first!.target, first!.cmp, first!.value);
    for (const c of rest) b = b.and(c.key, c.target, c.cmp, c.value);
    const ops: IOperation[] = txn.ops.map((o) => (o.type === 'put' ? client.put(o.key).value(o.value) : client.delete().key(o.key)));
    const diagnose: IOperation[] = [client.get(this.#o.layout.rev), client.get(this.#o.layout.keyCheck)];
    if (fence !== undefined) diagnose.push(client.get(fence.key));
    try {
      const res = await b.then(...ops).else(...diagnose).commit();
      this.#o.health.markReachable();
      return res;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.#o.health.markUnreachable(err);
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
      throw new UnavailableError(`etcd has no ${this.#o.layout.keyCheck}: the region's data is gone from etcd; writes are refused`);
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

  /** Resolves with the store's index once it is ≥ `index`, or with the index reached after `APPLY_WAIT_MS`. */
  async #waitIndex(index: number): Promise<number> {
    const store = this.#o.store;
    if (store.index() >= index) return store.index();
    const bound = timeoutSignal(APPLY_WAIT_MS);
    try {
      return await store.waitForIndex(index, bound.signal);
    } finally {
      bound.dispose();
    }
  }

  async #waitApplied(index: number): Promise<void> {
    const reached = await this.#waitIndex(index);
    if (reached < index && this.#o.store.status === 'open') {
      throw new WaitTimeoutError(
        `the write was committed at index ${index}, but this agent has not applied it within ${APPLY_WAIT_MS} ms (its etcd watch is behind)`,
      );
    }
  }
}
