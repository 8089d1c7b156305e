import type { Logger } from '../logger.js';

/**
 * Work only one agent of a region may do at a time: follower-region
 * replication, expired-token GC, etcd compaction. With one agent per region
 * it runs from start to shutdown; in HA mode only while this agent leads.
 *
 * `start` should return quickly (start timers or a loop in the background);
 * `stop` ends the work and resolves once it has ended.
 */
export interface LeaderTask {
  /** For logs. */
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/**
 * The leader tasks of one agent and the switch that runs them. Transitions
 * are serialized: a task is never started twice or stopped before its start
 * finished, however fast leadership flaps.
 *
 * @example
 * tasks.add({ name: 'replication', start: () => loop.start(), stop: () => loop.close() });
 * tasks.setLeading(true);  // starts every task
 */
export class LeaderTasks {
  readonly #log: Logger;
  readonly #tasks = new Set<LeaderTask>();
  readonly #running = new Set<LeaderTask>();
  #leading = false;
  #closed = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Whether the tasks should run now (this agent leads). */
  get leading(): boolean {
    return this.#leading && !this.#closed;
  }

  /** Names of the tasks running now. */
  get running(): string[] {
    return [...this.#running].map((t) => t.name);
  }

  /**
   * Registers a task; it starts at once if this agent leads. Returns a
   * function that stops and removes it.
   */
  add(task: LeaderTask): () => Promise<void> {
    if (typeof task?.start !== 'function' || typeof task.stop !== 'function') {
      throw new TypeError('task must have start() and stop()');
    }
    this.#tasks.add(task);
    void this.#reconcile();
    return () => {
      this.#tasks.delete(task);
      return this.#reconcile();
    };
  }

  /** Starts (true) or stops (false) every task; resolves once the change is done. */
  setLeading(leading: boolean): Promise<void> {
    this.#leading = leading;
    return this.#reconcile();
  }

  /** Waits for pending transitions (for tests and shutdown). */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Stops every task for good. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#reconcile();
  }

  #reconcile(): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      const want = this.leading ? this.#tasks : new Set<LeaderTask>();
      for (const task of [...this.#running]) {
        if (want.has(task)) continue;
        this.#running.delete(task);
        try {
          await task.stop();
          this.#log.info({ task: task.name }, 'leader task stopped');
        } catch (err) {
          this.#log.error({ task: task.name, err: String(err) }, 'leader task failed to stop');
        }
      }
      for (const task of want) {
        if (this.#running.has(task)) continue;
        try {
          await task.start();
          this.#running.add(task);
          this.#log.info({ task: task.name }, 'leader task started');
        } catch (err) {
          this.#log.error({ task: task.name, err: String(err) }, 'leader task failed to start');
        }
      }
    });
    return this.#chain;
  }
}
