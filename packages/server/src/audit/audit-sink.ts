import { open, mkdir, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Where audit lines go: a file (appended, fsync on demand, rotated by the
 * writer) or a stream (stdout). Every call is asynchronous; nothing here runs
 * on the request path.
 */
export interface AuditSink {
  /** Opens (or reopens) the destination; returns the bytes already in it. */
  open(): Promise<number>;
  /** Appends all of `buf` (or throws, e.g. ENOSPC, having written a prefix at most). */
  write(buf: Buffer): Promise<void>;
  /** Makes everything written so far durable (fdatasync); a no-op for streams. */
  sync(): Promise<void>;
  /** Cuts the destination back to `size` bytes after a failed write (best effort; files only). */
  truncate(size: number): Promise<void>;
  /** The last complete line already in the destination, for continuing its chain; `undefined` when none. */
  lastLine(): Promise<string | undefined>;
  /** Moves the current file aside as `<path>.1`, shifting older ones, keeping at most `keep`. Files only. */
  rotate?(keep: number): Promise<void>;
  close(): Promise<void>;
}

/** Bytes read from a file's end to find its last line when the agent starts. */
const TAIL_BYTES = 256 * 1024;

/** An append-only file sink (mode 0600; its directory is created 0700 when missing). */
export class FileSink implements AuditSink {
  readonly #path: string;
  #fh: FileHandle | undefined;
  /** Set by open(): a partial last line (a crash mid-write) that was cut off. */
  droppedTailBytes = 0;

  constructor(path: string) {
    this.#path = path;
  }

  async open(): Promise<number> {
    await this.close();
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const fh = await open(this.#path, 'a+', 0o600);
    this.#fh = fh;
    const { size } = await fh.stat();
    if (size === 0) return 0;
    // A line cut short by a crash would break the chain forever: cut it off
    // (it was never acknowledged as durable) and continue after the last
    // complete line.
    const tail = await this.#tail(size);
    if (tail.endsWith('\n')) return size;
    const nl = tail.lastIndexOf('\n');
    const keep = nl === -1 ? Math.max(0, size - Buffer.byteLength(tail)) : size - Buffer.byteLength(tail.slice(nl + 1));
    await fh.truncate(keep);
    this.droppedTailBytes = size - keep;
    return keep;
  }

  async #tail(size: number): Promise<string> {
    const fh = this.#fh as FileHandle;
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8');
  }

  async lastLine(): Promise<string | undefined> {
    const fh = this.#fh;
    if (fh === undefined) return undefined;
    const { size } = await fh.stat();
    if (size === 0) return undefined;
    const tail = await this.#tail(size);
    const body = tail.endsWith('\n') ? tail.slice(0, -1) : tail;
    const line = body.slice(body.lastIndexOf('\n') + 1);
    return line === '' ? undefined : line;
  }

  async write(buf: Buffer): Promise<void> {
    const fh = this.#fh;
    if (fh === undefined) throw new Error('audit file is not open');
    let off = 0;
    // A full disk shows first as a short write, then as ENOSPC.
    while (off < buf.length) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off);
      if (bytesWritten === 0) throw Object.assign(new Error('audit file: no bytes written'), { code: 'EIO' });
      off += bytesWritten;
    }
  }

  async sync(): Promise<void> {
    await this.#fh?.datasync();
  }

  async truncate(size: number): Promise<void> {
    await this.#fh?.truncate(size);
  }

  async rotate(keep: number): Promise<void> {
    await this.close();
    for (let i = keep - 1; i >= 1; i--) await renameIfExists(`${this.#path}.${i}`, `${this.#path}.${i + 1}`);
    await renameIfExists(this.#path, `${this.#path}.1`);
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Largest write a pipe takes atomically (POSIX PIPE_BUF on Linux). */
const PIPE_BUF = 4096;

/**
 * A stream sink (stdout). The agent's own log shares stdout, so batches are
 * written in chunks of whole lines of at most PIPE_BUF bytes, which a pipe
 * never interleaves with another writer's.
 */
export class StreamSink implements AuditSink {
  readonly #stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }

  open(): Promise<number> {
    return Promise.resolve(0);
  }

  lastLine(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  async write(buf: Buffer): Promise<void> {
    let start = 0;
    while (start < buf.length) {
      let end = Math.min(buf.length, start + PIPE_BUF);
      if (end < buf.length) {
        const nl = buf.lastIndexOf(0x0a, end - 1);
        // One line longer than PIPE_BUF goes as it is.
        end = nl >= start ? nl + 1 : Math.max(end, buf.indexOf(0x0a, start) + 1 || buf.length);
      }
      const chunk = buf.subarray(start, end);
      await new Promise<void>((resolve, reject) => {
        this.#stream.write(chunk, (err?: Error | null) => (err ? reject(err) : resolve()));
      });
      start = end;
    }
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  truncate(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
