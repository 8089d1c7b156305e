import { Level } from 'level';
import { describe, expect, it, vi } from 'vitest';
import { freshStore, openStore, policy, token } from '../test/helpers.js';
import type { Logger } from './logger.js';

/** Edits one stored JSON record in place, as someone with the files but not the key could. */
async function editRecord(dir: string, key: string, edit: (v: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const db = new Level<string, Record<string, unknown>>(dir, { valueEncoding: 'json', createIfMissing: false });
  await db.open();
  await db.put(key, edit(await db.get(key)));
  await db.close();
}

function spyLogger(): Logger & { error: ReturnType<typeof vi.fn> } {
  const noop = (): void => {};
  return { debug: noop, info: noop, warn: noop, error: vi.fn() } as unknown as Logger & { error: ReturnType<typeof vi.fn> };
}

describe('records authenticated at rest', () => {
  it('refuses a token whose Type was edited to management: unknown after reopen, logged by name, counted', async () => {
    const { store, dir } = await freshStore();
    const client = token({ Type: 'client', Policies: ['readonly'] });
    const other = token();
    await store.apply({ type: 'token-upsert', tokens: [client, other] });
    await store.close();
    await editRecord(dir, `t:${client.AccessorID}`, (v) => ({ ...v, Type: 'management', Policies: [] }));

    const log = spyLogger();
    const refused: string[] = [];
    const again = await openStore(dir, { logger: log, metrics: { observeRecordRefused: (t, s) => refused.push(`${t}/${s}`) } });
    expect(again.tokenBySecret(client.SecretID)).toBeUndefined();
    expect(again.tokenByAccessor(client.AccessorID)).toBeUndefined();
    expect(again.tokenBySecret(other.SecretID)?.AccessorID).toBe(other.AccessorID);
    expect(refused).toEqual(['acl_token/disk']);
    expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ id: client.AccessorID }), expect.stringContaining(`token ${client.AccessorID} refused`));
    // The refused record's index entries were left alone, not "repaired".
    await again.close();
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json', createIfMissing: false });
    await db.open();
    expect(await db.get(`t:${client.AccessorID}`)).toMatchObject({ Type: 'management' });
    expect((await db.keys({ gte: 's:', lt: 's;' }).all()).length).toBe(2);
    await db.close();
  });

  it('refuses a policy whose rules were widened, and a record moved to another key', async () => {
    const { store, dir } = await freshStore();
    const t = token();
    await store.apply({ type: 'policy-upsert', policies: [policy('readonly'), policy('other')] });
    await store.apply({ type: 'token-upsert', tokens: [t] });
    await store.close();
    await editRecord(dir, 'p:readonly', (v) => ({ ...v, Rules: 'namespace "*" { policy = "write" }' }));
    // A valid record of another token copied under a new accessor.
    const db = new Level<string, Record<string, unknown>>(dir, { valueEncoding: 'json', createIfMissing: false });
    await db.open();
    await db.put('t:00000000-0000-4000-8000-000000000000', { ...(await db.get(`t:${t.AccessorID}`)), AccessorID: '00000000-0000-4000-8000-000000000000' });
    await db.close();

    const refused: string[] = [];
    const again = await openStore(dir, { metrics: { observeRecordRefused: (table) => refused.push(table) } });
    expect(again.policy('readonly')).toBeUndefined();
    expect(again.policy('other')?.Name).toBe('other');
    expect(again.tokenByAccessor('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(again.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);
    expect(refused.sort()).toEqual(['acl_policy', 'acl_token']);
  });

  it('refuses a format-1 (unsigned) store with a clear message, and upgrades it only when asked', async () => {
    const { store, dir } = await freshStore();
    const t = token();
    await store.apply({ type: 'token-upsert', tokens: [t] });
    await store.apply({ type: 'policy-upsert', policies: [policy('readonly')] });
    await store.close();
    // What a store written before records were signed looks like.
    const db = new Level<string, Record<string, unknown> | number>(dir, { valueEncoding: 'json', createIfMissing: false });
    await db.open();
    await db.put('m:format', 1);
    for (const k of [`t:${t.AccessorID}`, 'p:readonly']) {
      const { Mac: _mac, ...rest } = (await db.get(k)) as Record<string, unknown>;
      await db.put(k, rest);
    }
    await db.close();

    await expect(openStore(dir)).rejects.toMatchObject({ code: 'TOLLGATE_STORE_REFUSED', message: expect.stringMatching(/format 1.*-upgrade-state/) });
    const upgraded = await openStore(dir, { upgradeFormat: true });
    expect(upgraded.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);
    expect(upgraded.policy('readonly')?.Name).toBe('readonly');
    await upgraded.close();
    const plain = await openStore(dir);
    expect(plain.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);
  });
});
