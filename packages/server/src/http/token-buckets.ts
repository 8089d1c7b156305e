/** One bucket: the tokens it held at `atMs`. Mutated in place (no allocation per request). */
interface Bucket {
  tokens: number;
  atMs: number;
}

/**
 * Token buckets keyed by a string (a client address, a token): each refills
 * at `ratePerSecond` up to `burst`, and a request takes `cost` tokens. One
 * `Map` lookup and a few arithmetic operations per call; a bucket object is
 * made once per key and reused.
 *
 * Memory is bounded: at `maxKeys` the oldest key is dropped (its client
 * starts again with a full bucket — a limiter may forget, never wrongly
 * refuse), and `sweep()` drops buckets that have refilled completely, which
 * are indistinguishable from new ones.
 */
export class TokenBuckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  /**
   * @param ratePerSecond tokens added per second (> 0)
   * @param burst bucket size (≥ 1): how many requests may come at once
   * @param maxKeys most keys tracked @default 100_000
   */
  constructor(ratePerSecond: number, burst: number, maxKeys = 100_000) {
    this.#rate = ratePerSecond / 1000;
    this.#burst = burst;
    this.#maxKeys = maxKeys;
  }

  /**
   * Takes `cost` tokens from `key`'s bucket at time `nowMs`. Returns 0 when
   * allowed, else the seconds (≥ 1, rounded up) until the bucket holds
   * enough — the `Retry-After` value. A refused request takes nothing.
   */
  take(key: string, cost: number, nowMs: number): number {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      b = { tokens: this.#burst, atMs: nowMs };
      this.#buckets.set(key, b);
    } else if (nowMs > b.atMs) {
      b.tokens = Math.min(this.#burst, b.tokens + (nowMs - b.atMs) * this.#rate);
      b.atMs = nowMs;
    }
    // A request costlier than the whole bucket may still pass when the bucket is full.
    const need = Math.min(cost, this.#burst);
    if (b.tokens >= need) {
      b.tokens -= need;
      return 0;
    }
    return Math.max(1, Math.ceil((need - b.tokens) / this.#rate / 1000));
  }

  /** Drops the buckets that have refilled completely by `nowMs`. */
  sweep(nowMs: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (nowMs - b.atMs) * this.#rate >= this.#burst) this.#buckets.delete(key);
    }
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#buckets.size;
  }
}
