// @ts-check
// Prometheus for the loopback lab: Debian's `prometheus` binary when it is on
// PATH, with deploy/prometheus-lab.yml and the lab's own storage dir.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prometheusTargets } from './config-files.js';
import { LabError } from './errors.js';
import { ManagedProcess } from './managed-process.js';
import { PROMETHEUS_LAB_CONFIG } from './paths.js';

/** The absolute path of `prometheus` on PATH, or undefined. */
export function findPrometheus() {
  const r = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/**
 * Starts Prometheus on `127.0.0.1:port`, scraping `targets` (host:port of
 * the agents' HTTP APIs), with config, targets and TSDB under `dir`; resolves
 * once `/-/ready` answers.
 *
 * @param {{ bin: string, dir: string, port: number, targets: readonly string[], logFile: string, caFile?: string }} o
 * @returns {Promise<{ proc: ManagedProcess, url: string }>}
 */
export async function startPrometheus(o) {
  await mkdir(join(o.dir, 'data'), { recursive: true });
  const config = join(o.dir, 'prometheus.yml');
  await copyFile(PROMETHEUS_LAB_CONFIG, config);
  if (o.caFile !== undefined) {
    // The agents serve HTTPS: scrape them over TLS, trusting the lab CA.
    const yml = await readFile(config, 'utf8');
    await writeFile(config, `${yml.trimEnd()}\n    scheme: https\n    tls_config:\n      ca_file: ${JSON.stringify(o.caFile)}\n`);
  }
  // The copied config reads its targets from this file (paths in file_sd
  // are relative to the config file), so changed ports need no YAML edit.
  await writeFile(join(o.dir, 'lab-targets.json'), prometheusTargets(o.targets));
  const url = `http://127.0.0.1:${o.port}`;
  const proc = new ManagedProcess({
    name: 'prometheus',
    cmd: o.bin,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(o.dir, 'data')}`,
      `--storage.tsdb.retention.time=2d`,
      `--web.listen-address=127.0.0.1:${o.port}`,
    ],
    logFile: o.logFile,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.status === 'exited') {
      throw new LabError('TOLLGATE_LAB_CHILD_EXITED', `prometheus exited before it was ready (log: ${o.logFile}):\n${proc.tail}`);
    }
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (r.status === 200) return { proc, url };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new LabError('TOLLGATE_LAB_START_TIMEOUT', `prometheus did not get ready within 30 s (log: ${o.logFile})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
