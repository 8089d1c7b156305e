// The bench's cleanup registry: every child process a suite starts (agents,
// baselines, wrk, etcd) and every temp dir it makes is registered here, and
// whatever is still registered is stopped and removed when the run ends —
// normally, on an exception, or on SIGINT/SIGTERM (then the run exits with
// 130/143). Suites still stop and remove their own as they go; this is the
// net under them.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
/** @type {Set<string>} */
const dirs = new Set();
/** @type {Promise<void> | undefined} set once the registry is closing: nothing new may start */
let closing;

/** How long children get to exit on SIGTERM before SIGKILL. */
const GRACE_MS = 3000;

/** Started (a failed spawn has no pid) and not exited yet. */
const running = (proc) => proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null;

/**
 * Registers a child process (forgotten once it exits). While the registry
 * closes, a process that starts anyway is killed at once.
 */
export function track(proc) {
  if (closing !== undefined) {
    proc.kill('SIGKILL');
    return proc;
  }
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** Registers a directory to remove when the run ends (e.g. one another module made). */
export function trackDir(dir) {
  dirs.add(dir);
  return dir;
}

/** A fresh registered temp dir `<tmpdir>/<prefix>XXXXXX`. */
export async function tempDir(prefix) {
  return trackDir(await mkdtemp(join(tmpdir(), prefix)));
}

/** Removes a registered dir now (and forgets it). */
export async function removeDir(dir) {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  dirs.delete(dir);
}

/** Forgets a dir removed by its owner (e.g. etcd's, by `close()`). */
export function forgetDir(dir) {
  dirs.delete(dir);
}

/**
 * The live direct children of this process, from /proc: a net for a child
 * caught between its spawn and its registration (Linux; empty elsewhere).
 */
function unregisteredChildren() {
  const pids = [];
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return pids;
  }
  const known = new Set([...children].map((c) => c.pid));
  for (const name of names) {
    if (!/^\d+$/.test(name) || known.has(Number(name))) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z') pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

const kill = (pid, signal) => {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
};

/**
 * Stops every registered child (SIGTERM, SIGKILL after a grace period) and
 * removes every registered dir. Idempotent: later calls wait for the first.
 */
export function closeAll({ graceMs = GRACE_MS } = {}) {
  closing ??= (async () => {
    const procs = [...children];
    const strays = unregisteredChildren();
    const exited = Promise.all(procs.filter(running).map((p) => new Promise((r) => p.once('exit', r))));
    for (const p of procs) if (running(p)) p.kill('SIGTERM');
    for (const pid of strays) kill(pid, 'SIGTERM');
    let timer;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const p of procs) if (running(p)) p.kill('SIGKILL');
    for (const pid of strays) kill(pid, 'SIGKILL');
    // SIGKILL cannot be refused: the exits follow at once.
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
    await Promise.all([...dirs].map((d) => removeDir(d).catch(() => undefined)));
  })();
  return closing;
}

/** The last resort when the process exits with things still registered: no waiting possible. */
function closeNow() {
  for (const p of children) if (running(p)) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Installs the run's exits: on SIGINT/SIGTERM (once; repeats only say it
 * is stopping — one Ctrl-C under npm arrives twice), close everything and
 * exit 130/143; at any exit, kill and remove what is still registered.
 * `log` writes the progress lines.
 */
export function installCleanup(log = (line) => process.stderr.write(`${line}\n`)) {
  process.once('exit', closeNow);
  let signalled = false;
  const onSignal = (signal) => {
    if (signalled) {
      log(`bench: ${signal}: already stopping`);
      return;
    }
    signalled = true;
    log(`bench: ${signal}: stopping ${children.size} child process(es), removing ${dirs.size} temp dir(s)`);
    void closeAll().finally(() => process.exit(128 + constants.signals[signal]));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return onSignal;
}

/** True once the registry is closing (a signal, or the end of the run). */
export function isClosing() {
  return closing !== undefined;
}
