import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, until } from './lab-kit.js';
import type { Collected } from './lab-kit.js';
import { REPO } from './testkit.js';

// `npm run bench` leaves nothing behind however it ends: the agents it
// started stop and its temp dirs go, on an interrupt (exit 130/143) and
// when a suite fails (exit 1). Each run gets a TMPDIR of its own, so "its
// processes" are the ones whose command line names that dir, and "nothing
// left" is that dir being empty.

const dirs: string[] = [];
const runs: Collected[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  for (const d of dirs.splice(0)) {
    for (const pid of processesUnder(d)) process.kill(pid, 'SIGKILL');
    await rm(d, { recursive: true, force: true });
  }
});

/** True while `pid` runs (a zombie has stopped running). */
function live(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Running processes whose command line mentions `dir`. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(dir) && live(Number(name))) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The agents among them (`… tollgate.js agent -config=<dir>/…`). */
const agentsUnder = (dir: string) =>
  processesUnder(dir).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('agent'));

/** `node scripts/bench.js <suite>` with its own TMPDIR and the given BENCH_* settings. */
async function bench(suite: string, env: Record<string, string>): Promise<{ run: Collected; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-bench-cleanup-'));
  dirs.push(dir);
  // Not as an npm script: agents started under npm stop by themselves when
  // their parent goes (npm-parent-watch), which would hide a bench that
  // does not stop them.
  const { npm_lifecycle_event: _, ...rest } = process.env;
  const run = collect(process.execPath, [join(REPO, 'scripts/bench.js'), suite], { cwd: REPO, env: { ...rest, TMPDIR: dir, ...env } });
  runs.push(run);
  return { run, dir };
}

describe('npm run bench cleans up', () => {
  it('on SIGTERM: stops the agents it started, removes its temp dirs and exits 143', async () => {
    // policies: an authoritative agent and a follower; rounds enough that it is still running when signalled.
    const { run, dir } = await bench('policies', { BENCH_POLICY_ROUNDS: '1000' });
    await until(run, () => agentsUnder(dir).length === 2, 25_000);
    const agents = agentsUnder(dir);
    expect(readdirSync(dir)).not.toEqual([]);
    run.proc.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.stdout()).toContain('== policies');
    expect(run.stderr()).toContain('bench: SIGTERM: stopping');
    // Gone before the bench exited: it waits for its children.
    expect(agents.filter(live)).toEqual([]);
    expect(processesUnder(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  }, 45_000);

  it('when a suite fails: stops what it started, removes its temp dirs and exits 1', async () => {
    // No agent gets ready within 1 ms: startAgent throws with the agent process just spawned.
    const { run, dir } = await bench('lists', { BENCH_LIST_TOKENS: '10', BENCH_READY_TIMEOUT_MS: '1' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('did not get ready');
    expect(processesUnder(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  }, 30_000);
});
