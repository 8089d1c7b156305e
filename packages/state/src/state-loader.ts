import type { Level } from 'level';
import { ChangeFeed } from './change-feed.js';
import { SecretKeyMismatchError, StoreCorruptError, StoreRefusedError } from './errors.js';
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
import type { Change, TableName } from './types.js';

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
 * Reads a whole data directory into memory: meta, tokens (secrets
 * decrypted), policies, the secondary indexes and the change feed after its
 * floor. A fresh directory is initialized (format + key check).
 *
 * The secondary indexes on disk are checked against the ones rebuilt from
 * the tokens; the tokens are the source of truth, so a mismatch (which only
 * a bug or outside tampering can cause) is logged and repaired.
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
): Promise<{ mem: MemoryState; feed: ChangeFeed }> {
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
    return { mem: new MemoryState(), feed: new ChangeFeed(0) };
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
  // can only ever take rights away, never add them.
  for (const [key, value] of await readRange(db, PREFIX.token)) {
    const accessor = key.slice(PREFIX.token.length);
    const { Mac, ...record } = (isRecord(value) ? value : {}) as Partial<StoredToken>;
    if (!box.records.verify('token', accessor, record, Mac)) {
      refusedTokens.add(accessor);
      refuse('acl_token', accessor, 'its integrity check (MAC) failed: the record was edited at rest');
      continue;
    }
    const { SealedSecretID, ...rest } = record;
    let secret: string;
    try {
      secret = box.open(String(SealedSecretID), accessor);
    } catch {
      refusedTokens.add(accessor);
      refuse('acl_token', accessor, 'its SecretID cannot be decrypted');
      continue;
    }
    mem.putToken(checkToken({ ...rest, SecretID: secret }, `stored token ${accessor}`));
  }
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

  await verifyIndexes(db, mem, log, refusedTokens);

  const floor = num(meta, META.feedFloor);
  const feed = new ChangeFeed(floor);
  const leftover = feedKey(floor + 1, 0);
  const changes: Change[] = [];
  let stale = 0;
  for (const [key, value] of await readRange(db, PREFIX.feed)) {
    if (key < leftover) stale++;
    else changes.push(Object.freeze(value as Change));
  }
  feed.append(changes);
  if (stale > 0) {
    // A prune writes its floor before clearing; a crash in between leaves these.
    await db.clear({ gte: PREFIX.feed, lt: leftover });
    log.info({ entries: stale }, 'removed change-feed entries left by an interrupted prune');
  }
  log.info(
    { path, index: mem.index, tokens: mem.tokens.size, policies: mem.policies.size, roles: mem.roles.size, authMethods: mem.authMethods.size, bindingRules: mem.bindingRules.size, feed: feed.size },
    'state store loaded',
  );
  return { mem, feed };
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

async function verifyIndexes(db: StateDb, mem: MemoryState, log: Logger, refused: ReadonlySet<string>): Promise<void> {
  const expected = new Map<string, unknown>();
  for (const t of mem.tokens.values()) {
    for (const k of tokenIndexKeys(t)) expected.set(k, tokenIndexValue(k, t));
  }
  const repair: LevelOp[] = [];
  for (const prefix of [PREFIX.secret, PREFIX.link, PREFIX.expiry]) {
    for (const [key, value] of await readRange(db, prefix)) {
      // Entries of a refused token stay as they are: the record is evidence, not garbage.
      if (refused.size > 0 && refused.has(indexAccessor(key, value))) continue;
      if (!expected.has(key)) repair.push({ type: 'del', key });
      else if (expected.get(key) === value) expected.delete(key);
    }
  }
  for (const [key, value] of expected) repair.push({ type: 'put', key, value });
  if (repair.length > 0) {
    log.warn({ operations: repair.length }, 'secondary indexes on disk disagreed with the tokens; repaired');
    await db.batch(repair, { sync: true });
  }
}
