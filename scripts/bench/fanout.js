// Fan-out cost: the authoritative agent's CPU per global write at a fixed
// write rate, with 0 follower regions (the baseline, same run) and then 1, 5
// and 20. The followers are real agents (`tollgate agent` with a minimal
// config), each applying every batch to its own LevelDB; they are added to
// the same authoritative agent step by step, so each row is measured on the
// same process as its baseline.
//
// CPU is the authoritative process's own user + system time, read from
// /proc/<pid>/stat around a window of steady global creates; the window
// ends once every follower has applied the last write, so the fan-out work
// of every write is inside it.
import { readFileSync } from 'node:fs';
import { raw, startRegions, steady, waitApplied } from './replication.js';

const CLK_TCK = 100;

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Resident set size of a process (MiB). */
function rssMiB(pid) {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/**
 * One build's rows: starts `global`, measures a window with no follower,
 * then adds followers up to each count in `counts` and measures again.
 * Resolves `{ [followers]: { cpuPerWriteUs, writes, achieved } }` and the
 * followers' RSS.
 */
async function fanoutRound({ bin, counts, rate, seconds, label }) {
  const { main, mgmt, startFollower } = await startRegions([], { bin });
  const followers = [];
  const rows = {};
  try {
    const create = () =>
      raw(main.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Type: 'client', Policies: ['bench'], Global: true } });
    // Warm-up, not measured: JIT and keep-alive pools of the agent and of this client.
    await steady(rate, 2, create);
    for (const n of [0, ...counts]) {
      // Add followers (two at a time: each start costs a core for a moment) and let them catch up.
      while (followers.length < n) {
        const group = Array.from({ length: Math.min(2, n - followers.length) }, (_, i) => `r${followers.length + i + 1}`);
        const started = await Promise.allSettled(group.map((r) => startFollower(r)));
        // Keep every follower that did start, so that `finally` stops it.
        for (const s of started) if (s.status === 'fulfilled') followers.push(s.value);
        const failed = started.find((s) => s.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      }
      const before = JSON.parse((await raw(main.addr, 'GET', '/v1/agent/health')).text).index;
      await Promise.all(followers.map((f) => waitApplied(f.addr, mgmt, before)));
      const cpu0 = cpuSeconds(main.proc.pid);
      const t0 = performance.now();
      const { results, elapsedS } = await steady(rate, seconds, create);
      const failed = results.filter((r) => r.status !== 200).length;
      if (failed > 0) throw new Error(`fanout bench: ${failed} creates failed`);
      const last = Math.max(...results.map((r) => r.index));
      await Promise.all(followers.map((f) => waitApplied(f.addr, mgmt, last)));
      const windowS = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(main.proc.pid) - cpu0;
      rows[n] = { cpuPerWriteUs: (cpu * 1e6) / results.length, cpuShare: cpu / windowS, writes: results.length, achieved: results.length / elapsedS };
      console.log(
        `  ${label}: ${n} followers: ${results.length} global creates at ${rows[n].achieved.toFixed(0)}/s achieved; ` +
          `authoritative CPU ${cpu.toFixed(2)} s in a ${windowS.toFixed(1)} s window (${(rows[n].cpuShare * 100).toFixed(0)}% of a core), ` +
          `${rows[n].cpuPerWriteUs.toFixed(0)} µs per write; authoritative RSS ${rssMiB(main.proc.pid).toFixed(0)} MiB`,
      );
    }
    const rss = followers.map((f) => rssMiB(f.proc.pid));
    if (rss.length > 0) {
      console.log(
        `  ${label}: follower RSS ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} MiB each, ${rss.reduce((a, b) => a + b, 0).toFixed(0)} MiB for ${rss.length}`,
      );
    }
    return rows;
  } finally {
    await Promise.all([main, ...followers].map((a) => a.stop()));
  }
}

/**
 * `npm run bench -- fanout`, CPU part. `bin`: this tree's CLI; `baseBin`
 * (optional): another build's (e.g. main's), measured the same way in the
 * same run for a before/after row per follower count.
 */
export async function benchFanout({ rate, seconds, counts = [1, 5, 20], bin, baseBin, report }) {
  const ours = await fanoutRound({ bin, counts, rate, seconds, label: 'this build' });
  const base = baseBin === undefined ? undefined : await fanoutRound({ bin: baseBin, counts, rate, seconds, label: `base build (${baseBin})` });
  for (const n of counts) {
    const s = n === 1 ? '' : 's';
    const added = (r) => ((r[n].cpuPerWriteUs - r[0].cpuPerWriteUs) / n).toFixed(1);
    report(`authoritative CPU per global write at ${rate} writes/s, ${n} follower${s} (baseline: no followers)`, ours[n].cpuPerWriteUs, ours[0].cpuPerWriteUs, 'µs', 'low; per-follower cost ≪ a write');
    console.log(`  added per follower: ${added(ours)} µs per write${base === undefined ? '' : ` (base build: ${added(base)} µs)`}`);
    if (base !== undefined) {
      report(`authoritative CPU per global write, ${n} follower${s}: this build (baseline: base build, same run)`, ours[n].cpuPerWriteUs, base[n].cpuPerWriteUs, 'µs', '< 1 (encode once)');
    }
  }
}
