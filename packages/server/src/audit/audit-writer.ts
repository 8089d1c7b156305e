import { AuditUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { GAP_TYPE, GENESIS_PREV, chainLine, headerLine, lineHash, openJson } from './audit-chain.js';
import type { HeaderReason } from './audit-chain.js';
import { auditKeyId } from './audit-key.js';
import type { AuditSink } from './audit-sink.js';

/** How the writer behaves; see README "Audit log". */
export interface AuditWriterOptions {
  readonly sink: AuditSink;
  readonly auditKey: Buffer;
  readonly region: string;
  readonly agent: string;
  /** Requests go on unaudited when the log cannot be written (else they are refused). */
  readonly failOpen: boolean;
  /** Rotate after this many bytes (0 = never; external rotation with SIGHUP). */
  readonly rotateBytes: number;
  /** Rotated files kept (`<path>.1` … `<path>.N`). */
  readonly rotateMaxFiles: number;
  /** Lines waiting to be written before new requests wait (back-pressure). */
  readonly queueLines: number;
  /** Time between attempts to write again after a failure. @default 1000 */
  readonly retryMs?: number;
  readonly log: Logger;
  /** Called with each failure and recovery (metrics). */
  readonly onStatus?: (failure: string | undefined) => void;
}

/** The writer's lifecycle. */
export type AuditWriterStatus = 'new' | 'open' | 'closed';

/**
 * Longest a line nobody waits for (an authorize check's) sits in memory
 * before its write starts: the window in which a crash of the agent process
 * loses it, on top of the page cache a power cut loses.
 */
const COALESCE_MS = 5;

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Batch {
  readonly buf: Buffer;
  readonly waiters: Waiter[];
  readonly durable: boolean;
  readonly lines: number;
}




/**
 * The audit log writer: an in-memory queue drained by one asynchronous loop
 * that chains lines (seq, prev), writes them in batches, and rotates.
 *
 * Request paths only call `append` (a push onto an array) or
 * `appendDurable` (the same plus a promise): no file system call, no hashing
 * and no fsync happens on a request path. A batch is fsynced (fdatasync)
 * only when it carries a durable line, so many writes share one fsync, and
 * authorize lines are written (to the page cache) within a few milliseconds
 * but fsynced only with the next durable line or rotation.
 *
 * When a write fails, the batch is kept (already chained) and retried every
 * `retryMs`; `failure` says why until it succeeds. Durable appends waiting on
 * the failed batch reject at once. The queue is bounded: `mustWait()` turns
 * true at `queueLines`, and callers wait with `whenRoom()`; with `failOpen`
 * and a failed log, lines beyond the bound are dropped, counted, and an
 * `audit-gap` line says how many once writing works again.
 */
export class AuditWriter {
  readonly #o: AuditWriterOptions;
  readonly #keyId: string;
  #status: AuditWriterStatus = 'new';
  #queue: string[] = [];
  #waiters: (Waiter | undefined)[] = [];
  #durableQueued = false;
  #pending: Batch | undefined;
  #busy = false;
  /** A pump is scheduled: `timer` (coalescing lines) or `immediate`. */
  #scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #scheduledUrgent = false;
  #seq = 1;
  #prev = GENESIS_PREV;
  #size = 0;
  #failure: string | undefined;
  #retry: NodeJS.Timeout | undefined;
  #reopen = false;
  #dropped = 0;
  #droppedTotal = 0;
  /** The batch buffer, reused from batch to batch (one write is in flight at a time). */
  #buf = Buffer.allocUnsafe(256 * 1024);
  #roomWaiters: (() => void)[] = [];
  #idle: (() => void)[] = [];

  constructor(opts: AuditWriterOptions) {
    this.#o = opts;
    this.#keyId = auditKeyId(opts.auditKey);
  }

  get status(): AuditWriterStatus {
    return this.#status;
  }

  /** Why the log cannot be written now; `undefined` while it can. */
  get failure(): string | undefined {
    return this.#failure;
  }

  get failOpen(): boolean {
    return this.#o.failOpen;
  }

  /** Lines dropped since the agent started (fail-open with a failed log and a full queue only). */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** Lines waiting to be written. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Opens the sink and writes a header. An existing file's chain is
   * continued from its last line; a partial last line (a crash) is cut off.
   */
  async open(): Promise<void> {
    if (this.#status !== 'new') throw new Error(`audit writer is ${this.#status}`);
    this.#size = await this.#o.sink.open();
    const last = await this.#o.sink.lastLine();
    if (last !== undefined) this.#continueFrom(last);
    const dropped = (this.#o.sink as { droppedTailBytes?: number }).droppedTailBytes ?? 0;
    if (dropped > 0) this.#o.log.warn({ bytes: dropped }, 'audit log: cut off a partial last line left by a crash');
    this.#status = 'open';
    this.#pending = this.#headerBatch('start');
    // The header must be on disk before the agent serves: fail start otherwise.
    await this.#pump();
    if (this.#failure !== undefined) throw new AuditUnavailableError(`audit log cannot be written: ${this.#failure}`);
  }

  #continueFrom(last: string): void {
    this.#prev = lineHash(last);
    const m = /"seq":(\d{1,15}),"prev":"[0-9a-f]{64}"(?:,"sig":"[^"]*")?\}$/.exec(last);
    if (m !== null) this.#seq = Number(m[1]) + 1;
  }

  /** Whether a line can be queued now without exceeding the bound. */
  hasRoom(): boolean {
    return this.#queue.length < this.#o.queueLines;
  }

  /**
   * Whether a request must wait for room before queuing its line: the queue
   * is full and the writer is working through it. Never while the log is
   * failing: waiting could last forever; lines are dropped instead (fail-open)
   * or requests refused (fail-closed).
   */
  mustWait(): boolean {
    return !this.hasRoom() && this.#failure === undefined && this.#status === 'open';
  }

  /** Resolves once a request need not wait any more (see `mustWait`). */
  whenRoom(): Promise<void> {
    if (!this.mustWait()) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /**
   * Queues a line — an open JSON object (`{…` without the closing brace, see
   * `chainLine`), to which the writer adds seq and prev — to be written soon. Not
   * bounded here: callers check `mustWait()` first (back-pressure); with a
   * failed log and `failOpen`, a line beyond the bound is dropped.
   */
  append(body: string): void {
    if (this.#status === 'closed') return;
    if (!this.hasRoom() && this.#failure !== undefined) {
      this.#dropped++;
      this.#droppedTotal++;
      return;
    }
    this.#queue.push(body);
    this.#waiters.push(undefined);
    this.#kick(this.#queue.length >= this.#o.queueLines >> 1);
  }

  /**
   * Queues a line and resolves once it is written and fsynced (streams: handed
   * to the stream). Rejects with AuditUnavailableError when it cannot be written.
   */
  appendDurable(body: string): Promise<void> {
    if (this.#status === 'closed') return Promise.reject(new AuditUnavailableError('audit log is closed'));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push(body);
      this.#waiters.push({ resolve, reject });
      this.#durableQueued = true;
      this.#kick(true);
    });
  }

  /** Reopens the path (SIGHUP after external rotation) and writes a header. */
  reopen(): void {
    if (this.#status !== 'open') return;
    this.#reopen = true;
    this.#kick(true);
  }

  /** Resolves when everything queued so far has been handled (written, or failed). */
  async flush(): Promise<void> {
    if (!this.#busy && this.#queue.length === 0 && this.#pending === undefined) return;
    // Failed and waiting to retry: what is queued has been handled (it failed).
    if (this.#retry !== undefined || this.#status !== 'open') return;
    const idle = new Promise<void>((resolve) => this.#idle.push(resolve));
    this.#kick(true);
    await idle;
  }

  /** Writes what is queued (one attempt), then closes the sink. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    if (this.#status === 'open' && this.#failure === undefined) await this.flush();
    this.#unschedule();
    this.#status = 'closed';
    for (const w of this.#waiters) w?.reject(new AuditUnavailableError('audit log is closed'));
    this.#pending?.waiters.forEach((w) => w.reject(new AuditUnavailableError('audit log is closed')));
    this.#queue = [];
    this.#waiters = [];
    this.#pending = undefined;
    this.#wakeRoom();
    this.#wakeIdle();
    await this.#o.sink.close();
  }

  /**
   * Schedules the pump. Lines that nobody waits for are coalesced for up to
   * COALESCE_MS, so that one write (one thread-pool round trip) carries the
   * lines of many requests; a durable line, a flush, a reopen or a half-full
   * queue schedule it for the next turn of the event loop. A running pump
   * picks up whatever was queued meanwhile by itself.
   */
  #kick(urgent = false): void {
    if (this.#busy || this.#retry !== undefined || this.#status !== 'open') return;
    if (this.#scheduled !== undefined) {
      if (!urgent || this.#scheduledUrgent) return;
      this.#unschedule();
    }
    const run = (): void => {
      this.#scheduled = undefined;
      void this.#pump();
    };
    this.#scheduledUrgent = urgent;
    this.#scheduled = urgent ? setImmediate(run) : setTimeout(run, COALESCE_MS);
  }

  #unschedule(): void {
    const s = this.#scheduled;
    if (s === undefined) return;
    this.#scheduled = undefined;
    if (this.#scheduledUrgent) clearImmediate(s as NodeJS.Immediate);
    else clearTimeout(s as NodeJS.Timeout);
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (;;) {
        if (this.#status !== 'open') return;
        if (this.#pending === undefined) {
          if (this.#reopen) {
            this.#reopen = false;
            this.#size = await this.#o.sink.open();
            this.#pending = this.#headerBatch('reopen');
          } else if (this.#queue.length > 0) {
            this.#pending = this.#takeBatch();
          } else {
            return;
          }
        }
        const batch = this.#pending;
        try {
          if (this.#failure !== undefined) {
            // Retrying: reopen (the file may be gone, replaced or closed by a
            // failed rotation) and cut off whatever part of the failed batch
            // reached it, so no line is written twice.
            const size = await this.#o.sink.open();
            if (size > this.#size) await this.#o.sink.truncate(this.#size);
            else this.#size = size;
          }
          await this.#o.sink.write(batch.buf);
          if (batch.durable) await this.#o.sink.sync();
        } catch (err) {
          this.#failed(err, batch);
          return;
        }
        this.#size += batch.buf.length;
        this.#pending = undefined;
        for (const w of batch.waiters) w.resolve();
        if (this.#failure !== undefined) {
          this.#o.log.warn({ previous: this.#failure }, 'audit log writable again');
          this.#failure = undefined;
          this.#o.onStatus?.(undefined);
        }
        this.#wakeRoom();
        if (this.#o.rotateBytes > 0 && this.#size >= this.#o.rotateBytes && this.#o.sink.rotate !== undefined) {
          try {
            await this.#o.sink.sync();
            await this.#o.sink.rotate(this.#o.rotateMaxFiles);
            this.#size = await this.#o.sink.open();
          } catch (err) {
            this.#pending = this.#headerBatch('rotate');
            this.#failed(err, this.#pending);
            return;
          }
          this.#pending = this.#headerBatch('rotate');
        }
      }
    } catch (err) {
      // A failed reopen: retried like a failed write.
      this.#failed(err, this.#pending ?? this.#headerBatch('reopen'));
    } finally {
      this.#busy = false;
      if (this.#retry === undefined && this.#queue.length === 0 && this.#pending === undefined) this.#wakeIdle();
      else if (this.#retry === undefined && this.#status === 'open') this.#kick(this.#durableQueued || this.#reopen || this.#idle.length > 0);
    }
  }

  #failed(err: unknown, batch: Batch): void {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
    if (this.#failure === undefined) {
      this.#o.log.error({ err, failOpen: this.#o.failOpen }, 'audit log write failed');
      this.#failure = reason;
      this.#o.onStatus?.(reason);
    }
    this.#failure = reason;
    // Keep the chained batch for the retry (a copy: the batch buffer is
    // reused); its durable waiters answer now.
    for (const w of batch.waiters) w.reject(new AuditUnavailableError(`audit log cannot be written: ${reason}`));
    this.#pending = { buf: Buffer.from(batch.buf), waiters: [], durable: batch.durable, lines: batch.lines };
    this.#wakeRoom();
    this.#wakeIdle();
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#pump();
    }, this.#o.retryMs ?? 1000);
    this.#retry.unref();
  }

  #takeBatch(): Batch {
    const bodies = this.#queue;
    const waiters = this.#waiters;
    const durable = this.#durableQueued;
    this.#queue = [];
    this.#waiters = [];
    this.#durableQueued = false;
    if (this.#dropped > 0) {
      bodies.unshift(openJson({ type: GAP_TYPE, time: new Date().toISOString(), dropped: this.#dropped }));
      this.#dropped = 0;
    }
    // Each line is encoded once, straight into the batch buffer, and hashed
    // there: no joined string, no second UTF-8 conversion for the hash.
    let cap = 0;
    for (const body of bodies) cap += body.length * 3 + 160;
    if (this.#buf.length < cap) this.#buf = Buffer.allocUnsafe(Math.max(cap, this.#buf.length * 2));
    const buf = this.#buf;
    let off = 0;
    for (const body of bodies) {
      const n = buf.write(chainLine(body, this.#seq++, this.#prev), off, 'utf8');
      this.#prev = lineHash(buf.subarray(off, off + n));
      off += n;
      buf[off++] = 0x0a;
    }
    const real: Waiter[] = [];
    for (const w of waiters) if (w !== undefined) real.push(w);
    return { buf: buf.subarray(0, off), waiters: real, durable, lines: bodies.length };
  }

  #headerBatch(reason: HeaderReason): Batch {
    const line = headerLine(
      { time: new Date().toISOString(), region: this.#o.region, agent: this.#o.agent, reason, key_id: this.#keyId },
      this.#seq++,
      this.#prev,
      this.#o.auditKey,
    );
    this.#prev = lineHash(line);
    return { buf: Buffer.from(line + '\n', 'utf8'), waiters: [], durable: true, lines: 1 };
  }

  #wakeRoom(): void {
    if (this.mustWait()) return;
    const ws = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const w of ws) w();
  }

  #wakeIdle(): void {
    const ws = this.#idle;
    this.#idle = [];
    for (const w of ws) w();
  }
}
