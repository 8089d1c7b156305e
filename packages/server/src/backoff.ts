/**
 * The one backoff formula between regions and towards etcd: the pause
 * before attempt `attempt` (0-based count of failures so far) grows
 * exponentially from `initialMs` by `multiplier` up to `maxMs`, with jitter
 * (a uniform draw in [ceiling/2, ceiling]) so that several followers or
 * agents do not retry in lock-step when the far side returns.
 *
 * @param random injectable for tests; @default Math.random
 * @example jitteredBackoffMs(3, { initialMs: 100, maxMs: 5_000 }) // 400..800
 */
export function jitteredBackoffMs(
  attempt: number,
  opts: { readonly initialMs: number; readonly maxMs: number; readonly multiplier?: number },
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  const ceiling = Math.min(opts.maxMs, opts.initialMs * (opts.multiplier ?? 2) ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
