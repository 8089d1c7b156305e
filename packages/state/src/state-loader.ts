import type { Level } from 'level';
import { ChangeFeed } from './change-feed.js';
import { SecretKeyMismatchError, StoreCorruptError } from './errors.js';
import {
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
  type StoredToken,
} from './level-layout.js';
import type { Logger } from './logger.js';
import { MemoryState } from './memory-state.js';
import { checkPolicy, checkRole, checkToken } from './object-shape.js';
import type { SecretBox } from './secret-box.js';
import type { Change } from './types.js';

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
export async function loadState(
  db: StateDb,
  box: SecretBox,
  path: string,
  log: Logger,
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
  if (format !== FORMAT_VERSION) {
    throw new StoreCorruptError(`state store at ${path} has format ${String(format)}; this build reads ${FORMAT_VERSION}`);
  }
  try {
    const check = meta.get(META.keyCheck);
    if (typeof check !== 'string' || box.open(check, KEY_CHECK_CONTEXT) !== KEY_CHECK_PLAINTEXT) throw new Error('bad');
  } catch {
    throw new SecretKeyMismatchError(path);
  }

  const mem = new MemoryState();
  mem.index = num(meta, META.index);
  mem.bootstrapIndex = num(meta, META.bootstrap);
  mem.replicationCursor = num(meta, META.cursor);
  mem.tableIndexes.acl_token = num(meta, META.table('acl_token'));
  mem.tableIndexes.acl_policy = num(meta, META.table('acl_policy'));
  mem.tableIndexes.acl_role = num(meta, META.table('acl_role'));

  for (const [key, value] of await readRange(db, PREFIX.token)) {
    const accessor = key.slice(PREFIX.token.length);
    const { SealedSecretID, ...rest } = (value ?? {}) as StoredToken;
    let secret: string;
    try {
      secret = box.open(String(SealedSecretID), accessor);
    } catch (cause) {
      throw new StoreCorruptError(`the SecretID of token ${accessor} cannot be decrypted`, { cause });
    }
    mem.putToken(checkToken({ ...rest, SecretID: secret }, `stored token ${accessor}`));
  }
  for (const [key, value] of await readRange(db, PREFIX.policy)) {
    mem.putPolicy(checkPolicy(value, `stored policy ${key.slice(PREFIX.policy.length)}`));
  }
  for (const [key, value] of await readRange(db, PREFIX.role)) {
    mem.putRole(checkRole(value, `stored role ${key.slice(PREFIX.role.length)}`));
  }

  await verifyIndexes(db, mem, log);

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
    { path, index: mem.index, tokens: mem.tokens.size, policies: mem.policies.size, roles: mem.roles.size, feed: feed.size },
    'state store loaded',
  );
  return { mem, feed };
}

async function verifyIndexes(db: StateDb, mem: MemoryState, log: Logger): Promise<void> {
  const expected = new Map<string, unknown>();
  for (const t of mem.tokens.values()) {
    for (const k of tokenIndexKeys(t)) expected.set(k, tokenIndexValue(k, t));
  }
  const repair: LevelOp[] = [];
  for (const prefix of [PREFIX.secret, PREFIX.link, PREFIX.expiry]) {
    for (const [key, value] of await readRange(db, prefix)) {
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
