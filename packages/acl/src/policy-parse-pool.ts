import { Worker } from 'node:worker_threads';
import { PolicyError, PolicyParserBusyError } from './errors.js';
import { parsePolicy, type ParsePolicyOptions } from './parse-policy.js';
import type { ParseReply, ParseRequest } from './policy-parse-protocol.js';
import { EMPTY_POLICY, type Policy } from './policy.js';

/** Anything that parses policy rules without holding the caller's event loop. */
export interface PolicyParser {
  /**
   * Parses as {@link parsePolicy} does, with the same result and the same
   * `PolicyError`s; rejects with `PolicyParserBusyError` when it cannot take
   * more work.
   */
  parse(rules: string, opts?: ParsePolicyOptions): Promise<Policy>;
}

/**
 * A {@link PolicyParser} that parses on the calling thread (a promise around
 * {@link parsePolicy}): for tests and tools, never for an agent.
 */
export const IN_PROCESS_POLICY_PARSER: PolicyParser = {
  parse: (rules, opts) => {
    try {
      return Promise.resolve(parsePolicy(rules, opts));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  },
};

/** Options of {@link PolicyParsePool}. */
export interface PolicyParsePoolOptions {
  /**
   * Parser threads. Each loads its own copy of the GopherJS parser
   * (~150 ms, tens of MB) on its first parse.
   * @default 1
   */
  readonly size?: number;
  /**
   * Parses waiting for a thread beyond which `parse` rejects at once with
   * `PolicyParserBusyError`.
   * @default 64
   */
  readonly maxQueue?: number;
  /**
   * Longest one parse may run; the thread is then terminated (a fresh one
   * takes the next parse) and the parse rejects with
   * `PolicyParserBusyError`: rules are bounded (64 KiB, 50 levels), so a
   * parse that long means an overloaded machine, worth a retry, not bad
   * rules.
   * @default 60_000
   */
  readonly timeoutMs?: number;
  /**
   * A thread idle this long is terminated, giving its memory back; the next
   * parse starts a new one. `Infinity`: threads stay.
   * @default 30_000
   */
  readonly idleMs?: number;
  /**
   * Heap limit of each thread, in MB, so a hostile policy cannot take the
   * agent's memory.
   * @default 256
   */
  readonly maxHeapMb?: number;
  /** The worker script; the built `policy-parse-worker.js` next to this module by default. */
  readonly workerUrl?: URL;
}

interface Job {
  readonly rules: string;
  readonly strict: boolean;
  resolve(p: Policy): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker | undefined;
  job: Job | undefined;
  jobId: number;
  timer: NodeJS.Timeout | undefined;
  idle: NodeJS.Timeout | undefined;
}

/**
 * Parses policy rules on worker threads, so that the HCL parser (hashicorp/hcl
 * compiled with GopherJS: 10–150 ms for an ordinary policy, hundreds of ms
 * for a 64 KiB one) never runs on the agent's event loop. Bounded: `size`
 * threads, a queue of `maxQueue` parses, a per-parse timeout. The threads
 * run the same {@link parsePolicy}, so a policy parsed here is equal, field
 * for field, to one parsed in-process (only no longer frozen by the copy
 * between threads: it is frozen again here).
 *
 * Empty rules are answered without a thread. Threads are `unref`'d: an idle
 * pool does not keep a process alive.
 *
 * @example
 * const pool = new PolicyParsePool();
 * const policy = await pool.parse('namespace "prod-*" { policy = "read" }');
 * await pool.close();
 */
export class PolicyParsePool implements PolicyParser {
  readonly #size: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #idleMs: number;
  readonly #maxHeapMb: number;
  readonly #workerUrl: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: PolicyParsePoolOptions = {}) {
    this.#size = positive(opts.size ?? 1, 'size');
    this.#maxQueue = nonNegative(opts.maxQueue ?? 64, 'maxQueue');
    this.#timeoutMs = positive(opts.timeoutMs ?? 60_000, 'timeoutMs');
    this.#idleMs = opts.idleMs === Infinity ? Infinity : positive(opts.idleMs ?? 30_000, 'idleMs');
    this.#maxHeapMb = positive(opts.maxHeapMb ?? 256, 'maxHeapMb');
    this.#workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    for (let i = 0; i < this.#size; i++) {
      this.#slots.push({ worker: undefined, job: undefined, jobId: 0, timer: undefined, idle: undefined });
    }
  }

  /** Parses waiting for a thread. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Parser threads running now (busy or idle). */
  get threads(): number {
    return this.#slots.filter((s) => s.worker !== undefined).length;
  }

  parse(rules: string, opts?: ParsePolicyOptions): Promise<Policy> {
    if (typeof rules !== 'string') return IN_PROCESS_POLICY_PARSER.parse(rules, opts);
    if (rules === '') return Promise.resolve(EMPTY_POLICY);
    if (this.#closed) return Promise.reject(new PolicyParserBusyError('the policy parser is closed'));
    const free = this.#slots.find((s) => s.job === undefined);
    if (free === undefined && this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new PolicyParserBusyError(`the policy parser has ${this.#queue.length} policies waiting; retry later`));
    }
    return new Promise<Policy>((resolve, reject) => {
      const job: Job = { rules, strict: opts?.strict ?? true, resolve, reject };
      if (free === undefined) this.#queue.push(job);
      else this.#run(free, job);
    });
  }

  /**
   * Starts the threads and loads the parser in each, so the first real
   * parse does not pay for it. Never rejects.
   */
  async warm(): Promise<void> {
    await Promise.all(this.#slots.map(() => this.parse('agent { policy = "read" }').catch(() => undefined)));
  }

  /** Terminates every thread; waiting and running parses reject with `PolicyParserBusyError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new PolicyParserBusyError('the policy parser is closed');
    for (const job of this.#queue.splice(0)) job.reject(closed);
    await Promise.all(
      this.#slots.map(async (slot) => {
        const job = slot.job;
        this.#release(slot);
        job?.reject(closed);
        const worker = slot.worker;
        slot.worker = undefined;
        if (worker !== undefined) await worker.terminate();
      }),
    );
  }

  #run(slot: Slot, job: Job): void {
    clearTimeout(slot.idle);
    slot.idle = undefined;
    const worker = slot.worker ?? this.#spawn(slot);
    slot.job = job;
    slot.jobId = this.#nextId++;
    slot.timer = setTimeout(() => this.#timedOut(slot), this.#timeoutMs);
    slot.timer.unref();
    const req: ParseRequest = { id: slot.jobId, rules: job.rules, strict: job.strict };
    worker.postMessage(req);
  }

  #spawn(slot: Slot): Worker {
    const worker = new Worker(this.#workerUrl, { resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb } });
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      if (slot.worker !== worker || slot.job === undefined || reply.id !== slot.jobId) return;
      const job = slot.job;
      this.#release(slot);
      if (reply.ok) job.resolve(freezePolicy(reply.policy));
      else job.reject(replyError(reply.kind, reply.message));
      this.#next(slot);
    });
    // A crash (out of memory, a bug) fails the running parse; the next one
    // gets a fresh thread.
    const lost = (err: unknown): void => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const job = slot.job;
      this.#release(slot);
      job?.reject(new PolicyError('Failed to parse ACL Policy: the parser failed', { cause: err }));
      this.#next(slot);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`policy parser thread exited with code ${code}`)));
    slot.worker = worker;
    return worker;
  }

  #timedOut(slot: Slot): void {
    const worker = slot.worker;
    const job = slot.job;
    slot.worker = undefined;
    this.#release(slot);
    if (worker !== undefined) void worker.terminate();
    job?.reject(new PolicyParserBusyError(`the policy parser took longer than ${this.#timeoutMs} ms; retry later`));
    this.#next(slot);
  }

  #release(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
  }

  #next(slot: Slot): void {
    if (this.#closed) return;
    const job = this.#queue.shift();
    if (job !== undefined) {
      this.#run(slot, job);
      return;
    }
    const worker = slot.worker;
    if (worker === undefined || this.#idleMs === Infinity) return;
    slot.idle = setTimeout(() => {
      if (slot.worker !== worker || slot.job !== undefined) return;
      slot.worker = undefined;
      void worker.terminate();
    }, this.#idleMs);
    slot.idle.unref();
  }
}

function replyError(kind: 'policy' | 'type' | 'other', message: string): Error {
  if (kind === 'policy') return new PolicyError(message);
  if (kind === 'type') return new TypeError(message);
  return new Error(message);
}

// Built code runs the worker next to it; from source (the unit tests run the
// .ts files) there is no .js beside this file, so the built one is used.
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../dist/policy-parse-worker.js', here) : new URL('./policy-parse-worker.js', here);
}

// Freezes a policy that came through structured clone, walking its known
// shape (a generic recursive freeze cost ~7 ms for a 64 KiB policy).
function freezePolicy(p: Policy): Policy {
  for (const ns of p.namespaces) {
    Object.freeze(ns.capabilities);
    if (ns.variables !== null) {
      for (const path of ns.variables.paths) Object.freeze(Object.freeze(path).capabilities);
      Object.freeze(ns.variables.paths);
      Object.freeze(ns.variables);
    }
    Object.freeze(ns);
  }
  for (const rule of [...p.nodePools, ...p.hostVolumes]) Object.freeze(Object.freeze(rule).capabilities);
  for (const block of [p.operator, p.sentinel]) if (block !== null) Object.freeze(Object.freeze(block).capabilities);
  for (const block of [p.agent, p.node, p.quota, p.plugin]) if (block !== null) Object.freeze(block);
  Object.freeze(p.namespaces);
  Object.freeze(p.nodePools);
  Object.freeze(p.hostVolumes);
  return Object.freeze(p);
}

function positive(n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${field} must be a positive integer, got ${String(n)}`);
  return n;
}

function nonNegative(n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${field} must be a non-negative integer, got ${String(n)}`);
  return n;
}
