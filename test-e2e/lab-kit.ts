/**
 * Helpers for tests that run the loopback lab or agents as a user would:
 * free port blocks, process liveness, and the processes a command started.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** True when `port` on 127.0.0.1 can be listened on now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Three HTTP ports whose RPC neighbours (+1) are free too, plus one for Prometheus. */
export async function freeLabPorts(): Promise<{ http: number[]; prometheus: number }> {
  const chosen: number[] = [];
  while (chosen.length < 4) {
    const p = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    if (chosen.some((c) => Math.abs(c - p) < 2)) continue;
    if ((await isPortFree(p)) && (await isPortFree(p + 1))) chosen.push(p);
  }
  return { http: chosen.slice(0, 3), prometheus: chosen[3]! };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every live descendant of `pid` (children, grandchildren, …), from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** A child process with its output collected. */
export interface Collected {
  readonly proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string | null>;
}

/** Spawns a command with stdout and stderr collected. */
export function collect(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Collected {
  const proc = spawn(cmd, [...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string | null>((resolve) => proc.once('close', (code, sig) => resolve(code ?? sig)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once `ready()` holds; rejects if the process exits first or time runs out. */
export async function until(run: Collected, ready: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void run.exited.then(() => (done = true));
  while (!ready()) {
    if (done) throw new Error(`exited before it was ready:\n${run.stderr()}\n${run.stdout()}`);
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms:\n${run.stderr()}\n${run.stdout()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
