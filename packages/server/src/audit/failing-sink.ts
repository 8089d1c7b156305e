import type { AuditSink } from './audit-sink.js';

/**
 * A sink that fails on demand, for tests: while `failing`, a write first
 * writes `partialFraction` of the batch (a full disk's short write), then
 * throws an error with `code`.
 * @internal
 */
export class FailingSink implements AuditSink {
  failing = false;

  constructor(
    readonly inner: AuditSink,
    readonly fault: { readonly code: string; readonly message: string; readonly partialFraction: number },
  ) {}

  open(): Promise<number> {
    return this.inner.open();
  }

  lastLine(): Promise<string | undefined> {
    return this.inner.lastLine();
  }

  async write(buf: Buffer): Promise<void> {
    if (!this.failing) return this.inner.write(buf);
    const partial = Math.floor(buf.length * this.fault.partialFraction);
    if (partial > 0) await this.inner.write(buf.subarray(0, partial));
    throw Object.assign(new Error(this.fault.message), { code: this.fault.code });
  }

  sync(): Promise<void> {
    return this.inner.sync();
  }

  truncate(size: number): Promise<void> {
    return this.inner.truncate(size);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
