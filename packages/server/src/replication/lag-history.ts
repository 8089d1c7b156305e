/**
 * A follower's replication lag over the last minutes, for the UI's chart
 * (`GET /v1/acl/replication?history=true`): the worst lag seen in each
 * bucket (10 s), so a spike between two samples is not lost. Fed by a
 * one-second sample of the loop's report; a bounded ring, nothing on disk.
 */
export class LagHistory {
  readonly #bucketMs: number;
  readonly #windowMs: number;
  // [bucket start ms, worst lag seconds], oldest first.
  readonly #buckets: Array<[number, number]> = [];

  constructor(opts: { bucketMs?: number; windowMs?: number } = {}) {
    this.#bucketMs = opts.bucketMs ?? 10_000;
    this.#windowMs = opts.windowMs ?? 15 * 60_000;
  }

  /** Records the lag seen at `nowMs`. */
  record(nowMs: number, lagSeconds: number): void {
    const start = nowMs - (nowMs % this.#bucketMs);
    const last = this.#buckets[this.#buckets.length - 1];
    if (last !== undefined && last[0] === start) last[1] = Math.max(last[1], lagSeconds);
    else this.#buckets.push([start, lagSeconds]);
    while (this.#buckets.length > 0 && this.#buckets[0]![0] < nowMs - this.#windowMs) this.#buckets.shift();
  }

  /** `[bucket start ms, worst lag seconds]` pairs, oldest first, within the window. */
  samples(): Array<readonly [number, number]> {
    return this.#buckets.map(([t, v]) => [t, v] as const);
  }
}
