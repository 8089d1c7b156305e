/** Options of `ReadIndexBatcher`. */
export interface ReadIndexBatcherOptions {
  /**
   * Fetches the region's current write revision from etcd (a linearizable
   * read of `data/rev`).
   */
  readonly fetch: () => Promise<number>;
  /**
   * Most fetches in flight at once. With the default (1), a fetch is sent
   * only when the one before it has answered, so one fetch serves every
   * call that arrived while the previous one was in flight.
   * @default 1
   */
  readonly maxInFlight?: number;
}

interface Pending {
  readonly promise: Promise<number>;
  readonly resolve: (index: number) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * The read barrier of an HA region, batched: every default-consistency read
 * and every write first asks for the region's current revision, and one
 * etcd read answers all the calls that arrived before it was sent.
 *
 * A call never shares a fetch that was already sent when it arrived (that
 * fetch could have been answered before a write the caller saw
 * acknowledged): it waits for the next one, which is sent on the next turn
 * of the event loop, or as soon as a fetch in flight answers.
 *
 * ```
 * calls:   a b c      d e        f
 * fetches: ──[ 1: a b c ]──[ 2: d e ]──[ 3: f ]──
 * ```
 */
export class ReadIndexBatcher {
  readonly #fetch: () => Promise<number>;
  readonly #maxInFlight: number;
  /** The next fetch, not sent yet: every call arriving now shares it. */
  #next: Pending | undefined;
  #inFlight = 0;
  #scheduled = false;

  constructor(opts: ReadIndexBatcherOptions) {
    this.#fetch = opts.fetch;
    this.#maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
  }

  /** Fetches in flight now (for tests and diagnosis). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The region's revision, from a fetch sent after this call. */
  read(): Promise<number> {
    if (this.#next === undefined) {
      let resolve!: (index: number) => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<number>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#next = { promise, resolve, reject };
      this.#schedule();
    }
    return this.#next.promise;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // The rest of this turn's callers (other requests parsed in the same
    // I/O phase) join the fetch before it is sent.
    setImmediate(() => {
      this.#scheduled = false;
      this.#send();
    });
  }

  #send(): void {
    const next = this.#next;
    if (next === undefined || this.#inFlight >= this.#maxInFlight) return;
    this.#next = undefined;
    this.#inFlight++;
    let fetched: Promise<number>;
    try {
      fetched = this.#fetch();
    } catch (err) {
      fetched = Promise.reject(err);
    }
    fetched.then(next.resolve, next.reject).finally(() => {
      this.#inFlight--;
      if (this.#next !== undefined) this.#send();
    });
  }
}
