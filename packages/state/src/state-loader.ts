import type { Level } from 'level';
import { ChangeFeed } from './change-feed.js';
import { SecretKeyMismatchError, StoreClosedError, StoreCorruptError, StoreRefusedError } from './errors.js';
import {
  FORMAT_UNSIGNED,
  FORMAT_VERSION,
  KEY_CHECK_CONTEXT,
  KEY_CHECK_PLAINTEXT,
  META,
  PREFIX,
  feedKey,
  rangeOf,
  tokenIndexKeys,
  tokenKey,
  tokenIndexValue,
  type LevelOp,
  type StoredPolicy,
  type StoredRole,
  RECORD_NOUN,
  openAuthMethodRecord,
  type StoredBindingRule,
  type StoredToken,
} from './level-layout.js';
import type { Logger } from './logger.js';
import { MemoryState } from './memory-state.js';
import { checkAuthMethod, checkBindingRule, checkPolicy, checkRole, checkToken } from './object-shape.js';
import type { SecretBox } from './secret-box.js';
import { TokenRecord, type SettledRecord, type TokenKeeper } from './token-record.js';
import type { ACLToken, Change, TableName } from './types.js';

/** The database type the store uses: string keys, JSON values. */
export type StateDb = Level<string, unknown>;

async function readRange(db: StateDb, prefix: string): Promise<Array<[string, unknown]>> {
  return db.iterator(rangeOf(prefix)).all();
}

function num(meta: Map<string, unknown>, key: string): number {
  const v = meta.get(key);
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new StoreCorruptError(`meta key ${key} holds an invalid value`);
  }
  return v;
}

/**
 * Reads a whole data directory into memory, streaming each namespace: meta,
 * tokens (pending: secrets sealed, MACs checked later — see `TokenRecord`),
 * policies, roles and the change feed after its floor. A fresh directory is
 * initialized (format + key check). The secondary indexes on disk are not
 * read here: the store checks them in the background (`planIndexRepair`).
 */
/** How the loader reports a record it refused, and whether it may upgrade an unsigned store. */
export interface LoadOptions {
  /** Sign a format-1 (unsigned) store's records as they are and move it to the current format. */
  readonly upgradeFormat?: boolean;
  /** A record failed its integrity check and was left out. */
  readonly onRefused?: (table: TableName, id: string, why: string) => void;
}

