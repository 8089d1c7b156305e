import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Level } from 'level';
import { ChangeFeed, type ChangesSinceOptions } from './change-feed.js';
import type { CommitEntry } from './commit-entry.js';
import { CommitFailedError, InvalidArgumentError, StoreClosedError, StoreOpenError } from './errors.js';
import { expiryKeyOfDate } from './expiry-index.js';
import { checkCommittedEntry, planSnapshot, type CommittedSnapshot } from './external-apply.js';
import { META, PREFIX, RECORD_NOUN, encodeEntries, feedKey, type LevelOp } from './level-layout.js';
import { noopLogger, type Logger } from './logger.js';
import { checkStoreDir, type StoreCreateMode } from './open-guard.js';
import { MemoryState } from './memory-state.js';
import { planMutationWithReads } from './mutation-planner.js';
import type { PlannedEntry } from './plan-reads.js';
import { planReplicatedWithReads, type ReplicatedBatch } from './replication-planner.js';
import { SecretBox } from './secret-box.js';
import { StagedView } from './staged-view.js';
import { descendantsOf } from './token-tree.js';
import { loadState, planIndexRepair, type StateDb } from './state-loader.js';
import { resolveStoreMetrics, type StoreMetrics } from './store-metrics.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, Change, Mutation, TableName } from './types.js';
import { WatchPoint } from './watch-point.js';

/** Options of `StateStore.open`. */
export interface StateStoreOptions {
  /**
   * Data directory of the LevelDB. A new store is created only in a missing
   * or empty directory (see `create`); existing files without LevelDB's
   * `CURRENT` are refused, never overwritten.
   */
  readonly path: string;
  /**
   * `never` when the caller knows a store was initialized here before (its
   * keyring or marker file exists): then an empty directory is refused too.
   * @default "if-empty"
   */
  readonly create?: StoreCreateMode;
  /** 32-byte AES-256 key that seals SecretIDs at rest. */
  readonly secretKey: Buffer;
  /** @default a logger that discards everything */
  readonly logger?: Logger;
  /** Missing methods default to no-ops. */
  readonly metrics?: Partial<StoreMetrics>;
  /**
   * Change-feed entries kept for replication catch-up; older ones are pruned
   * in the background. A follower further behind takes a snapshot.
   * @default 100_000
   */
  readonly changeFeedHorizon?: number;
  /**
   * Upgrade a format-1 store (records without MACs) by signing every record
   * as it is now. Without it such a store is refused with
   * `StoreRefusedError`: the operator decides to trust its content.
   * @default false
   */
  readonly upgradeFormat?: boolean;
}

/** Lifecycle of a store: `opening` → `open` → `closing` → `closed`. */
export type StoreStatus = 'opening' | 'open' | 'closing' | 'closed';

/** Options of the list reads. */
export interface ListOptions {
  /** Only keys (AccessorID / policy Name / role ID) starting with this. */
  readonly prefix?: string;
}

/** A consumer of committed changes; see `StateStore.onCommit`. */
export type CommitListener = (changes: readonly Change[], index: number) => void;

/** The result of a write: the region index it was committed at. */
export interface WriteResult {
  readonly index: number;
}

/** First wait before a degraded store tries to recover its LevelDB; doubles up to the max. */
const RECOVER_FIRST_MS = 100;
const RECOVER_MAX_MS = 5_000;

/**
 * LevelDB's open-file budget (its default is 1,000). It maps every table file
 * it keeps open into memory, and each page read stays in the process's RSS
 * until the file is closed: loading a million tokens read every table and
 * kept ~400 MiB of them resident. With this many open (~2 MiB each), at
 * most ~120 MiB of tables stay mapped; a read of an evicted table reopens it.
 */
const OPEN_TABLE_FILES = 64;

/** Greatest number of queued writes one group commit takes. */
const MAX_GROUP = 1024;
/** Longest the background integrity sweep holds the event loop at a time. */
const SWEEP_SLICE_MS = 5;
/** Tries of the background index check when writes keep landing during it, and the wait between. */
const INDEX_CHECK_ATTEMPTS = 5;
const INDEX_CHECK_RETRY_MS = 1_000;
/** Greatest number of feed entries one background prune step deletes. */
const PRUNE_CHUNK = 10_000;

/**
 * How a region log hands a write to the state machine: `plan` turns it into
 * the committed entries it makes, checked against the state as staged so far
 * in this group commit (it throws a coded error to refuse the write, which
 * leaves the rest of the group alone); `sync` asks for an fsync of the batch
 * it lands in.
 */
export interface PlannedWrite {
  /** The caller's operation, named in `StoreClosedError`. */
  readonly operation: string;
  /**
   * `true` when this store is the durable copy of the write (the embedded
   * log's own mutations). A log that is durable elsewhere (etcd; the
   * authoritative region for replicated batches) passes `false`: a batch
   * lost in a machine crash is fetched again from there, resuming after the
   * index stored atomically with the data.
   */
  readonly sync: boolean;
  plan(staged: StagedView, log: Logger): CommitEntry[];
}

