import type { ACLToken } from './types.js';

/**
 * One sorted listing of the tokens (by CreateIndex or by AccessorID), kept
 * up to date cheaply: a write only notes which AccessorID changed, and the
 * next read merges the changed tokens (sorted, few) into the previous
 * listing in one linear pass instead of sorting every token again. Sorting
 * 300k tokens took 200–400 ms of event loop after every write; the merge
 * takes a few ms. Each read after a change returns a new array: arrays
 * handed out never change.
 */
export class SortedTokens {
  readonly #compare: (a: ACLToken, b: ACLToken) => number;
  #sorted: readonly ACLToken[] | undefined;
  readonly #changed = new Set<string>();

  constructor(compare: (a: ACLToken, b: ACLToken) => number) {
    this.#compare = compare;
  }

  /** Notes that the token with this AccessorID was put or deleted. */
  changed(accessor: string): void {
    const sorted = this.#sorted;
    if (sorted === undefined) return;
    this.#changed.add(accessor);
    // Past an eighth of the tokens changed, sorting everything is as cheap.
    if (this.#changed.size > 1024 && this.#changed.size > sorted.length / 8) this.reset();
  }

  /** Forgets the listing: the next read sorts every token. */
  reset(): void {
    this.#sorted = undefined;
    this.#changed.clear();
  }

  /** The tokens of `all` in order (shared: do not modify). */
  get(all: ReadonlyMap<string, ACLToken>): readonly ACLToken[] {
    const prev = this.#sorted;
    if (prev === undefined) return (this.#sorted = [...all.values()].sort(this.#compare));
    if (this.#changed.size === 0) return prev;
    const fresh: ACLToken[] = [];
    for (const accessor of this.#changed) {
      const t = all.get(accessor);
      if (t !== undefined) fresh.push(t);
    }
    fresh.sort(this.#compare);
    const out: ACLToken[] = new Array<ACLToken>(all.size);
    let n = 0;
    let j = 0;
    const changed = this.#changed;
    for (const t of prev) {
      if (changed.has(t.AccessorID)) continue;
      while (j < fresh.length && this.#compare(fresh[j]!, t) < 0) out[n++] = fresh[j++]!;
      out[n++] = t;
    }
    while (j < fresh.length) out[n++] = fresh[j++]!;
    out.length = n;
    changed.clear();
    return (this.#sorted = out);
  }
}