export async function loadState(
  db: StateDb,
  box: SecretBox,
  path: string,
  log: Logger,
  opts: LoadOptions = {},
): Promise<{ mem: MemoryState; feed: ChangeFeed; refusedTokens: Set<string> }> {
  const started = performance.now();
  const meta = new Map(await readRange(db, PREFIX.meta));
  const format = meta.get(META.format);
  if (format === undefined) {
    const anyKey = await db.keys({ limit: 1 }).all();
    if (anyKey.length > 0) throw new StoreCorruptError(`state store at ${path} has data but no format marker`);
    const init: LevelOp[] = [
      { type: 'put', key: META.format, value: FORMAT_VERSION },
      { type: 'put', key: META.keyCheck, value: box.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_CONTEXT) },
    ];
    await db.batch(init, { sync: true });
    log.info({ path }, 'initialized a new state store');
    return { mem: new MemoryState(), feed: new ChangeFeed(0), refusedTokens: new Set() };
  }
  if (format !== FORMAT_VERSION && format !== FORMAT_UNSIGNED) {
    throw new StoreCorruptError(`state store at ${path} has format ${String(format)}; this build reads ${FORMAT_VERSION}`);
  }
  try {
    const check = meta.get(META.keyCheck);
    if (typeof check !== 'string' || box.open(check, KEY_CHECK_CONTEXT) !== KEY_CHECK_PLAINTEXT) throw new Error('bad');
  } catch {
    throw new SecretKeyMismatchError(path);
  }
  if (format === FORMAT_UNSIGNED) {
    if (opts.upgradeFormat !== true) {
      throw new StoreRefusedError(
        `state store at ${path} has format ${FORMAT_UNSIGNED}: its token and policy records are not authenticated, so an edit at rest would go unnoticed. ` +
          'Check the data dir has not been tampered with, then start once with `tollgate agent -upgrade-state …` to sign every record as it is now',
      );
    }
    await upgradeUnsigned(db, box, path, log);
  }
  const refuse = (table: TableName, id: string, why: string): void => {
    log.error({ table, id, why }, `stored ${RECORD_NOUN[table]} ${id} refused: ${why}`);
    opts.onRefused?.(table, id, why);
  };
  const refusedTokens = new Set<string>();

  const mem = new MemoryState();
  mem.index = num(meta, META.index);
  mem.bootstrapIndex = num(meta, META.bootstrap);
  mem.replicationCursor = num(meta, META.cursor);
  mem.tableIndexes.acl_token = num(meta, META.table('acl_token'));
  mem.tableIndexes.acl_policy = num(meta, META.table('acl_policy'));
  mem.tableIndexes.acl_role = num(meta, META.table('acl_role'));
  mem.tableIndexes.acl_auth_method = num(meta, META.table('acl_auth_method'));
  mem.tableIndexes.acl_binding_rule = num(meta, META.table('acl_binding_rule'));

  // A record whose MAC does not verify was edited (or moved) at rest: it is
  // left out — its token is unknown, its policy grants nothing — so an edit
  // can only ever take rights away, never add them. Token records are read
  // as text and kept pending (see `TokenRecord`): parsed and authenticated
  // before first use or by the store's background sweep, their SecretIDs
  // opened only when an answer shows one. A record without a `SecretHash`
  // (written before it existed) is parsed, checked and opened here.
  const settle = (accessor: string, value: unknown): SettledRecord | string => {
    const { Mac, ...record } = (isRecord(value) ? value : {}) as Partial<StoredToken>;
    if (!box.records.verify('token', accessor, record, Mac)) return 'its integrity check (MAC) failed: the record was edited at rest';
    const { SealedSecretID, SecretHash, ...rest } = record;
    if (typeof SealedSecretID !== 'string') return 'it has no sealed SecretID';
    let fields: ACLToken;
    try {
      // The store's own shape check; the secret stays sealed (a placeholder is checked).
      fields = checkToken({ ...rest, SecretID: 'sealed' }, `stored token ${accessor}`);
    } catch (err) {
      return `it is not a valid token: ${(err as Error).message}`;
    }
    return { fields, sealed: SealedSecretID, secretHash: typeof SecretHash === 'string' ? SecretHash : '' };
  };
  const keeper: TokenKeeper = {
    settle: (accessor) => {
      // Not a verdict on the record: while the database is closed (the store
      // closing, or reopening it to recover from a failed write) the token
      // stays pending and this read fails.
      if (db.status !== 'open') throw new StoreClosedError(`reading token ${accessor}`);
      const raw = db.getSync(tokenKey(accessor), RECORD_READ) as string | undefined;
      // Deleted since it was loaded (the store drops it from memory right after).
      if (raw === undefined) return 'its record is no longer in the store';
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return 'it is not valid JSON';
      }
      return settle(accessor, value);
    },
    open: (sealed, accessor) => box.open(sealed, accessor),
  };
  mem.onRefused = (accessor, why) => {
    refusedTokens.add(accessor);
    refuse('acl_token', accessor, why);
  };
  const loadEager = (accessor: string, raw: string): void => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
    const out = settle(accessor, value);
    if (typeof out === 'string') {
      mem.onRefused(accessor, out);
      return;
    }
    let secret: string;
    try {
      secret = box.open(out.sealed, accessor);
    } catch {
      mem.onRefused(accessor, 'its SecretID cannot be decrypted');
      return;
    }
    addLoaded(TokenRecord.fromToken({ ...out.fields, SecretID: secret }));
  };
  const addLoaded = (t: TokenRecord): void => {
    if (mem.loadToken(t)) return;
    // Two records claim one secret: at most one is authentic.
    const holder = mem.secrets.get(t.secretHash)!;
    if (mem.checked(holder) !== undefined || !mem.loadToken(t)) {
      if (t.settle()) log.error({ accessor: t.accessor, holder: holder.accessor }, 'two stored tokens share one SecretID; the second is left out');
      else mem.onRefused(t.accessor, t.refusedWhy ?? 'refused');
    }
  };
  await forEachInRange(
    db,
    PREFIX.token,
    (key, value) => {
      const accessor = key.slice(PREFIX.token.length);
      const raw = String(value);
      const hash = secretHashIn(raw);
      if (hash === undefined) loadEager(accessor, raw);
      else addLoaded(TokenRecord.fromStore(accessor, hash, keeper));
    },
    undefined,
    'utf8',
  );
  for (const [key, value] of await readRange(db, PREFIX.policy)) {
    const name = key.slice(PREFIX.policy.length);
    const { Mac, ...record } = (isRecord(value) ? value : {}) as Partial<StoredPolicy>;
    if (!box.records.verify('policy', name, record, Mac)) {
      refuse('acl_policy', name, 'its integrity check (MAC) failed: the record was edited at rest');
      continue;
    }
    mem.putPolicy(checkPolicy(record, `stored policy ${name}`));
  }
  for (const [key, value] of await readRange(db, PREFIX.role)) {
    const id = key.slice(PREFIX.role.length);
    const { Mac, ...record } = (isRecord(value) ? value : {}) as Partial<StoredRole>;
    if (!box.records.verify('role', id, record, Mac)) {
      refuse('acl_role', id, 'its integrity check (MAC) failed: the record was edited at rest');
      continue;
    }
    mem.putRole(checkRole(record, `stored role ${id}`));
  }

  for (const [key, value] of await readRange(db, PREFIX.authMethod)) {
    const name = key.slice(PREFIX.authMethod.length);
    const { Mac, ...record } = isRecord(value) ? value : {};
    if (!box.records.verify('auth_method', name, record, Mac)) {
      refuse('acl_auth_method', name, 'its integrity check (MAC) failed: the record was edited at rest');
      continue;
    }
    let opened: Record<string, unknown>;
    try {
      opened = openAuthMethodRecord(record, name, box);
    } catch {
      refuse('acl_auth_method', name, 'its OIDC client secret cannot be decrypted');
      continue;
    }
    mem.putAuthMethod(checkAuthMethod(opened, `stored auth method ${name}`));
  }
  for (const [key, value] of await readRange(db, PREFIX.bindingRule)) {
    const id = key.slice(PREFIX.bindingRule.length);
    const { Mac, ...record } = (isRecord(value) ? value : {}) as Partial<StoredBindingRule>;
    if (!box.records.verify('binding_rule', id, record, Mac)) {
      refuse('acl_binding_rule', id, 'its integrity check (MAC) failed: the record was edited at rest');
      continue;
    }
    mem.putBindingRule(checkBindingRule(record, `stored binding rule ${id}`));
  }

  const floor = num(meta, META.feedFloor);
  const feed = new ChangeFeed(floor);
  const leftover = feedKey(floor + 1, 0);
  const changes: Change[] = [];
  let stale = 0;
  await forEachInRange(db, PREFIX.feed, (key, value) => {
    if (key < leftover) stale++;
    else changes.push(Object.freeze(value as Change));
  });
  feed.append(changes);
  if (stale > 0) {
    // A prune writes its floor before clearing; a crash in between leaves these.
    await db.clear({ gte: PREFIX.feed, lt: leftover });
    log.info({ entries: stale }, 'removed change-feed entries left by an interrupted prune');
  }
  log.info(
    {
      path,
      index: mem.index,
      tokens: mem.tokens.size,
      policies: mem.policies.size,
      roles: mem.roles.size,
      authMethods: mem.authMethods.size,
      bindingRules: mem.bindingRules.size,
      feed: feed.size,
      pendingTokens: mem.pendingTokens,
      seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    },
    'state store loaded',
  );
  return { mem, feed, refusedTokens };
}

