import { describe, expect, it } from 'vitest';
import { ReadIndexBatcher } from './etcd-read-index.js';

/** A fetch whose answers the test gives, one per call, in order. */
function fakeFetch(): { fetch: () => Promise<number>; calls: number; answer(index: number): void; fail(err: Error): void } {
  const pending: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  const f = {
    calls: 0,
    fetch: () => {
      f.calls++;
      return new Promise<number>((resolve, reject) => pending.push({ resolve, reject }));
    },
    answer: (index: number) => pending.shift()!.resolve(index),
    fail: (err: Error) => pending.shift()!.reject(err),
  };
  return f;
}

/** Lets the batcher send what it scheduled (it sends on the next turn of the event loop). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ReadIndexBatcher', () => {
  it('answers N concurrent calls with one fetch', async () => {
    const f = fakeFetch();
    const b = new ReadIndexBatcher({ fetch: f.fetch });
    const calls = Array.from({ length: 50 }, () => b.read());
    await turn();
    expect(f.calls).toBe(1);
    f.answer(7);
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 50 }, () => 7));
    expect(f.calls).toBe(1);
  });

  it('makes a call that arrives after the fetch was sent wait for the next fetch, shared by every later arrival', async () => {
    const f = fakeFetch();
    const b = new ReadIndexBatcher({ fetch: f.fetch });
    const early = b.read();
    await turn();
    expect(f.calls).toBe(1);
    // Sent already: these must not get its answer (a write acknowledged
    // before they arrived could be missing from it).
    let lateDone = false;
    const late = [b.read(), b.read(), b.read()];
    void Promise.all(late).then(() => (lateDone = true));
    await turn();
    expect(f.calls).toBe(1); // one fetch in flight at a time
    f.answer(5);
    expect(await early).toBe(5);
    await turn();
    expect(lateDone).toBe(false);
    expect(f.calls).toBe(2);
    f.answer(9);
    expect(await Promise.all(late)).toEqual([9, 9, 9]);
    expect(f.calls).toBe(2);
  });

  it('rejects the calls of a failed fetch and sends a fresh one for later calls', async () => {
    const f = fakeFetch();
    const b = new ReadIndexBatcher({ fetch: f.fetch });
    const failed = [b.read(), b.read()];
    await turn();
    f.fail(new Error('etcd down'));
    for (const p of failed) await expect(p).rejects.toThrow('etcd down');
    const next = b.read();
    await turn();
    expect(f.calls).toBe(2);
    f.answer(3);
    expect(await next).toBe(3);
    await turn();
    expect(b.inFlight).toBe(0);
  });

  it('sends up to maxInFlight fetches at once, each for the calls that arrived before it', async () => {
    const f = fakeFetch();
    const b = new ReadIndexBatcher({ fetch: f.fetch, maxInFlight: 2 });
    const first = b.read();
    await turn();
    const second = b.read();
    await turn();
    expect(f.calls).toBe(2);
    const third = b.read();
    await turn();
    expect(f.calls).toBe(2);
    f.answer(1);
    f.answer(2);
    expect([await first, await second]).toEqual([1, 2]);
    await turn();
    expect(f.calls).toBe(3);
    f.answer(4);
    expect(await third).toBe(4);
  });
});
