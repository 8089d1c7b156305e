import { describe, expect, it } from 'vitest';
import { requestCost } from './request-limiter.js';
import { TokenBuckets } from './token-buckets.js';

describe('token buckets', () => {
  it('allow a burst, then refill at the rate, and name the wait in whole seconds', () => {
    const b = new TokenBuckets(2, 4);
    const t0 = 1_000_000;
    expect([1, 2, 3, 4].map(() => b.take('a', 1, t0))).toEqual([0, 0, 0, 0]);
    expect(b.take('a', 1, t0)).toBe(1);
    expect(b.take('a', 1, t0 + 500)).toBe(0); // one token back after 0.5 s at 2/s
    expect(b.take('a', 1, t0 + 500)).toBe(1);
    expect(b.take('b', 1, t0)).toBe(0); // keys are independent
  });

  it('charge big requests more, let one through a full bucket, and refuse without taking', () => {
    const b = new TokenBuckets(1, 10);
    expect(requestCost(100)).toBe(1);
    expect(requestCost(970 * 1024)).toBe(971);
    expect(b.take('a', requestCost(970 * 1024), 0)).toBe(0); // capped at the bucket: empties it
    expect(b.take('a', 5, 0)).toBe(5);
    expect(b.take('a', 5, 5000)).toBe(0);
  });

  it('forget the oldest key at the cap and drop refilled buckets on sweep', () => {
    const b = new TokenBuckets(1, 1, 2);
    b.take('a', 1, 0);
    b.take('b', 1, 0);
    b.take('c', 1, 0);
    expect(b.size).toBe(2);
    expect(b.take('a', 1, 0)).toBe(0); // forgotten: a full bucket again
    b.sweep(10_000);
    expect(b.size).toBe(0);
  });
});