/** How a pending token's record is read again when it is settled: as text, and around LevelDB's block cache (read once). */
const RECORD_READ = { valueEncoding: 'utf8', fillCache: false } as const;

/** Entries read per step of a streamed range. */
const READ_CHUNK = 1024;

/** Calls `fn` for every entry of a namespace, reading it in chunks (never the whole range at once). */
async function forEachInRange(
  db: StateDb,
  prefix: string,
  fn: (key: string, value: unknown) => void,
  alive: () => boolean = () => true,
  valueEncoding: 'json' | 'utf8' = 'json',
): Promise<void> {
  const it = db.iterator({ ...rangeOf(prefix), valueEncoding });
  try {
    while (alive()) {
      const entries = await it.nextv(READ_CHUNK);
      if (entries.length === 0) return;
      for (const [key, value] of entries) fn(key, value);
    }
  } finally {
    await it.close();
  }
}

const SECRET_HASH_FIELD = '"SecretHash":"';
const SECRET_HASH_RE = /^[0-9a-f]{64}"/;

/**
 * The `SecretHash` a stored token record's JSON text carries (the writer
 * puts it near the end), found without parsing the record; `undefined` when
 * there is none. Only a hint: settling the record parses it and refuses it
 * unless its parsed, authenticated `SecretHash` is this one.
 */
