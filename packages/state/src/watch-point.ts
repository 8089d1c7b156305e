interface Waiter {
  readonly ready: (value: number) => boolean;
  readonly resolve: (value: number) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * Blocking-query support for one counter (a table index, the region index,
 * the replication cursor). Waiters sit in a Set until their condition holds,
 * their signal aborts, or the store closes; each one holds exactly one abort
 * listener, removed when it settles, so thousands of waiters (or one signal
 * reused for many waits) leak nothing.
 */
export class WatchPoint {
  readonly #read: () => number;
  readonly #waiters = new Set<Waiter>();

  /** @param read returns the counter's current value. */
  constructor(read: () => number) {
    this.#read = read;
  }

  /** Number of pending waiters (for tests and metrics). */
  get pending(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves with the counter's value as soon as `ready(value)` holds, or
   * with the current value when `signal` aborts. Never rejects.
   */
  wait(ready: (value: number) => boolean, signal: AbortSignal): Promise<number> {
    const now = this.#read();
    if (ready(now) || signal.aborted) return Promise.resolve(now);
    return new Promise<number>((resolve) => {
      const waiter: Waiter = {
        ready,
        resolve,
        signal,
        onAbort: () => this.#settle(waiter, this.#read()),
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Wakes every waiter whose condition now holds. Call after the counter moves. */
  notify(): void {
    if (this.#waiters.size === 0) return;
    const value = this.#read();
    for (const w of this.#waiters) if (w.ready(value)) this.#settle(w, value);
  }

  /** Resolves every waiter with the current value (on close). */
  releaseAll(): void {
    const value = this.#read();
    for (const w of this.#waiters) this.#settle(w, value);
  }

  #settle(w: Waiter, value: number): void {
    if (!this.#waiters.delete(w)) return;
    w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(value);
  }
}
