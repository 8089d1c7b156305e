import type { ReplicatedBatch, WriteResult } from '@tollgate/state';
import { describe, expect, it } from 'vitest';
import { BatchApplier } from './batch-applier.js';
import type { ChangeBatchData } from './change-batch.js';

/** A store whose writes complete when the test says so. */
class FakeStore {
  cursor = 0;
  writes: ReplicatedBatch[] = [];
  #release: Array<(fail?: Error) => void> = [];
  auto = false;
  applyReplicated(b: ReplicatedBatch): Promise<WriteResult> {
    this.writes.push(b);
    return new Promise((resolve, reject) => {
      const done = (fail?: Error): void => {
        if (fail) return reject(fail);
        this.cursor = b.sourceIndex;
        resolve({ index: this.writes.length });
      };
      if (this.auto) queueMicrotask(() => done());
      else this.#release.push(done);
    });
  }
  replicationCursor(): number {
    return this.cursor;
  }
  release(fail?: Error): void {
    const r = this.#release.shift();
    if (!r) throw new Error('no write in flight');
    r(fail);
  }
}

const batch = (index: number, deletes: string[] = [`k${index}`], commitTimeMs = index * 10): ChangeBatchData => ({
  firstIndex: index,
  index,
  commitTimeMs,
  upsertTokens: [],
  deleteTokens: deletes,
  upsertPolicies: [],
  deletePolicies: [],
});
const tick = () => new Promise((r) => setImmediate(r));

describe('BatchApplier', () => {
  it('writes the first batch at once and merges those that arrive during the write into one next write', async () => {
    const store = new FakeStore();
    const applied: number[] = [];
    const a = new BatchApplier(store, { onApplied: (b) => applied.push(b.index) });
    a.push(batch(1));
    a.push(batch(2));
    a.push(batch(3));
    await tick();
    expect(store.writes.map((w) => w.sourceIndex)).toEqual([1]);
    a.push(batch(4));
    store.release();
    await tick();
    expect(store.writes.map((w) => [w.sourceIndex, w.deleteTokens])).toEqual([
      [1, ['k1']],
      [4, ['k2', 'k3', 'k4']],
    ]);
    store.release();
    await a.flush();
    expect(applied).toEqual([1, 4]);
    expect(store.cursor).toBe(4);
  });

  it('drops a batch that is not above everything pushed before (a duplicate)', async () => {
    const store = new FakeStore();
    store.cursor = 10;
    store.auto = true;
    const a = new BatchApplier(store);
    expect(a.push(batch(9))).toBe(false);
    expect(a.push(batch(10))).toBe(false);
    expect(a.push(batch(11))).toBe(true);
    expect(a.push(batch(11))).toBe(false);
    await a.flush();
    expect(store.writes.map((w) => w.sourceIndex)).toEqual([11]);
  });

  it('reports the commit time of the oldest change not yet durable, ignoring heartbeats', async () => {
    const store = new FakeStore();
    const a = new BatchApplier(store);
    expect(a.oldestPendingCommitMs).toBeUndefined();
    a.push(batch(1, [], 5)); // a heartbeat's progress: no changes
    await tick();
    expect(a.oldestPendingCommitMs).toBeUndefined();
    a.push(batch(2, ['x'], 20));
    a.push(batch(3, ['y'], 30));
    expect(a.oldestPendingCommitMs).toBe(20);
    store.release();
    await tick();
    expect(a.oldestPendingCommitMs).toBe(20); // now in flight
    store.release();
    await a.flush();
    expect(a.oldestPendingCommitMs).toBeUndefined();
  });

  it('skips a progress-only write at or below the durable cursor', async () => {
    const store = new FakeStore();
    store.cursor = 7;
    store.auto = true;
    const a = new BatchApplier(store);
    a.push(batch(8, []));
    await a.flush();
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0]!.sourceIndex).toBe(8);
  });

  it('stops applying after a failed write and reports the failure once', async () => {
    const store = new FakeStore();
    const failures: unknown[] = [];
    const a = new BatchApplier(store, { onFailed: (e) => failures.push(e) });
    a.push(batch(1));
    await tick();
    a.push(batch(2));
    store.release(new Error('disk full'));
    await a.flush();
    expect((a.failure as Error).message).toBe('disk full');
    expect(failures).toHaveLength(1);
    expect(store.writes).toHaveLength(1);
    expect(a.push(batch(3))).toBe(false);
    expect(store.cursor).toBe(0);
  });

  it('applies backpressure: waitForRoom resolves once the queue drains below the limit', async () => {
    const store = new FakeStore();
    const a = new BatchApplier(store);
    a.push(batch(1));
    await tick();
    for (let i = 2; i <= 5; i++) a.push(batch(i));
    let resolved = false;
    const room = a.waitForRoom(2).then(() => (resolved = true));
    await tick();
    expect(resolved).toBe(false);
    store.release();
    await room;
    expect(a.pendingCount).toBe(0);
    store.release();
    await a.flush();
  });

  it('stop() drops what is queued but lets the write in progress finish', async () => {
    const store = new FakeStore();
    const a = new BatchApplier(store);
    a.push(batch(1));
    await tick();
    a.push(batch(2));
    const stopped = a.stop();
    store.release();
    await stopped;
    expect(store.writes.map((w) => w.sourceIndex)).toEqual([1]);
    expect(store.cursor).toBe(1);
  });
});
