import { FeedHorizonError, InvalidArgumentError } from './errors.js';
import type { Change } from './types.js';

/** Options of `StateStore.changesSince`. */
export interface ChangesSinceOptions {
  /** Only changes to global objects (global tokens, policies). @default false */
  readonly globalOnly?: boolean;
  /**
   * Soft cap on the number of changes returned. The answer never ends in the
   * middle of an index (so a caller can advance a cursor to the last
   * returned index): it may exceed `limit` by the rest of the last index's
   * changes. @default no limit
   */
  readonly limit?: number;
}

/**
 * The in-memory copy of the change feed: every committed change in index
 * order, from just after `floor` (the last pruned index) to the newest.
 * Pruning always removes whole indexes, so `floor` is exact.
 */
export class ChangeFeed {
  #entries: Change[] = [];
  /** Entries before `#head` are pruned; the array is compacted lazily. */
  #head = 0;
  #floor: number;

  /** @param floor every change with index > floor is (or will be) in the feed. */
  constructor(floor: number) {
    this.#floor = floor;
  }

  /** The last pruned index (0 = nothing was ever pruned). */
  get floor(): number {
    return this.#floor;
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Appends changes; their indexes must not go below the newest one held. */
  append(changes: readonly Change[]): void {
    for (const c of changes) this.#entries.push(c);
  }

  /**
   * Changes with index > `afterIndex`, oldest first.
   * @throws FeedHorizonError when changes after `afterIndex` were pruned.
   */
  since(afterIndex: number, opts: ChangesSinceOptions = {}): Change[] {
    if (!Number.isSafeInteger(afterIndex) || afterIndex < 0) {
      throw new InvalidArgumentError('afterIndex must be a non-negative integer');
    }
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    if (!(limit > 0)) throw new InvalidArgumentError('limit must be a positive number');
    if (afterIndex < this.#floor) throw new FeedHorizonError(afterIndex, this.#floor);
    const out: Change[] = [];
    for (let i = this.#firstAfter(afterIndex); i < this.#entries.length; i++) {
      const c = this.#entries[i]!;
      if (out.length >= limit && c.index !== out[out.length - 1]!.index) break;
      if (opts.globalOnly === true && !c.global) continue;
      out.push(c);
    }
    return out;
  }

  #firstAfter(afterIndex: number): number {
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#entries[mid]!.index <= afterIndex) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * What to prune so that about `keep` entries remain, at most about
   * `maxEntries` at a time: the new floor and how many entries go. Rounded up
   * to a whole index. `undefined` when nothing needs pruning.
   */
  planPrune(keep: number, maxEntries: number): { floor: number; count: number } | undefined {
    const excess = this.size - keep;
    if (excess <= 0) return undefined;
    let n = Math.min(excess, maxEntries);
    const floor = this.#entries[this.#head + n - 1]!.index;
    while (this.#head + n < this.#entries.length && this.#entries[this.#head + n]!.index === floor) n++;
    return { floor, count: n };
  }

  /** Forgets every change with index ≤ `floor` and raises the floor. */
  dropThrough(floor: number): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.index <= floor) this.#head++;
    this.#floor = Math.max(this.#floor, floor);
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