type Job = PlannedWrite & { resolve(r: WriteResult): void; reject(e: unknown): void };

/**
 * The package-internal entry of the apply path for `EmbeddedRegionLog`
 * (not exported from the package: other logs hand over checked entries
 * through `applyCommitted` / `applySnapshot`).
 */
export const commitPlanned: unique symbol = Symbol('StateStore.commitPlanned');

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/**
 * The durable ACL state machine of one agent: LevelDB on disk, everything in
 * memory for reads. It does not order writes: a `RegionLog` does, and feeds
 * it — `EmbeddedRegionLog` (this agent's own LevelDB, one agent per region)
 * or `EtcdRegionLog` (HA) — through one apply path.
 *
 * The apply path is a group-commit queue: while one LevelDB batch is being
 * written, new writes queue; the next flush plans all of them in order
 * against a staged view (each at its own region index, seeing the earlier
 * ones), drops those refused, writes ONE batch (synced when a write in it
 * asks for it) and only then applies it to memory, appends the change feed,
 * notifies and resolves the callers (`#commit`). Reads are synchronous and
 * never see an unacknowledged write.
 *
 * ```ts
 * const store = await StateStore.open({ path: dir, secretKey });
 * const log = new EmbeddedRegionLog(store);
 * const { index } = await log.apply({ type: 'policy-upsert', policies: [p] });
 * store.policy(p.Name)?.ModifyIndex === index; // true
 * await store.close();
 * ```
 */
export class StateStore {
  readonly #db: StateDb;
  readonly #box: SecretBox;
  readonly #log: Logger;
  readonly #metrics: StoreMetrics;
  readonly #horizon: number;
  readonly #pruneSlack: number;
  #mem = new MemoryState();
  #feed = new ChangeFeed(0);
  /** Tokens whose records were refused at load or by the sweep: their index entries are left alone. */
  #refused = new Set<string>();
  /** The background integrity sweep of a loaded state (see `whenVerified`). */
  #sweeping: Promise<void> = Promise.resolve();
  #status: StoreStatus = 'opening';
  readonly #path: string;
  #degraded: string | undefined;
  #recovering: Promise<void> | undefined;
  readonly #stopRecovery = new AbortController();

