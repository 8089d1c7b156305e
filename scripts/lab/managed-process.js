// @ts-check
// A child process of the lab: output to a log file, readiness from its output
// or an HTTP probe, and a stop that always waits for the exit.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { LabError } from './errors.js';

/** How long a child gets to exit after SIGTERM before it is SIGKILLed. */
export const STOP_GRACE_MS = 10_000;

/**
 * @typedef {'running' | 'stopping' | 'exited'} ProcessStatus
 */

export class ManagedProcess {
  /** @type {ProcessStatus} */
  #status = 'running';
  /** @type {import('node:child_process').ChildProcess} */
  #proc;
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  #exited;
  /** @type {Array<(line: string) => void>} */
  #lineListeners = [];
  #tail = '';

  /**
   * Starts `cmd` in its own process group, so that a Ctrl-C in the terminal
   * reaches only the lab, which then stops its children in order (followers
   * before the authoritative region) instead of all at once.
   *
   * @param {{ name: string, cmd: string, args: readonly string[], logFile: string, cwd?: string, env?: NodeJS.ProcessEnv }} o
   */
  constructor(o) {
    this.name = o.name;
    this.logFile = o.logFile;
    const log = createWriteStream(o.logFile, { flags: 'a' });
    this.#proc = spawn(o.cmd, [...o.args], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    /** The child's process id (undefined if it could not be spawned). */
    this.pid = this.#proc.pid;
    let pending = '';
    /** @param {Buffer} chunk */
    const onOut = (chunk) => {
      log.write(chunk);
      const s = chunk.toString();
      this.#tail = (this.#tail + s).slice(-4000);
      pending += s;
      let nl;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        for (const l of this.#lineListeners) l(line);
      }
    };
    this.#proc.stdout?.on('data', onOut);
    this.#proc.stderr?.on('data', onOut);
    this.#exited = new Promise((resolve) => {
      // 'close' (not 'exit') so the last output is in the log file first.
      this.#proc.once('close', (code, signal) => {
        this.#status = 'exited';
        log.end();
        resolve({ code, signal });
      });
      this.#proc.once('error', (err) => {
        this.#status = 'exited';
        this.#tail += `\n${err.message}`;
        log.end();
        resolve({ code: null, signal: null });
      });
    });
  }

  /** @returns {ProcessStatus} */
  get status() {
    return this.#status;
  }

  /** Resolves when the child has exited, with its code or signal. */
  get exited() {
    return this.#exited;
  }

  /** The last few KB of the child's output, for error messages. */
  get tail() {
    return this.#tail;
  }

  /**
   * Resolves with the first output line that `match` accepts (a JSON line's
   * parsed object for `json: true`); rejects if the child exits first or
   * after `timeoutMs`.
   *
   * @template T
   * @param {(line: any) => T | undefined | false} match
   * @param {{ timeoutMs?: number, json?: boolean }} [opts]
   * @returns {Promise<T>}
   */
  waitForLine(match, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      /** @param {string} line */
      const listener = (line) => {
        let v = line;
        if (opts.json) {
          try {
            v = JSON.parse(line);
          } catch {
            return;
          }
        }
        const r = match(v);
        if (r !== undefined && r !== false) {
          done();
          resolve(r);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new LabError('TOLLGATE_LAB_START_TIMEOUT', `${this.name} did not get ready within ${timeoutMs} ms:\n${this.#tail}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#lineListeners = this.#lineListeners.filter((l) => l !== listener);
      };
      this.#lineListeners.push(listener);
      void this.#exited.then(({ code, signal }) => {
        done();
        reject(new LabError('TOLLGATE_LAB_CHILD_EXITED', `${this.name} exited (${signal ?? code}) before it was ready:\n${this.#tail}`));
      });
    });
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone.
   * Safe to call more than once and after the child has exited.
   *
   * @param {number} [graceMs]
   */
  async stop(graceMs = STOP_GRACE_MS) {
    if (this.#status === 'exited') return this.#exited;
    if (this.#status === 'running') {
      this.#status = 'stopping';
      this.#signal('SIGTERM');
    }
    const timer = setTimeout(() => this.#signal('SIGKILL'), graceMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** @param {NodeJS.Signals} sig */
  #signal(sig) {
    try {
      this.#proc.kill(sig);
    } catch {
      // already gone
    }
  }
}