function secretHashIn(raw: string): string | undefined {
  const at = raw.lastIndexOf(SECRET_HASH_FIELD);
  if (at < 0) return undefined;
  const start = at + SECRET_HASH_FIELD.length;
  if (!SECRET_HASH_RE.test(raw.slice(start, start + 65))) return undefined;
  // A copy, not a slice: a slice would keep the whole record text alive.
  return Buffer.from(raw.slice(start, start + 64), 'latin1').toString('latin1');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The AccessorID an index entry belongs to (`s:` holds it as value; `l:` and `e:` in the key). */
function indexAccessor(key: string, value: unknown): string {
  if (key.startsWith(PREFIX.secret)) return String(value);
  if (key.startsWith(PREFIX.link)) {
    try {
      return String((JSON.parse(key.slice(PREFIX.link.length)) as unknown[])[1]);
    } catch {
      return '';
    }
  }
  return key.slice(key.lastIndexOf(':') + 1);
}

/**
 * Format 1 → current: signs every token and policy record as it is now, and
 * moves the format marker, in one synced batch. Only on the operator's
 * explicit request (`upgradeFormat`): the MACs vouch for whatever the
 * records hold at this moment.
 */
async function upgradeUnsigned(db: StateDb, box: SecretBox, path: string, log: Logger): Promise<void> {
  const ops: LevelOp[] = [];
  for (const [key, value] of await readRange(db, PREFIX.token)) {
    if (!isRecord(value)) continue;
    const { Mac: _old, ...record } = value;
    ops.push({ type: 'put', key, value: { ...record, Mac: box.records.sign('token', key.slice(PREFIX.token.length), record) } });
  }
  for (const [key, value] of await readRange(db, PREFIX.policy)) {
    if (!isRecord(value)) continue;
    const { Mac: _old, ...record } = value;
    ops.push({ type: 'put', key, value: { ...record, Mac: box.records.sign('policy', key.slice(PREFIX.policy.length), record) } });
  }
  ops.push({ type: 'put', key: META.format, value: FORMAT_VERSION });
  await db.batch(ops, { sync: true });
  log.warn({ path, records: ops.length - 1 }, `upgraded the state store from format ${FORMAT_UNSIGNED} to ${FORMAT_VERSION}: every record is now authenticated as it was found`);
}

/**
 * The repairs that make the secondary indexes on disk agree with the tokens
 * in memory (the source of truth; a disagreement only comes from a bug or
 * outside tampering), or `undefined` when writes committed while the
 * indexes were read (the answer would compare two different moments: the
 * caller tries again later). Run by the store in the background once every
 * loaded token is verified: it streams the indexes, checking each entry
 * against memory, and counts them, so it holds nothing but the repairs.
 */
export async function planIndexRepair(
  db: StateDb,
  mem: MemoryState,
  refused: ReadonlySet<string>,
  alive: () => boolean,
): Promise<LevelOp[] | undefined> {
  const index = mem.index;
  const repair: LevelOp[] = [];
  let valid = 0;
  for (const prefix of [PREFIX.secret, PREFIX.link, PREFIX.expiry]) {
    await forEachInRange(db, prefix, (key, value) => {
      const accessor = indexAccessor(key, value);
      // Entries of a refused token stay as they are: the record is evidence, not garbage.
      if (refused.has(accessor)) return;
      const t = mem.tokens.get(accessor);
      if (t !== undefined && tokenIndexKeys(t).includes(key) && tokenIndexValue(key, t) === value) valid++;
      else repair.push({ type: 'del', key });
    }, alive);
    if (mem.index !== index || !alive()) return undefined;
  }
  let expected = 0;
  for (const t of mem.tokens.values()) expected += tokenIndexKeys(t).length;
  if (valid !== expected) {
    // Some are missing: put every entry (a put of a present one changes nothing).
    for (const t of mem.tokens.values()) for (const k of tokenIndexKeys(t)) repair.push({ type: 'put', key: k, value: tokenIndexValue(k, t) });
  }
  return repair;
}
