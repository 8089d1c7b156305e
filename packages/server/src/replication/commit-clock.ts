/**
 * When each recent region index was committed, on the authoritative side:
 * replication batches carry the commit time of their first index so that a
 * follower can report its lag as "time since the oldest change it has not
 * applied was committed".
 *
 * The store's change feed does not record times, so the agent records one
 * (index, time) pair per group commit through `onCommit`: record k dates the
 * indexes after record k-1 up to its own. Indexes committed before this
 * process started are dated `startTimeMs`; that is a lower bound of their
 * age, the best the agent knows without persisted times.
 */
export class CommitClock {
  #indexes: number[] = [];
  #times: number[] = [];
  #head = 0;
  readonly #capacity: number;
  readonly #startIndex: number;
  readonly #startTimeMs: number;

  /**
   * @param startIndex the store's index when the process started.
   * @param startTimeMs the date given to indexes up to `startIndex`.
   * @param capacity records kept (one per group commit). @default 200_000
   */
  constructor(startIndex: number, startTimeMs: number, capacity = 200_000) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#startIndex = startIndex;
    this.#startTimeMs = startTimeMs;
    this.#capacity = capacity;
  }

  /** Records that the indexes after the previous record, up to `index`, were committed at `timeMs`. */
  record(index: number, timeMs: number): void {
    const n = this.#indexes.length;
    if (index <= this.#startIndex || (n > this.#head && this.#indexes[n - 1]! >= index)) return;
    this.#indexes.push(index);
    this.#times.push(timeMs);
    if (n + 1 - this.#head > this.#capacity) {
      this.#head++;
      // Compact now and then so trimming stays O(1) amortized.
      if (this.#head >= this.#capacity) {
        this.#indexes = this.#indexes.slice(this.#head);
        this.#times = this.#times.slice(this.#head);
        this.#head = 0;
      }
    }
  }

  /**
   * When `index` was committed. Up to the start index: `startTimeMs`. Newer
   * than every record (a commit whose listener has not run yet): `now`.
   * Older than the records kept: the oldest kept time, which is no earlier
   * than the real one.
   */
  timeOf(index: number, now: number = Date.now()): number {
    if (index <= this.#startIndex) return this.#startTimeMs;
    let lo = this.#head;
    let hi = this.#indexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#indexes[mid]! < index) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.#indexes.length ? now : this.#times[lo]!;
  }
}
