import { EventEmitter, once } from 'node:events';

/**
 * A revision number for `GET /v1/acl/replication`, so the status can be read
 * as a Nomad blocking query (`?index=N&wait=…`): it moves whenever the
 * replication state changes (a follower's loop connects, applies, fails,
 * resyncs; a follower's stream to this agent opens or ends). It is the
 * wall-clock millisecond of the last change, kept strictly increasing, so
 * it never goes backwards across an agent restart and a client's old index
 * cannot hold a new agent's answer for the whole wait.
 */
export class StatusRevision {
  #revision = Date.now();
  readonly #changes = new EventEmitter();

  constructor() {
    // One listener per held blocking query.
    this.#changes.setMaxListeners(0);
  }

  get revision(): number {
    return this.#revision;
  }

  /** Records a change and wakes every waiter. */
  bump(): void {
    this.#revision = Math.max(this.#revision + 1, Date.now());
    this.#changes.emit('change');
  }

  /**
   * Resolves once the revision is above `after`, or when `signal` aborts
   * (never rejects: a timed-out blocking query answers with what it has).
   */
  async waitAbove(after: number, signal: AbortSignal): Promise<void> {
    while (this.#revision <= after && !signal.aborted) {
      try {
        await once(this.#changes, 'change', { signal });
      } catch {
        return;
      }
    }
  }
}
