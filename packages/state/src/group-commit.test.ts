import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freshStore, interceptNextBatch, token } from '../test/helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('group commit', () => {
  it('writes 64 concurrent applies in far fewer LevelDB batches, each with its own index', async () => {
    const batches: number[] = [];
    const { store } = await freshStore({ metrics: { observeCommit: (size) => batches.push(size) } });
    const writes: Array<Promise<{ index: number }>> = [];
    for (let i = 0; i < 64; i++) {
      writes.push(store.apply({ type: 'token-upsert', tokens: [token()] }));
      // Spread arrivals over several turns of the event loop, as HTTP requests arrive.
      if (i % 8 === 7) await nextTurn();
    }
    const indexes = (await Promise.all(writes)).map((r) => r.index);
    expect([...indexes].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(64);
    expect(batches.length).toBeLessThanOrEqual(16);
    expect(store.tokenCount()).toBe(64);
  });

  it('lets a later write in the same group see an earlier one', async () => {
    const { store } = await freshStore();
    const a = token();
    const b = token();
    const clash = token({ SecretID: b.SecretID });
    const [created, deleted, bOk, clashed] = await Promise.allSettled([
      store.apply({ type: 'token-upsert', tokens: [a] }),
      store.apply({ type: 'token-delete', accessors: [a.AccessorID] }),
      store.apply({ type: 'token-upsert', tokens: [b] }),
      store.apply({ type: 'token-upsert', tokens: [clash] }),
    ]);
    expect(created).toEqual({ status: 'fulfilled', value: { index: 1 } });
    expect(deleted).toEqual({ status: 'fulfilled', value: { index: 2 } });
    expect(bOk).toEqual({ status: 'fulfilled', value: { index: 3 } });
    expect(clashed).toMatchObject({ status: 'rejected', reason: { code: 'TOLLGATE_CONFLICT' } });
    expect(store.tokenByAccessor(a.AccessorID)).toBeUndefined();
    expect(store.tokenBySecret(b.SecretID)?.AccessorID).toBe(b.AccessorID);
    expect(store.index()).toBe(3);
  });

  it('drops a refused write without spending an index and commits the rest of its group', async () => {
    const rejected: string[] = [];
    const { store } = await freshStore({ metrics: { observeRejected: (code) => rejected.push(code) } });
    const results = await Promise.allSettled([
      store.apply({ type: 'token-upsert', tokens: [token()] }),
      store.apply({ type: 'token-delete', accessors: ['missing'] }),
      store.apply({ type: 'token-upsert', tokens: [token()] }),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.index : 'refused'))).toEqual([1, 'refused', 2]);
    expect(rejected).toEqual(['TOLLGATE_NOT_FOUND']);
  });

  it('rejects every write of a failed batch and leaves memory unchanged', async () => {
    const failures: number[] = [];
    const { store } = await freshStore({ metrics: { observeCommitFailure: (n) => failures.push(n) } });
    interceptNextBatch(() => Promise.reject(new Error('disk full')));
    const t1 = token();
    const t2 = token();
    const results = await Promise.allSettled([
      store.apply({ type: 'token-upsert', tokens: [t1] }),
      store.apply({ type: 'token-upsert', tokens: [t2] }),
    ]);
    for (const r of results) {
      expect(r).toMatchObject({ status: 'rejected', reason: { code: 'TOLLGATE_COMMIT_FAILED', cause: { message: 'disk full' } } });
    }
    expect(failures).toEqual([2]);
    expect(store.index()).toBe(0);
    expect(store.tokenBySecret(t1.SecretID)).toBeUndefined();
    expect(store.changesSince(0)).toEqual([]);
    // Degraded: writes refused at once with the reason, until recovery
    // (reopen + synced probe) succeeds by itself.
    expect(store.degradedReason).toBe('commit failed: disk full');
    await expect(store.apply({ type: 'token-upsert', tokens: [t1] })).rejects.toThrow(/commit failed: disk full/);
    await vi.waitFor(() => expect(store.degradedReason).toBeUndefined(), { timeout: 10_000, interval: 20 });
    // The store is usable again and the failed indexes were not consumed.
    await expect(store.apply({ type: 'token-upsert', tokens: [t1] })).resolves.toEqual({ index: 1 });
  });

  it('shows a write to readers only once its batch is durable', async () => {
    const { store } = await freshStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let writing!: () => void;
    const started = new Promise<void>((r) => (writing = r));
    interceptNextBatch(async (write) => {
      writing();
      await gate;
      await write();
    });
    const t = token();
    const write = store.apply({ type: 'token-upsert', tokens: [t] });
    await started;
    expect(store.tokenBySecret(t.SecretID)).toBeUndefined();
    expect(store.index()).toBe(0);
    // A write arriving during the batch waits for the next one.
    const second = store.apply({ type: 'token-upsert', tokens: [token()] });
    release();
    await expect(write).resolves.toEqual({ index: 1 });
    expect(store.tokenBySecret(t.SecretID)?.ModifyIndex).toBe(1);
    await expect(second).resolves.toEqual({ index: 2 });
  });
});