  readonly #queue: Job[] = [];
  #flushing: Promise<void> | undefined;
  #pruning: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #listeners = new Set<CommitListener>();
  readonly #tableWatch: Record<TableName, WatchPoint> = {
    acl_token: new WatchPoint(() => Math.max(1, this.#mem.tableIndexes.acl_token)),
    acl_policy: new WatchPoint(() => Math.max(1, this.#mem.tableIndexes.acl_policy)),
    acl_role: new WatchPoint(() => Math.max(1, this.#mem.tableIndexes.acl_role)),
    acl_auth_method: new WatchPoint(() => Math.max(1, this.#mem.tableIndexes.acl_auth_method)),
    acl_binding_rule: new WatchPoint(() => Math.max(1, this.#mem.tableIndexes.acl_binding_rule)),
  };
  readonly #indexWatch = new WatchPoint(() => this.#mem.index);
  readonly #cursorWatch = new WatchPoint(() => this.#mem.replicationCursor);

  private constructor(db: StateDb, path: string, box: SecretBox, log: Logger, metrics: StoreMetrics, horizon: number) {
    this.#db = db;
    this.#path = path;
    this.#box = box;
    this.#log = log;
    this.#metrics = metrics;
    this.#horizon = horizon;
    // Prune in chunks once the feed is ~10% over the horizon, not on every commit.
    this.#pruneSlack = Math.max(1, Math.floor(horizon / 10));
  }

  /**
   * Opens (or creates) the store at `opts.path` and loads all of it into
   * memory.
   * @throws InvalidArgumentError for bad options; StoreRefusedError for a
   *   directory that holds data LevelDB cannot open as it is (nothing is
   *   touched); StoreOpenError when LevelDB
   *   cannot open the directory (e.g. another process holds it);
   *   SecretKeyMismatchError when the directory was written under another
   *   key; StoreCorruptError for unreadable data.
   */
  static async open(opts: StateStoreOptions): Promise<StateStore> {
    if (typeof opts?.path !== 'string' || opts.path.length === 0) {
      throw new InvalidArgumentError('path must be a non-empty string');
    }
    const horizon = opts.changeFeedHorizon ?? 100_000;
    if (!Number.isSafeInteger(horizon) || horizon < 1) {
      throw new InvalidArgumentError('changeFeedHorizon must be a positive integer');
    }
    const box = new SecretBox(opts.secretKey);
    const log = opts.logger ?? noopLogger;
    const create = await checkStoreDir(opts.path, opts.create ?? 'if-empty');
    // Never createIfMissing over existing data (see checkStoreDir).
    const db: StateDb = new Level<string, unknown>(opts.path, { valueEncoding: 'json', createIfMissing: create, maxOpenFiles: OPEN_TABLE_FILES });
    try {
      await db.open();
    } catch (cause) {
      throw new StoreOpenError(opts.path, { cause });
    }
    const store = new StateStore(db, opts.path, box, log, resolveStoreMetrics(opts.metrics), horizon);
    try {
      const { mem, feed, refusedTokens } = await loadState(db, box, opts.path, log, {
        upgradeFormat: opts.upgradeFormat === true,
        onRefused: (table) => store.#metrics.observeRecordRefused(table, 'disk'),
      });
      store.#mem = mem;
      store.#feed = feed;
      store.#refused = refusedTokens;
    } catch (err) {
      await db.close().catch(() => {});
      store.#status = 'closed';
      throw err;
    }
    store.#status = 'open';
    store.#sweeping = store.#sweep();
    store.#maybePrune();
    return store;
  }

  /**
   * Resolves once the background integrity sweep after open is done: every
   * token record loaded from disk has had its MAC checked (refused ones are
   * logged, counted and unknown from then on), and the secondary indexes on
   * disk were checked against the tokens (and repaired if they disagreed).
   * Reads never wait for it: a token is verified before any read hands it
   * out.
   */
  whenVerified(): Promise<void> {
    return this.#sweeping;
  }

  /** Verifies pending tokens in slices of a few ms, yielding between them; then checks the indexes. */
  async #sweep(): Promise<void> {
    const mem = this.#mem;
    const started = performance.now();
    const pending = mem.pendingTokens;
    while (this.#status === 'open' && this.#mem === mem) {
      try {
        if (mem.settleSome(performance.now() + SWEEP_SLICE_MS)) break;
      } catch (err) {
        // The database is being reopened (recovering from a failed write): records cannot be read.
        if (!(err instanceof StoreClosedError)) throw err;
        await sleep(RECOVER_FIRST_MS, undefined, { signal: this.#stopRecovery.signal }).catch(() => {});
        continue;
      }
      await nextTurn();
    }
    if (this.#status !== 'open' || this.#mem !== mem) return;
    if (pending > 0) {
      this.#log.info({ tokens: pending, seconds: (performance.now() - started) / 1000 }, 'settled every token record loaded from disk');
    }
    try {
      for (let attempt = 0; attempt < INDEX_CHECK_ATTEMPTS; attempt++) {
        const repair = await planIndexRepair(this.#db, mem, this.#refused, () => this.#status === 'open');
        if (this.#status !== 'open' || this.#mem !== mem) return;
        // Planned against memory as it is now; writes committed during the scan make it retry.
        if (repair === undefined) {
          await sleep(INDEX_CHECK_RETRY_MS, undefined, { signal: this.#stopRecovery.signal }).catch(() => {});
          continue;
        }
        if (repair.length > 0) await this.#writeRepair(repair);
        return;
      }
      this.#log.debug({}, 'secondary index check skipped: writes kept coming; it runs again at the next start');
    } catch (err) {
      this.#log.warn({ err: String(err) }, 'secondary index check failed; it runs again at the next start');
    }
  }

  /** Writes index repairs before any later commit (holding the commit queue), synced. */
  async #writeRepair(repair: LevelOp[]): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#status !== 'open') return;
    this.#log.warn({ operations: repair.length }, 'secondary indexes on disk disagreed with the tokens; repaired');
    const write = this.#db.batch(repair, { sync: true });
    this.#flushing = write.finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) this.#flushing = this.#drainQueue();
    });
    await this.#flushing;
  }

  /**
   * Reports a record an external region log held that failed its integrity
   * check (HA: an etcd value whose MAC does not verify) and was left out:
   * logged with its name, counted in the store's metrics.
   */
  reportRefusedRecord(table: TableName, id: string, why: string, source: string): void {
    this.#log.error({ table, id, why, source }, `${RECORD_NOUN[table]} ${id} from ${source} refused: ${why}`);
    this.#metrics.observeRecordRefused(table, source);
  }

  /** Where the store is in its lifecycle. */
  get status(): StoreStatus {
    return this.#status;
  }

  /**
   * Why writes are refused right now (a commit failed: disk full, I/O
   * error), or `undefined` when the store takes writes. While degraded,
   * reads go on from memory, writes reject at once with
   * `CommitFailedError`, and the store retries with backoff (100 ms up to
   * 5 s) until LevelDB takes a synced write again — then it is back by
   * itself, without a restart.
   */
  get degradedReason(): string | undefined {
    return this.#degraded;
  }

  // ---------------------------------------------------------------- reads

  #assertReadable(operation: string): void {
    if (this.#status === 'closed') throw new StoreClosedError(operation);
  }

  /** The last committed region index (0 for an empty store). */
  index(): number {
    this.#assertReadable('index');
    return this.#mem.index;
  }

  /**
   * The index of the last committed change to `table`, floored to 1 like
   * Nomad's table indexes (so a blocking query at index 0 never waits).
   */
  tableIndex(table: TableName): number {
    this.#assertReadable('tableIndex');
    const i = this.#mem.tableIndexes[table];
    if (i === undefined) throw new InvalidArgumentError(`table must be one of ${Object.keys(this.#tableWatch).join(', ')}`);
    return Math.max(1, i);
  }

  /** The token with this AccessorID, or `undefined`. */
  tokenByAccessor(accessor: string): ACLToken | undefined {
    this.#assertReadable('tokenByAccessor');
    return this.#mem.token(accessor);
  }

  /**
   * The direct children of a token (non-orphan tokens naming it as parent),
   * by CreateIndex: what a revocation of it takes along, one level down.
   */
  tokenChildren(accessor: string): ACLToken[] {
    this.#assertReadable('tokenChildren');
    const out: ACLToken[] = [];
    for (const a of this.#mem.childrenOf(accessor)) {
      const t = this.#mem.tokens.get(a);
      if (t !== undefined) out.push(t);
    }
    return out.sort((a, b) => a.CreateIndex - b.CreateIndex || (a.AccessorID < b.AccessorID ? -1 : 1));
  }

  /** Accessors of every descendant of a token (what revoking it revokes), breadth first. */
  tokenDescendants(accessor: string): string[] {
    this.#assertReadable('tokenDescendants');
    return descendantsOf(this.#mem, [accessor]);
  }

  /**
   * The token with this SecretID, or `undefined` — the per-request token
   * resolution path: a Map lookup for a secret resolved lately, else one
   * SHA-256 and a Map lookup by hash (secrets are not opened to resolve).
   */
  tokenBySecret(secret: string): ACLToken | undefined {
    if (this.#status === 'closed') throw new StoreClosedError('tokenBySecret');
    return this.#mem.tokenBySecret(secret);
  }

  /**
   * All tokens (with their SecretIDs: strip them for API stubs), ordered by
   * CreateIndex then AccessorID; with `prefix`, only AccessorIDs starting
   * with it, ordered by AccessorID (Nomad's pagination orders). The result
   * is shared and must not be modified.
   */
  listTokens(opts: ListOptions = {}): readonly ACLToken[] {
    this.#assertReadable('listTokens');
    if (opts.prefix === undefined || opts.prefix === '') return this.#mem.tokensByCreate();
    return prefixSlice(this.#mem.tokensByAccessor(), opts.prefix, (t) => t.AccessorID);
  }

  /** Number of tokens stored. */
  tokenCount(): number {
    this.#assertReadable('tokenCount');
    return this.#mem.tokens.size;
  }

  /** The policy with this name, or `undefined`. */
  policy(name: string): ACLPolicy | undefined {
    this.#assertReadable('policy');
    return this.#mem.policies.get(name);
  }

  /** All policies (or those whose name starts with `prefix`), by name. Shared; do not modify. */
  listPolicies(opts: ListOptions = {}): readonly ACLPolicy[] {
    this.#assertReadable('listPolicies');
    const all = this.#mem.policiesByName();
    if (opts.prefix === undefined || opts.prefix === '') return all;
    return prefixSlice(all, opts.prefix, (p) => p.Name);
  }

  /** The role with this ID, or `undefined`. */
  role(id: string): ACLRole | undefined {
    this.#assertReadable('role');
    return this.#mem.roles.get(id);
  }

  /** The role with this name, or `undefined`. */
  roleByName(name: string): ACLRole | undefined {
    this.#assertReadable('roleByName');
    return this.#mem.roleByName(name);
  }

  /** All roles (or those whose ID starts with `prefix`, as Nomad's list), by ID. Shared; do not modify. */
  listRoles(opts: ListOptions = {}): readonly ACLRole[] {
    this.#assertReadable('listRoles');
    const all = this.#mem.rolesById();
    if (opts.prefix === undefined || opts.prefix === '') return all;
    return prefixSlice(all, opts.prefix, (r) => r.ID);
  }

  /** The auth method with this name, or `undefined` (client secret in clear: never return it as is). */
  authMethod(name: string): ACLAuthMethod | undefined {
    this.#assertReadable('authMethod');
    return this.#mem.authMethods.get(name);
  }

  /** All auth methods by name. Shared; do not modify. */
  listAuthMethods(): readonly ACLAuthMethod[] {
    this.#assertReadable('listAuthMethods');
    return this.#mem.authMethodsByName();
  }

  /** The binding rule with this ID, or `undefined`. */
  bindingRule(id: string): ACLBindingRule | undefined {
    this.#assertReadable('bindingRule');
    return this.#mem.bindingRules.get(id);
  }

  /** All binding rules by ID. Shared; do not modify. */
  listBindingRules(): readonly ACLBindingRule[] {
    this.#assertReadable('listBindingRules');
    return this.#mem.bindingRulesById();
  }

  /** AccessorIDs (sorted) of the tokens that name policy `name`, whether or not it exists. */
  tokensByPolicy(name: string): string[] {
    this.#assertReadable('tokensByPolicy');
    this.#mem.settleAll();
    return [...(this.#mem.policyTokens.get(name) ?? [])].sort();
  }

  /** The region index of the last bootstrap (its reset index); 0 = never bootstrapped. */
  bootstrapIndex(): number {
    this.#assertReadable('bootstrapIndex');
    return this.#mem.bootstrapIndex;
  }

  /**
   * Up to `limit` tokens whose ExpirationTime is before `now`, the longest
   * expired first (input for the expired-token GC).
   */
  expiredTokens(now: Date, limit: number, filter?: (token: ACLToken) => boolean): ACLToken[] {
    this.#assertReadable('expiredTokens');
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new InvalidArgumentError('now must be a valid Date');
    if (!Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError('limit must be a non-negative integer');
    const mem = this.#mem;
    // The filter applies while walking, so `limit` counts accepted tokens:
    // many rejected ones ahead (e.g. global tokens in a follower) cannot
    // starve the ones behind them. A token refused by its MAC is skipped.
    const accept = (a: string): boolean => {
      const t = mem.token(a);
      return t !== undefined && (filter === undefined || filter(t));
    };
    return mem.expiry.before(expiryKeyOfDate(now), limit, accept).map((a) => mem.tokens.get(a)!);
  }


  /**
   * Committed changes with index > `afterIndex`, oldest first; see
   * `ChangesSinceOptions` for `globalOnly` and `limit` (which never splits an
   * index). An empty answer means nothing matched up to `index()`.
   * @throws FeedHorizonError when changes after `afterIndex` were pruned:
   *   the caller must resynchronize from `globalSnapshot()`.
   */
  changesSince(afterIndex: number, opts?: ChangesSinceOptions): Change[] {
    this.#assertReadable('changesSince');
    return this.#feed.since(afterIndex, opts);
  }

  /**
   * Calls `listener` synchronously after every group commit becomes
   * visible, with that commit's changes (possibly empty, e.g. a no-op
   * policy delete) and the new region index. A throwing listener is logged
   * and does not affect the write. Returns the unsubscribe function.
   */
  onCommit(listener: CommitListener): () => void {
    this.#assertReadable('onCommit');
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Blocking query on a table: resolves with the table index as soon as it
   * is > `afterIndex` (at once if it already is), or with the current table
   * index when `signal` aborts or the store closes (a wait begun while the
   * store is closing returns at once). Never rejects on abort.
   */
  async waitForTable(table: TableName, afterIndex: number, signal: AbortSignal): Promise<number> {
    this.#assertReadable('waitForTable');
    const watch = this.#tableWatch[table];
    if (watch === undefined) throw new InvalidArgumentError(`table must be one of ${Object.keys(this.#tableWatch).join(', ')}`);
    return watch.wait((v) => v > afterIndex || this.#status !== 'open', signal);
  }

  /**
   * Blocking query on several tables (a read whose answer depends on more
   * than one, e.g. a token and the roles it links): resolves as soon as any
   * table in `after` has an index above the one given for it (at once if one
   * already has), or when `signal` aborts or the store closes. Never rejects
   * on abort.
   */
  async waitForTables(after: Readonly<Partial<Record<TableName, number>>>, signal: AbortSignal): Promise<void> {
    this.#assertReadable('waitForTables');
    const tables = Object.entries(after) as Array<[TableName, number]>;
    for (const [table] of tables) {
      if (this.#tableWatch[table] === undefined) throw new InvalidArgumentError(`table must be one of ${Object.keys(this.#tableWatch).join(', ')}`);
    }
    const moved = (): boolean => tables.some(([table, index]) => Math.max(1, this.#mem.tableIndexes[table]) > index);
    // Table indexes only move in a commit (or a reload), and each of those
    // notifies the region index's watch point: one waiter there sees them all.
    await this.#indexWatch.wait(() => moved() || this.#status !== 'open', signal);
  }

  /** Resolves with the region index once it is ≥ `minIndex`, or with the current one on abort/close. */
  async waitForIndex(minIndex: number, signal: AbortSignal): Promise<number> {
    this.#assertReadable('waitForIndex');
    return this.#indexWatch.wait((v) => v >= minIndex || this.#status !== 'open', signal);
  }

  /**
   * Resolves with the replication cursor once it is ≥ `minSourceIndex` (a
   * follower waiting for a forwarded write to come back), or with the
   * current cursor on abort/close.
   */
  async waitForReplication(minSourceIndex: number, signal: AbortSignal): Promise<number> {
    this.#assertReadable('waitForReplication');
    return this.#cursorWatch.wait((v) => v >= minSourceIndex || this.#status !== 'open', signal);
  }

  /** The authoritative index this follower has applied (0 = none). */
  replicationCursor(): number {
    this.#assertReadable('replicationCursor');
    return this.#mem.replicationCursor;
  }

  /**
   * A stable SHA-256 (hex) over all global tokens (AccessorID + Hash) and
   * policies (Name + Hash), independent of region indexes: equal in two
   * regions exactly when their global sets agree (anti-entropy check).
   */
  globalDigest(): string {
    this.#assertReadable('globalDigest');
    return this.#mem.globalDigest();
  }

  /** Every global token (by AccessorID), policy (by name) and role (by ID): the replication snapshot. */
  globalSnapshot(): {
    tokens: ACLToken[];
    policies: ACLPolicy[];
    roles: ACLRole[];
    authMethods: ACLAuthMethod[];
    bindingRules: ACLBindingRule[];
  } {
    this.#assertReadable('globalSnapshot');
    return {
      tokens: this.#mem.tokensByAccessor().filter((t) => t.Global),
      policies: [...this.#mem.policiesByName()],
      roles: [...this.#mem.rolesById()],
      authMethods: [...this.#mem.authMethodsByName()],
      bindingRules: [...this.#mem.bindingRulesById()],
    };
  }

  // ---------------------------------------------------- writes (apply path)

  /**
   * The apply path of `EmbeddedRegionLog`: queues `write` for the next group
   * commit and resolves with the index of its last entry once it is durable
   * and visible.
   * @throws (rejects) what `write.plan` throws; CommitFailedError when the
   *   batch write failed or the store is degraded; StoreClosedError.
   */
  [commitPlanned](write: PlannedWrite): Promise<WriteResult> {
    return new Promise((resolve, reject) => this.#enqueue({ ...write, resolve, reject }));
  }

  // ------------------------------------ region logs outside the process (HA)

  /**
   * Plans `mutation` against the committed state with Nomad's rules, as
   * the embedded log would, without writing anything: what a region log
   * outside the process turns into its own transaction, with what the plan
   * read (the log's guards: see `PlanReads`). Object indexes in the result are placeholders
   * (the log assigns the real ones). Pure and synchronous.
   * @throws the same coded errors `apply` rejects with.
   */
  planMutation(mutation: Mutation): PlannedEntry {
    this.#assertReadable('planMutation');
    return planMutationWithReads(this.#mem, mutation, this.#mem.index + 1, (t) => this.tableIndex(t));
  }

  /** Like `planMutation`, for a replicated batch (see `RegionLog.applyReplicated`). */
  planReplicated(batch: ReplicatedBatch): PlannedEntry {
    this.#assertReadable('planReplicated');
    return planReplicatedWithReads(this.#mem, batch, this.#mem.index + 1, this.#log, (t) => this.tableIndex(t));
  }

  /**
   * Applies entries a region log outside the process has already committed
   * and made durable, in order, each at its own index (HA: one etcd
   * revision each), with the objects' final indexes. The store stores the
   * last index atomically with the data, so a restart resumes the log after
   * `index()`; the batch is not fsynced (the log is the durable copy).
   * @throws (rejects) InvalidArgumentError for a malformed entry or an index
   *   that does not move forward (nothing of the call is applied);
   *   CommitFailedError; StoreClosedError.
   */
  applyCommitted(entries: readonly CommitEntry[]): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      if (!Array.isArray(entries) || entries.length === 0) {
        reject(new InvalidArgumentError('entries must be a non-empty array'));
        return;
      }
      // All or nothing: a bad entry refuses the whole call.
      const plan = (staged: StagedView): CommitEntry[] => {
        const own = new StagedView(staged);
        return entries.map((raw, i) => {
          const entry = checkCommittedEntry(own, raw, `entries[${i}]`);
          own.applyEntry(entry);
          return entry;
        });
      };
      this.#enqueue({ operation: 'applyCommitted', sync: false, plan, resolve, reject });
    });
  }

  /**
   * Replaces the whole state by the snapshot of a region log outside the
   * process in one atomic write (HA: after etcd compacted the revisions the
   * store would need, or on first start); not fsynced, like `applyCommitted`.
   * @throws (rejects) InvalidArgumentError for a malformed snapshot or one
   *   behind the store's index.
   */
  applySnapshot(snapshot: CommittedSnapshot): Promise<WriteResult> {
    return new Promise((resolve, reject) =>
      this.#enqueue({ operation: 'applySnapshot', sync: false, plan: (staged) => [planSnapshot(staged, snapshot)], resolve, reject }),
    );
  }

  #enqueue(job: Job): void {
    if (this.#status !== 'open') {
      job.reject(new StoreClosedError(job.operation));
      return;
    }
    if (this.#degraded !== undefined) {
      this.#metrics.observeCommitFailure(1);
      job.reject(new CommitFailedError({ cause: undefined }, this.#degraded));
      return;
    }
    this.#queue.push(job);
    this.#flushing ??= this.#drainQueue();
  }

  async #drainQueue(): Promise<void> {
    // Yield once so every write issued in the current tick joins the first batch.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) await this.#flush(this.#queue.splice(0, MAX_GROUP));
    } finally {
      this.#flushing = undefined;
    }
  }

  /** One group commit: plan each job in order, write one batch, publish. */
  async #flush(jobs: Job[]): Promise<void> {
    const staged = new StagedView(this.#mem);
    const accepted: Array<{ job: Job; entry: CommitEntry }> = [];
    for (const job of jobs) {
      let entries: CommitEntry[];
      try {
        entries = job.plan(staged, this.#log);
      } catch (err) {
        this.#metrics.observeRejected(codeOf(err));
        job.reject(err);
        continue;
      }
      for (const entry of entries) {
        staged.applyEntry(entry);
        accepted.push({ job, entry });
      }
    }
    if (accepted.length === 0) return;
    // Only a flush holding a write this store is the durable copy of needs
    // an fsync (see `PlannedWrite.sync`). Replicated batches are durable in
    // the authoritative region already, and their cursor sits in the same
    // atomic batch: a kill -9 keeps them (the OS has the write), a power cut
    // can only roll data and cursor back together, and the follower fetches
    // the lost tail again. Skipping the fsync takes disk stalls out of the
    // replication-lag tail.
    const sync = accepted.some((a) => a.job.sync);
    try {
      await this.#commit(
        accepted.map((a) => a.entry),
        sync,
      );
    } catch (cause) {
      this.#degraded ??= `commit failed: ${describeCause(cause)}`;
      const err = new CommitFailedError({ cause }, this.#degraded);
      this.#log.error(
        { writes: accepted.length, cause: String(cause) },
        'state store commit failed; writes rejected and refused until the disk takes writes again',
      );
      this.#metrics.observeCommitFailure(accepted.length);
      for (const a of accepted) a.job.reject(err);
      // Later queued writes would hit the same LevelDB, which keeps a failed
      // write's error for good (its log file is in an unknown state): refuse
      // them now and let recovery reopen the database.
      for (const job of this.#queue.splice(0)) job.reject(err);
      this.#recovering ??= this.#recover();
      return;
    }
    // A job with several entries (applyCommitted) resolves with its last one.
    const last = new Map<Job, number>();
    for (const a of accepted) last.set(a.job, a.entry.index);
    for (const [job, index] of last) job.resolve({ index });
  }

  /**
   * State-machine half of a write: turns committed entries into one LevelDB
   * batch (synced when `sync`), and only after it is durable applies them to memory,
   * appends the change feed and notifies listeners and waiters. If the batch
   * fails, memory is untouched and the error propagates.
   */
  async #commit(entries: readonly CommitEntry[], sync: boolean): Promise<void> {
    const { ops, changes } = encodeEntries(this.#mem, entries, this.#box);
    const started = performance.now();
    // A chained batch costs about a fifth of the array form's synchronous
    // preparation in abstract-level (measured: ~3 µs vs ~14 µs per op), and
    // that preparation runs on the event loop of every write.
    const batch = this.#db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    // Unsynced when the region log is durable elsewhere (see PlannedWrite.sync).
    await batch.write({ sync });
    this.#metrics.observeCommit(entries.length, (performance.now() - started) / 1000);
    for (const e of entries) this.#mem.applyEntry(e);
    this.#feed.append(changes);
    const index = this.#mem.index;
    for (const listener of this.#listeners) {
      try {
        listener(changes, index);
      } catch (err) {
        this.#log.error({ err: String(err) }, 'onCommit listener threw');
      }
    }
    this.#notifyAll();
    this.#maybePrune();
  }

  // -------------------------------------------------------------- recovery

  /**
   * Brings a degraded store back: LevelDB keeps the error of a failed write
   * and refuses every later one until it is reopened, so each attempt closes
   * and reopens the database and makes one synced probe write (the index it
   * already holds). If the failed batch did reach the disk after all (its
   * log record was written but the sync failed), the state is reloaded from
   * disk, so memory and disk agree again, and its changes are published as
   * a late commit. Backoff doubles from 100 ms to 5 s; `close()` stops it.
   */
  async #recover(): Promise<void> {
    let delayMs = RECOVER_FIRST_MS;
    try {
      while (this.#status === 'open' && this.#degraded !== undefined) {
        await sleep(delayMs, undefined, { signal: this.#stopRecovery.signal }).catch(() => {});
        delayMs = Math.min(delayMs * 2, RECOVER_MAX_MS);
        if (this.#status !== 'open') return;
        try {
          await this.#db.close();
          await this.#db.open({ createIfMissing: false });
          const onDisk = await this.#db.get(META.index);
          if ((typeof onDisk === 'number' ? onDisk : 0) !== this.#mem.index) await this.#reloadFromDisk();
          await this.#db.put(META.index, this.#mem.index, { sync: true });
        } catch (err) {
          this.#degraded = `commit failed: ${describeCause(err)}`;
          this.#log.warn({ err: String(err), retryInMs: delayMs }, 'state store still cannot write; will retry');
          continue;
        }
        this.#log.info({ index: this.#mem.index }, 'state store takes writes again');
        this.#degraded = undefined;
      }
    } finally {
      this.#recovering = undefined;
    }
  }

  /** After recovery found more on disk than in memory: load it and publish the difference. */
  async #reloadFromDisk(): Promise<void> {
    const before = this.#mem.index;
    const { mem, feed, refusedTokens } = await loadState(this.#db, this.#box, this.#path, this.#log, {
      onRefused: (table) => this.#metrics.observeRecordRefused(table, 'disk'),
    });
    this.#mem = mem;
    this.#feed = feed;
    this.#refused = refusedTokens;
    this.#sweeping = this.#sweep();
    this.#log.warn({ memoryIndex: before, diskIndex: mem.index }, 'a write reported as failed reached the disk; state reloaded from disk');
    const changes = feed.since(before);
    for (const listener of this.#listeners) {
      try {
        listener(changes, mem.index);
      } catch (err) {
        this.#log.error({ err: String(err) }, 'onCommit listener threw');
      }
    }
    this.#notifyAll();
  }

  #notifyAll(): void {
    this.#indexWatch.notify();
    this.#tableWatch.acl_token.notify();
    this.#tableWatch.acl_policy.notify();
    this.#tableWatch.acl_role.notify();
    this.#tableWatch.acl_auth_method.notify();
    this.#tableWatch.acl_binding_rule.notify();
    this.#cursorWatch.notify();
  }

  // ---------------------------------------------------------- change feed

  #maybePrune(): void {
    if (this.#pruning !== undefined || this.#status !== 'open') return;
    if (this.#feed.size <= this.#horizon + this.#pruneSlack) return;
    this.#pruning = this.#pruneFeed().then(
      () => {
        this.#pruning = undefined;
        // Commits that landed while the last step ran may have pushed the feed over again.
        this.#maybePrune();
      },
      (err: unknown) => {
        this.#pruning = undefined;
        // No immediate retry (a failing disk would spin): the next commit tries again.
        this.#log.warn({ err: String(err) }, 'change-feed prune failed; will retry after the next commit');
      },
    );
  }

  /**
   * Background prune down to the horizon, in chunks. The new floor is
   * written before the entries are cleared, so a crash in between leaves
   * only entries below the floor, which the next open removes.
   */
  async #pruneFeed(): Promise<void> {
    await nextTurn();
    while (this.#status === 'open') {
      const plan = this.#feed.planPrune(this.#horizon, PRUNE_CHUNK);
      if (plan === undefined) return;
      await this.#db.put(META.feedFloor, plan.floor);
      await this.#db.clear({ gte: PREFIX.feed, lt: feedKey(plan.floor + 1, 0) });
      this.#feed.dropThrough(plan.floor);
      this.#metrics.observePrune(plan.count);
      this.#log.debug({ floor: plan.floor, entries: plan.count }, 'pruned change feed');
    }
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Stops taking writes, lets the writes already queued commit, waits for a
   * running prune, resolves every pending blocking query with the current
   * value, and closes LevelDB. Idempotent.
   */
  close(): Promise<void> {
    if (this.#status === 'closed') return Promise.resolve();
    this.#closing ??= (async () => {
      this.#status = 'closing';
      this.#stopRecovery.abort();
      while (this.#flushing !== undefined) await this.#flushing;
      while (this.#pruning !== undefined) await this.#pruning;
      while (this.#recovering !== undefined) await this.#recovering;
      await this.#sweeping;
      this.#indexWatch.releaseAll();
      this.#tableWatch.acl_token.releaseAll();
      this.#tableWatch.acl_policy.releaseAll();
      this.#tableWatch.acl_role.releaseAll();
      this.#tableWatch.acl_auth_method.releaseAll();
      this.#tableWatch.acl_binding_rule.releaseAll();
      this.#cursorWatch.releaseAll();
      this.#listeners.clear();
      try {
        await this.#db.close();
      } finally {
        this.#status = 'closed';
      }
    })();
    return this.#closing;
  }

  /** `await using store = await StateStore.open(...)` closes it on scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A short, secret-free reason from a LevelDB error (its code and first line). */
function describeCause(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { message?: unknown } } | null;
  const inner = typeof e?.cause?.message === 'string' ? e.cause.message : undefined;
  const text = inner ?? (typeof e?.message === 'string' ? e.message : String(err));
  return text.split('\n')[0]!.slice(0, 200);
}

/** The run of `sorted` (ordered by `key`) whose keys start with `prefix`. */
function prefixSlice<T>(sorted: readonly T[], prefix: string, key: (item: T) => string): T[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) < prefix) lo = mid + 1;
    else hi = mid;
  }
  const out: T[] = [];
  for (let i = lo; i < sorted.length && key(sorted[i]!).startsWith(prefix); i++) out.push(sorted[i]!);
  return out;
}
