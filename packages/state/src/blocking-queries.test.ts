import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freshStore, policy, token } from '../test/helpers.js';

/** Whether `p` settled within a few turns of the event loop. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await sleep(5);
  return done;
}

describe('blocking queries', () => {
  it('resolves at once when the table index is already past afterIndex', async () => {
    const { store } = await freshStore();
    const signal = new AbortController().signal;
    await expect(store.waitForTable('acl_token', 0, signal)).resolves.toBe(1);
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    await expect(store.waitForTable('acl_token', 0, signal)).resolves.toBe(1);
  });

  it('wakes a table waiter on a change to that table only', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('a')] });
    const waiting = store.waitForTable('acl_policy', 1, new AbortController().signal);
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    expect(await settled(waiting)).toBe(false);
    await store.apply({ type: 'policy-delete', names: ['missing'] });
    await expect(waiting).resolves.toBe(3);
  });

  it('wakes a waiter on several tables when any of them moves, and not on another table', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    const after = { acl_token: store.tableIndex('acl_token'), acl_role: store.tableIndex('acl_role') };
    await expect(store.waitForTables({ acl_token: 0 }, new AbortController().signal)).resolves.toBeUndefined();
    const byToken = store.waitForTables(after, new AbortController().signal);
    const byPolicy = store.waitForTables({ ...after, acl_policy: store.tableIndex('acl_policy') }, new AbortController().signal);
    await store.apply({ type: 'policy-upsert', policies: [policy('a')] });
    expect(await settled(byToken)).toBe(false);
    await expect(byPolicy).resolves.toBeUndefined();
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    await expect(byToken).resolves.toBeUndefined();
    const ac = new AbortController();
    const aborted = store.waitForTables({ acl_role: store.tableIndex('acl_role') }, ac.signal);
    ac.abort();
    await expect(aborted).resolves.toBeUndefined();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    await expect(store.waitForTables({ nope: 1 } as never, ac.signal)).rejects.toThrow(/table must be one of/);
  });

  it('resolves with the current index, without rejecting, when the signal aborts', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    const ac = new AbortController();
    const waiting = store.waitForTable('acl_token', 1, ac.signal);
    expect(await settled(waiting)).toBe(false);
    ac.abort();
    await expect(waiting).resolves.toBe(1);
    const already = AbortSignal.abort();
    await expect(store.waitForIndex(50, already)).resolves.toBe(1);
  });

  it('holds no abort listeners once thousands of waiters sharing one signal have woken', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    const ac = new AbortController();
    const waiters = Array.from({ length: 3000 }, (_, i) =>
      i % 2 === 0 ? store.waitForTable('acl_token', 1, ac.signal) : store.waitForIndex(2, ac.signal),
    );
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(3000);
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    const values = await Promise.all(waiters);
    expect(new Set(values)).toEqual(new Set([2]));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('removes the abort listener of a waiter that is aborted', async () => {
    const { store } = await freshStore();
    const controllers = Array.from({ length: 100 }, () => new AbortController());
    const waiters = controllers.map((c) => store.waitForIndex(10, c.signal));
    for (const c of controllers) c.abort();
    expect(await Promise.all(waiters)).toEqual(controllers.map(() => 0));
    for (const c of controllers) expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('waits for the region index to reach a minimum', async () => {
    const { store } = await freshStore();
    const waiting = store.waitForIndex(2, new AbortController().signal);
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    expect(await settled(waiting)).toBe(false);
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    await expect(waiting).resolves.toBe(2);
  });

  it('releases pending waiters with the current value when the store closes', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    const table = store.waitForTable('acl_token', 5, new AbortController().signal);
    const cursor = store.waitForReplication(5, new AbortController().signal);
    const closing = store.close();
    // A wait begun while closing does not hang either.
    const late = store.waitForIndex(99, new AbortController().signal);
    await closing;
    await expect(table).resolves.toBe(1);
    await expect(cursor).resolves.toBe(0);
    await expect(late).resolves.toBe(1);
  });
});
