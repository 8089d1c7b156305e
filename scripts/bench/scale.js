// Start-up cost against the number of tokens: a store of N tokens is seeded
// straight into LevelDB with the state package's own record encoding (the
// same sealed, MAC'd records and index entries a real agent writes; no
// HTTP), then a real agent process is started on it and timed until it
// serves (its HTTP port answers and a seeded token resolves), with its RSS.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { Level } from 'level';
import { removeDir, tempDir } from './cleanup.js';
import { BIN, REPO, call, rssOf, startAgent } from './common.js';

const state = (m) => import(join(REPO, 'packages/state/dist', m));
/** The agent to time; another build (e.g. of the main branch) for a before/after comparison. */
const AGENT_BIN = process.env.BENCH_SCALE_BIN ?? BIN;

/** Feed entries a store keeps by default (`changeFeedHorizon`). */
const FEED_HORIZON = 100_000;
/** Tokens per chunk a seed worker makes (one LevelDB batch). */
const SEED_CHUNK = 5_000;

/**
 * Writes a store of `n` client tokens (naming policy `bench`; every tenth
 * expiring in a year, every other one global) into `dir`, sealed under `key`,
 * with the change-feed tail a store that created them would keep. The
 * records are made in worker threads (one per core, `seed-worker.js`) and
 * written here in batches. Returns one seeded token's secret and the seconds
 * it took.
 */
