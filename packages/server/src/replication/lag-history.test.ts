import { describe, expect, it } from 'vitest';
import { LagHistory } from './lag-history.js';

describe('LagHistory', () => {
  it('keeps the worst lag of each bucket', () => {
    const h = new LagHistory({ bucketMs: 10_000, windowMs: 60_000 });
    h.record(100_000, 0.1);
    h.record(101_000, 2.5);
    h.record(109_999, 0.2);
    h.record(110_000, 0);
    expect(h.samples()).toEqual([
      [100_000, 2.5],
      [110_000, 0],
    ]);
  });

  it('forgets buckets older than the window', () => {
    const h = new LagHistory({ bucketMs: 10_000, windowMs: 30_000 });
    for (let t = 0; t <= 100_000; t += 10_000) h.record(t, t / 1000);
    expect(h.samples().map(([t]) => t)).toEqual([70_000, 80_000, 90_000, 100_000]);
  });
});
