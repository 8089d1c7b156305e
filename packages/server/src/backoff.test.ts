import { describe, expect, it } from 'vitest';
import { jitteredBackoffMs } from './backoff.js';

describe('jitteredBackoffMs', () => {
  it('grows from the initial pause by the multiplier, jittered within [ceiling/2, ceiling], up to the maximum', () => {
    const opts = { initialMs: 100, maxMs: 5_000 };
    expect([0, 1, 2, 3].map((n) => jitteredBackoffMs(n, opts, () => 1))).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map((n) => jitteredBackoffMs(n, opts, () => 0))).toEqual([50, 100, 200, 400]);
    expect(jitteredBackoffMs(50, opts, () => 1)).toBe(5_000);
    expect(jitteredBackoffMs(2, { ...opts, multiplier: 3 }, () => 1)).toBe(900);
  });

  it('refuses a negative or fractional attempt', () => {
    expect(() => jitteredBackoffMs(-1, { initialMs: 1, maxMs: 2 })).toThrow(RangeError);
    expect(() => jitteredBackoffMs(1.5, { initialMs: 1, maxMs: 2 })).toThrow(RangeError);
  });
});
