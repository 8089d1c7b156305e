/**
 * Sort key for an expiration time: zero-padded epoch seconds, a dot, and nine
 * fraction digits. Fixed width, so string order is time order, and the
 * nanoseconds of an RFC 3339 time are kept (Date would cut them to ms).
 * Times before 1970 clamp to 0: such tokens are long expired anyway.
 */
export function expiryKey(time: string): string {
  const ms = Date.parse(time);
  if (!(ms >= 0)) return `${'0'.repeat(12)}.${'0'.repeat(9)}`;
  const fraction = /T[^.]*\.(\d+)/.exec(time)?.[1] ?? '';
  return `${String(Math.floor(ms / 1000)).padStart(12, '0')}.${fraction.padEnd(9, '0').slice(0, 9)}`;
}

/** `expiryKey` for a `Date` (millisecond precision). */
export function expiryKeyOfDate(date: Date): string {
  return expiryKey(date.toISOString());
}

interface Entry {
  readonly key: string;
  readonly accessor: string;
}

function compare(a: Entry, key: string, accessor: string): number {
  if (a.key !== key) return a.key < key ? -1 : 1;
  if (a.accessor !== accessor) return a.accessor < accessor ? -1 : 1;
  return 0;
}

/**
 * Tokens ordered by expiration time (then AccessorID), for the expired-token
 * GC. A sorted array: lookups are binary searches and the GC reads a prefix;
 * inserts shift memory, which stays cheap at the token counts we target
 * (a 100k-entry splice is a few microseconds of memmove).
 */
export class ExpiryIndex {
  readonly #entries: Entry[] = [];
  /** Entries were appended by `addUnsorted` since the last sort. */
  #unsorted = false;

  get size(): number {
    return this.#entries.length;
  }

  #lowerBound(key: string, accessor: string): number {
    if (this.#unsorted) this.sort();
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.#entries[mid]!, key, accessor) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(key: string, accessor: string): void {
    const at = this.#lowerBound(key, accessor);
    const found = this.#entries[at];
    if (found !== undefined && compare(found, key, accessor) === 0) return;
    this.#entries.splice(at, 0, { key, accessor });
  }

  /** Appends without keeping the order (bulk loading): the next other call sorts once. */
  addUnsorted(key: string, accessor: string): void {
    this.#entries.push({ key, accessor });
    this.#unsorted = true;
  }

  sort(): void {
    this.#entries.sort((a, b) => compare(a, b.key, b.accessor));
    this.#unsorted = false;
  }

  remove(key: string, accessor: string): void {
    const at = this.#lowerBound(key, accessor);
    const found = this.#entries[at];
    if (found !== undefined && compare(found, key, accessor) === 0) this.#entries.splice(at, 1);
  }

  /** Up to `limit` accessors whose key is strictly before `beforeKey`, oldest first. */
  before(beforeKey: string, limit: number, accept?: (accessor: string) => boolean): string[] {
    if (this.#unsorted) this.sort();
    const out: string[] = [];
    for (const e of this.#entries) {
      if (out.length >= limit || e.key >= beforeKey) break;
      if (accept === undefined || accept(e.accessor)) out.push(e.accessor);
    }
    return out;
  }
}