export async function seedStore(dir, key, n) {
  const started = performance.now();
  const { SecretBox } = await state('secret-box.js');
  const L = await state('level-layout.js');
  const { makePolicy } = await state('object-shape.js');
  const box = new SecretBox(key);
  await mkdir(dir, { recursive: true });
  // Values go in as the JSON text the workers made: what the json encoding writes.
  const db = new Level(dir, { valueEncoding: 'utf8' });
  await db.open();
  const policy = makePolicy({ Name: 'bench', Description: '', Rules: 'namespace "default" { policy = "read" }', Hash: 'YmVuY2g=', CreateIndex: 1, ModifyIndex: 1 });
  const json = (v) => JSON.stringify(v);
  await db.batch([
    { type: 'put', key: L.META.format, value: json(L.FORMAT_VERSION) },
    { type: 'put', key: L.META.keyCheck, value: json(box.seal(L.KEY_CHECK_PLAINTEXT, L.KEY_CHECK_CONTEXT)) },
    { type: 'put', key: L.policyKey('bench'), value: json(L.signPolicy(policy, box)) },
  ]);
  const workers = Math.max(1, Math.min(availableParallelism(), Math.ceil(n / SEED_CHUNK)));
  const share = Math.ceil(n / workers);
  const common = {
    repo: REPO,
    key: key.toString('base64'),
    n,
    chunk: SEED_CHUNK,
    created: new Date().toISOString(),
    expires: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    feedHorizon: FEED_HORIZON,
    probeAt: Math.floor(n / 2),
  };
  let probe;
  const pool = Array.from({ length: workers }, (_, w) => new Worker(new URL('./seed-worker.js', import.meta.url), {
    workerData: { ...common, from: w * share, to: Math.min(n, (w + 1) * share) },
  }));
  try {
    // Each worker makes its next chunk while this thread writes the last one.
    const nextChunk = (worker) =>
      new Promise((resolve, reject) => {
        const fail = (err) => reject(err);
        worker.once('error', fail);
        worker.once('message', (m) => {
          worker.off('error', fail);
          resolve(m);
        });
        worker.postMessage('more');
      });
    const work = pool.map((w, i) => (i * share < n ? nextChunk(w).then((m) => ({ w, m })) : undefined)).filter(Boolean);
    const live = new Set(work);
    while (live.size > 0) {
      const p = await Promise.race([...live].map((x) => x.then((r) => ({ r, x }))));
      live.delete(p.x);
      const { w, m } = p.r;
      if (m.probe !== undefined) probe = m.probe;
      const batch = db.batch();
      for (let i = 0; i < m.entries.length; i += 2) batch.put(m.entries[i], m.entries[i + 1]);
      if (!m.done) live.add(nextChunk(w).then((mm) => ({ w, m: mm })));
      await batch.write();
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  const last = n + 1;
  await db.batch(
    [
      [L.META.index, last],
      [L.META.table('acl_token'), last],
      [L.META.table('acl_policy'), 1],
      [L.META.feedFloor, Math.max(0, last - FEED_HORIZON)],
    ].map(([k, v]) => ({ type: 'put', key: k, value: json(v) })),
    { sync: true },
  );
  await db.close();
  return { probe, seconds: (performance.now() - started) / 1000 };
}

/**
 * A seeded store of `n` tokens: with `BENCH_SCALE_STORE=<dir>`, kept in
 * `<dir>/<n>` (with its key and probe secret in `seed.json`) and reused by
 * later runs; else seeded in a temporary directory, removed after.
 */
async function seededStore(n) {
  const keep = process.env.BENCH_SCALE_STORE;
  const dataDir = keep === undefined ? await tempDir('tollgate-bench-scale-') : join(keep, String(n));
  const done = keep === undefined ? async () => removeDir(dataDir) : async () => {};
  if (keep !== undefined) {
    const saved = await readFile(join(dataDir, 'seed.json'), 'utf8').then(JSON.parse, () => undefined);
    if (saved !== undefined) {
      console.log(`  reusing the store of ${n} tokens seeded in ${dataDir}`);
      return { dataDir, key: Buffer.from(saved.key, 'base64'), probe: saved.probe, done };
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  const key = randomBytes(32);
  const seeded = await seedStore(join(dataDir, 'server', 'state'), key, n);
  console.log(`  seeded ${n} tokens in ${seeded.seconds.toFixed(1)} s`);
  if (keep !== undefined) await writeFile(join(dataDir, 'seed.json'), JSON.stringify({ key: key.toString('base64'), probe: seeded.probe }));
  return { dataDir, key, probe: seeded.probe, done };
}

/** The agent time-to-serving is measured on; no ready timeout (a large store on an old build may take minutes). */
const scaleAgent = (opts) => startAgent({ bin: AGENT_BIN, readyTimeoutMs: 3_600_000, ...opts });

/**
 * Starts an agent on `dataDir`; resolves with the seconds from spawn to a
 * seeded secret resolving over HTTP, the RSS then and once the background
 * integrity sweep is done (and its seconds).
 */
async function timeStart(dataDir, keyB64, probe) {
  let loadSeconds = NaN;
  let swept;
  const sweptAt = new Promise((resolve) => (swept = resolve));
  const onLine = (o) => {
    if (o.msg === 'state store loaded') {
      loadSeconds = o.seconds;
      // Nothing left to verify (or a build that verifies while loading).
      if (!(o.pendingTokens > 0)) swept(performance.now());
    }
    if (o.msg === 'settled every token record loaded from disk') swept(performance.now());
  };
  const agent = await scaleAgent({ dataDir, encryptionKey: keyB64, onLine });
  try {
    const started = agent.spawnedAt;
    const self = await call(agent.addr, 'GET', '/v1/acl/token/self', { token: probe });
    if (typeof self.AccessorID !== 'string') throw new Error('scale bench: the seeded token did not resolve');
    const serving = (performance.now() - started) / 1000;
    const rssServing = await rssOf(agent.proc.pid);
    let timer;
    const sweepDone = await Promise.race([sweptAt, new Promise((r) => (timer = setTimeout(() => r(undefined), 600_000)))]);
    clearTimeout(timer);
    const rssSwept = await rssOf(agent.proc.pid);
    return { serving, load: loadSeconds, rssServing, rssSwept, sweep: sweepDone === undefined ? NaN : (sweepDone - started) / 1000 };
  } finally {
    await agent.stop();
  }
}

/** Baseline: an agent on an empty store, same config (its RSS is subtracted). */
async function emptyAgent(keyB64) {
  const agent = await scaleAgent({ encryptionKey: keyB64 });
  try {
    const seconds = (performance.now() - agent.spawnedAt) / 1000;
    const { rss, anon } = await rssOf(agent.proc.pid);
    return { seconds, rss, anon };
  } finally {
    await agent.stop();
  }
}

/**
 * `npm run bench -- scale`: for each size in `sizes`, seed, start twice
 * (the machine is noisy: both runs are printed), and print a table of time
 * to serving and RSS growth over an empty agent.
 */
export async function benchScale({ sizes, runs = 2, report }) {
  const empty = await emptyAgent(randomBytes(32).toString('base64'));
  console.log(`  empty agent: serving in ${empty.seconds.toFixed(2)} s, RSS ${empty.rss.toFixed(0)} MiB (the baseline subtracted below)`);
  const rows = [];
  for (const n of sizes) {
    const store = await seededStore(n);
    try {
      const all = [];
      for (let r = 0; r < runs; r++) all.push(await timeStart(store.dataDir, store.key.toString('base64'), store.probe));
      const range = (f, d = 2) => {
        const xs = all.map(f);
        return `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
      };
      const row = {
        tokens: n,
        servingS: range((x) => x.serving),
        storeLoadS: range((x) => x.load),
        rssGrowthMiB: range((x) => x.rssServing.rss - empty.rss, 0),
        anonGrowthMiB: range((x) => x.rssServing.anon - empty.anon, 0),
        bytesPerToken: range((x) => ((x.rssServing.rss - empty.rss) * 1048576) / n, 0),
        sweepDoneS: range((x) => x.sweep),
        rssAfterSweepMiB: range((x) => x.rssSwept.rss - empty.rss, 0),
        anonAfterSweepMiB: range((x) => x.rssSwept.anon - empty.anon, 0),
      };
      rows.push(row);
      report(`start-up with ${n} tokens`, row, n >= 1_000_000 ? 'serving ≤ 5 s, RSS ≤ 1 GiB' : '—');
    } finally {
      await store.done();
    }
  }
  console.log(`\n  | tokens | time to serving (s; empty agent ${empty.seconds.toFixed(2)}) | of it, loading the store (s) | RSS growth at serving (MiB; of it anonymous) | bytes/token | sweep done (s) | RSS growth after sweep (MiB; of it anonymous) |`);
  console.log('  | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`  | ${r.tokens} | ${r.servingS} | ${r.storeLoadS} | ${r.rssGrowthMiB} (${r.anonGrowthMiB}) | ${r.bytesPerToken} | ${r.sweepDoneS} | ${r.rssAfterSweepMiB} (${r.anonAfterSweepMiB}) |`);
  }
}
