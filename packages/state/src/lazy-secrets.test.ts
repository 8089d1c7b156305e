import { Level } from 'level';
import { describe, expect, it, vi } from 'vitest';
import { freshStore, openStore, token } from '../test/helpers.js';
import type { Logger } from './logger.js';
import { secretIndexKey } from './secret-box.js';
import { TokenRecord, type TokenKeeper } from './token-record.js';

async function withDb<T>(dir: string, fn: (db: Level<string, Record<string, unknown>>) => Promise<T>): Promise<T> {
  const db = new Level<string, Record<string, unknown>>(dir, { valueEncoding: 'json', createIfMissing: false });
  await db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A logger that keeps every line (fields and message) as JSON text. */
function recordingLogger(): Logger & { text: () => string; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  const at = (level: string) => (o: object, m?: string) => {
    lines.push(JSON.stringify({ level, ...o, msg: m }));
    if (level === 'error') errors.push(m ?? '');
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), text: () => lines.join('\n'), errors };
}

describe('tokens loaded without opening their secrets', () => {
  it('resolve by secret after a restart, show the right SecretID when read, and keep it out of logs and at rest', async () => {
    const { store, dir } = await freshStore();
    const tokens = [token(), token({ Global: true, ExpirationTime: '2099-01-01T00:00:00Z' }), token({ Type: 'management', Policies: null })];
    await store.apply({ type: 'token-upsert', tokens });
    await store.close();

    const log = recordingLogger();
    const again = await openStore(dir, { logger: log });
    for (const t of tokens) {
      expect(again.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);
      const read = again.tokenByAccessor(t.AccessorID)!;
      expect(read.SecretID).toBe(t.SecretID);
      // A plain token to JSON and spreads: the secret in its place, no internal field.
      expect(Object.keys(read)).toEqual(Object.keys(tokens[0]!).filter((k) => k in read));
      expect(JSON.parse(JSON.stringify(read))).toMatchObject({ AccessorID: t.AccessorID, SecretID: t.SecretID, Type: t.Type });
      expect({ ...read }.SecretID).toBe(t.SecretID);
    }
    expect(again.tokenBySecret('not-a-secret')).toBeUndefined();
    await again.whenVerified();
    await again.close();

    const logged = log.text();
    const atRest = await withDb(dir, async (db) => JSON.stringify(await db.iterator().all()));
    for (const t of tokens) {
      expect(logged).not.toContain(t.SecretID);
      expect(atRest).not.toContain(t.SecretID);
      // The record carries the secret's hash (under the MAC), never the secret.
      expect(atRest).toContain(secretIndexKey(t.SecretID));
    }
  });

  it('reads, parses and authenticates a record only when first used, and opens its secret only when it is read', () => {
    const settled: string[] = [];
    const opened: string[] = [];
    const t = token();
    const { SecretID, ...fields } = t;
    const stored = JSON.stringify(fields);
    const keeper: TokenKeeper = {
      settle: (accessor) => (settled.push(accessor), { fields: { ...JSON.parse(stored), SecretID: 'sealed' }, sealed: `sealed:${SecretID}`, secretHash: secretIndexKey(SecretID) }),
      open: (sealed, accessor) => (opened.push(accessor), sealed.slice('sealed:'.length)),
    };
    const rec = TokenRecord.fromStore(t.AccessorID, secretIndexKey(SecretID), keeper);
    expect(rec.secretHash).toBe(secretIndexKey(SecretID));
    expect(rec.settled).toBe(false);
    // Pending: no fields yet.
    expect(Object.keys(rec)).toEqual([]);
    expect(rec.settle()).toBe(true);
    expect(settled).toEqual([t.AccessorID]);
    expect(rec.Name).toBe(t.Name);
    expect(opened).toEqual([]);
    expect(rec.SecretID).toBe(SecretID);
    expect(opened).toEqual([t.AccessorID]);
    // Settled and opened once, kept.
    expect(rec.SecretID).toBe(SecretID);
    expect(rec.settle()).toBe(true);
    expect(settled).toHaveLength(1);
    expect(opened).toHaveLength(1);
    expect(Object.keys(rec)).toEqual(Object.keys(t));
  });

  it('refuses a record the keeper refuses, one found under another secret hash, and one whose secret does not match its hash', () => {
    const t = token();
    const { SecretID } = t;
    const good = (hash: string): TokenKeeper => ({
      settle: () => ({ fields: { ...t, SecretID: 'sealed' }, sealed: SecretID, secretHash: hash }),
      open: (s) => s,
    });
    const bad = TokenRecord.fromStore(t.AccessorID, secretIndexKey(SecretID), { settle: () => 'its integrity check (MAC) failed', open: (s) => s });
    expect(bad.settle()).toBe(false);
    expect(bad.refusedWhy).toBe('its integrity check (MAC) failed');
    expect(() => bad.SecretID).toThrow(/refused/);
    const moved = TokenRecord.fromStore(t.AccessorID, secretIndexKey('another secret'), good(secretIndexKey(SecretID)));
    expect(moved.settle()).toBe(false);
    const swapped = TokenRecord.fromStore(t.AccessorID, secretIndexKey('another secret'), good(secretIndexKey('another secret')));
    expect(swapped.settle()).toBe(true);
    expect(() => swapped.SecretID).toThrow(/does not match its hash/);
  });

  it('stays pending, neither settled nor refused, while its record cannot be read, and settles once it can', () => {
    const t = token();
    const { SecretID } = t;
    let readable = false;
    const rec = TokenRecord.fromStore(t.AccessorID, secretIndexKey(SecretID), {
      settle: () => {
        if (!readable) throw new Error('database closed');
        return { fields: { ...t, SecretID: 'sealed' }, sealed: SecretID, secretHash: secretIndexKey(SecretID) };
      },
      open: (s) => s,
    });
    expect(() => rec.settle()).toThrow(/database closed/);
    expect(rec.settled).toBe(false);
    expect(rec.refusedWhy).toBeUndefined();
    readable = true;
    expect(rec.settle()).toBe(true);
    expect(rec.Name).toBe(t.Name);
  });

  it('finds an edited record in the background sweep even if it is never used: logged, counted, gone', async () => {
    const { store, dir } = await freshStore();
    const kept = token();
    const edited = token({ Policies: ['readonly'] });
    await store.apply({ type: 'token-upsert', tokens: [kept, edited] });
    await store.close();
    await withDb(dir, async (db) => db.put(`t:${edited.AccessorID}`, { ...(await db.get(`t:${edited.AccessorID}`)), Policies: ['admin'] }));

    const log = recordingLogger();
    const refused: string[] = [];
    const again = await openStore(dir, { logger: log, metrics: { observeRecordRefused: (table, source) => refused.push(`${table}/${source}`) } });
    await again.whenVerified();
    expect(refused).toEqual(['acl_token/disk']);
    expect(log.errors).toEqual([`stored token ${edited.AccessorID} refused: its integrity check (MAC) failed: the record was edited at rest`]);
    expect(again.tokenCount()).toBe(1);
    expect(again.tokenBySecret(edited.SecretID)).toBeUndefined();
    expect(again.tokensByPolicy('admin')).toEqual([]);
    expect(again.listTokens().map((t) => t.AccessorID)).toEqual([kept.AccessorID]);
    expect(log.text()).not.toContain(edited.SecretID);
  });

  it('leaves out an edited token from lists and the replication snapshot read before the sweep reached it', async () => {
    const { store, dir } = await freshStore();
    const tokens = [token({ Global: true }), token({ Global: true }), token({ Global: true })];
    await store.apply({ type: 'token-upsert', tokens });
    await store.close();
    const victim = tokens[1]!;
    await withDb(dir, async (db) => db.put(`t:${victim.AccessorID}`, { ...(await db.get(`t:${victim.AccessorID}`)), Type: 'management' }));

    const refused = vi.fn();
    const again = await openStore(dir, { metrics: { observeRecordRefused: refused } });
    // Synchronously after open: the sweep has not run yet.
    const listed = again.listTokens().map((t) => t.AccessorID);
    expect(listed).toHaveLength(2);
    expect(listed).not.toContain(victim.AccessorID);
    expect(again.globalSnapshot().tokens.map((t) => t.AccessorID)).not.toContain(victim.AccessorID);
    expect(refused).toHaveBeenCalledTimes(1);
    await again.whenVerified();
    expect(refused).toHaveBeenCalledTimes(1);
  });

  it("a record given another token's secret hash is refused and the real holder still resolves", async () => {
    const { store, dir } = await freshStore();
    const holder = token();
    const thief = token({ Type: 'client' });
    await store.apply({ type: 'token-upsert', tokens: [holder, thief] });
    await store.close();
    await withDb(dir, async (db) =>
      db.put(`t:${thief.AccessorID}`, { ...(await db.get(`t:${thief.AccessorID}`)), SecretHash: secretIndexKey(holder.SecretID) }),
    );

    const refused: string[] = [];
    const again = await openStore(dir, { metrics: { observeRecordRefused: (table) => refused.push(table) } });
    expect(again.tokenBySecret(holder.SecretID)?.AccessorID).toBe(holder.AccessorID);
    expect(again.tokenByAccessor(thief.AccessorID)).toBeUndefined();
    expect(again.tokenBySecret(thief.SecretID)).toBeUndefined();
    expect(refused).toEqual(['acl_token']);
  });

  it('loads records written before SecretHash existed (opened on the spot) and resolves them', async () => {
    const { store, dir } = await freshStore();
    const old = token();
    await store.apply({ type: 'token-upsert', tokens: [old] });
    await store.close();
    // Re-sign the record without SecretHash, as the previous layout wrote it.
    const { SecretBox } = await import('./secret-box.js');
    const { KEY } = await import('../test/helpers.js');
    const box = new SecretBox(KEY);
    await withDb(dir, async (db) => {
      const { SecretHash: _h, Mac: _m, ...record } = await db.get(`t:${old.AccessorID}`);
      await db.put(`t:${old.AccessorID}`, { ...record, Mac: box.records.sign('token', old.AccessorID, record) });
    });

    const again = await openStore(dir);
    expect(again.tokenBySecret(old.SecretID)?.AccessorID).toBe(old.AccessorID);
    expect(again.tokenByAccessor(old.AccessorID)?.SecretID).toBe(old.SecretID);
    await again.whenVerified();
    expect(again.tokenCount()).toBe(1);
  });

  it('an updated token written after a restart keeps its secret and resolves', async () => {
    const { store, dir } = await freshStore();
    const t = token({ Name: 'before' });
    await store.apply({ type: 'token-upsert', tokens: [t] });
    await store.close();
    const again = await openStore(dir);
    await again.apply({ type: 'token-upsert', tokens: [{ ...t, Name: 'after' }], mode: 'update' });
    expect(again.tokenBySecret(t.SecretID)?.Name).toBe('after');
    await again.close();
    const third = await openStore(dir);
    expect(third.tokenBySecret(t.SecretID)?.Name).toBe('after');
    expect(third.tokenByAccessor(t.AccessorID)?.SecretID).toBe(t.SecretID);
  });
});
