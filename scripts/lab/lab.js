// @ts-check
// The loopback lab's lifecycle: start the authoritative region, set up ACLs,
// start the followers and Prometheus; stop them all, waiting for each.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentCall, ensureManagementToken, ensureReplicationToken } from './acl-setup.js';
import { agentHcl } from './config-files.js';
import { LabError } from './errors.js';
import { ManagedProcess } from './managed-process.js';
import { assertPortsFree, freePort, isPortFree } from './ports.js';
import { BIN, REPO } from './paths.js';
import { DEFAULT_PROMETHEUS_PORT } from './options.js';
import { findPrometheus, startPrometheus } from './prometheus.js';

/** A sample policy for the commands the banner suggests. */
const READONLY_POLICY = `# Written by the lab for the commands it prints.
namespace "default" {
  policy = "read"
}
`;

/** How long the lab waits for a follower to resolve the management token. */
const REPLICATION_WAIT_MS = 10_000;

/**
 * @typedef {import('./options.js').LabOptions} LabOptions
 * @typedef {'new' | 'starting' | 'running' | 'stopping' | 'stopped'} LabStatus
 * @typedef {{ name: string, http: string, rpc: string, log: string, config: string, authoritative: boolean, replicated: boolean | undefined, proc: ManagedProcess }} RunningRegion
 */

export class Lab {
  /** @type {LabStatus} */
  #status = 'new';
  /** @type {RunningRegion[]} */
  #regions = [];
  /** @type {{ proc: ManagedProcess, url: string } | undefined} */
  #prometheus;
  /** @type {{ missing: true } | { disabled: true } | undefined} */
  #prometheusAbsent;
  /** @type {Promise<void> | undefined} */
  #stopping;
  managementToken = '';

  /**
   * @param {LabOptions} opts
   * @param {{ log?: (line: string) => void }} [io] progress lines (stderr by default)
   */
  constructor(opts, io = {}) {
    this.opts = opts;
    this.log = io.log ?? ((/** @type {string} */ line) => process.stderr.write(`[lab] ${line}\n`));
    this.paths = {
      logs: join(opts.baseDir, 'logs'),
      managementToken: join(opts.baseDir, 'management-token'),
      replicationToken: join(opts.baseDir, 'replication-token'),
      policy: join(opts.baseDir, 'policies', 'readonly.hcl'),
      state: join(opts.baseDir, 'lab.json'),
      prometheus: join(opts.baseDir, 'prometheus'),
    };
  }

  /** @returns {LabStatus} */
  get status() {
    return this.#status;
  }

  /** The running regions (after start), in the order of `opts.regions`. */
  get regions() {
    const order = this.opts.regions.map((r) => r.name);
    return [...this.#regions].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  }

  get prometheus() {
    return this.#prometheus ?? this.#prometheusAbsent ?? { disabled: true };
  }

  /**
   * Starts everything; on any failure stops what was started and rethrows.
   * A `stop()` during start makes start reject with TOLLGATE_LAB_STOPPED.
   */
  async start() {
    if (this.#status !== 'new') throw new LabError('TOLLGATE_LAB_STATE', `cannot start a lab that is ${this.#status}`);
    this.#status = 'starting';
    try {
      await this.#start();
      this.#status = 'running';
    } catch (err) {
      const stoppedByUser = this.#stopping !== undefined;
      await this.stop();
      if (stoppedByUser) throw new LabError('TOLLGATE_LAB_STOPPED', 'stopped while starting', { cause: err });
      throw err;
    }
  }

  async #start() {
    const { opts, paths } = this;
    if (!existsSync(join(REPO, 'packages/cli/dist/index.js'))) {
      throw new LabError('TOLLGATE_LAB_NOT_BUILT', 'the packages are not built: run `npm run build` first');
    }
    await assertPortsFree([
      ...opts.regions.flatMap((r) => [
        { port: r.httpPort, what: `${r.name} HTTP` },
        { port: r.rpcPort, what: `${r.name} RPC` },
      ]),
      // An explicitly chosen Prometheus port is checked up front too, so a
      // clash costs nothing; the default one falls back to a free port.
      ...(opts.prometheus && opts.prometheusPort !== undefined ? [{ port: opts.prometheusPort, what: 'Prometheus' }] : []),
    ]);
    await mkdir(paths.logs, { recursive: true });
    await mkdir(join(opts.baseDir, 'policies'), { recursive: true });
    await writeFile(paths.policy, READONLY_POLICY);

    const [authoritative, ...followers] = opts.regions;
    if (!authoritative) throw new RangeError('regions: at least the authoritative region is required');
    const rpcOf = (/** @type {{ rpcPort: number }} */ r) => `127.0.0.1:${r.rpcPort}`;
    /** @param {string} name */
    const peersOf = (name) => Object.fromEntries(opts.regions.filter((r) => r.name !== name).map((r) => [r.name, rpcOf(r)]));

    const global = await this.#startAgent(authoritative, { authoritativeRegion: authoritative.name, peers: peersOf(authoritative.name) });
    this.#assertStarting();
    const mgmt = await ensureManagementToken({ addr: global.http, tokenFile: paths.managementToken });
    this.managementToken = mgmt.secret;
    this.log(mgmt.how === 'reused' ? `reusing the management token in ${paths.managementToken}` : 'bootstrapped ACLs in global');
    const repl = await ensureReplicationToken({ addr: global.http, managementToken: mgmt.secret, tokenFile: paths.replicationToken });
    this.log(repl.how === 'reused' ? 'reusing the replication token' : 'created a global management token for replication');
    this.#assertStarting();

    await Promise.all(
      followers.map((f) =>
        this.#startAgent(f, { authoritativeRegion: authoritative.name, peers: peersOf(f.name), replicationToken: repl.secret }),
      ),
    );
    this.#assertStarting();
    await this.#maybeStartPrometheus();
    this.#assertStarting();
    this.log(`waiting up to ${REPLICATION_WAIT_MS / 1000} s for the followers to replicate the management token`);
    await Promise.all(this.#regions.filter((r) => !r.authoritative).map((r) => this.#waitReplicated(r)));
    await this.#writeState();
  }

  /**
   * @param {import('./options.js').LabRegion} r
   * @param {{ authoritativeRegion: string, peers: Record<string, string>, replicationToken?: string }} c
   */
  async #startAgent(r, c) {
    const dataDir = join(this.opts.baseDir, r.name);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const config = join(dataDir, 'agent.hcl');
    // 0600: a follower's config holds the replication token.
    await writeFile(config, agentHcl({ region: r.name, dataDir, httpPort: r.httpPort, rpcPort: r.rpcPort, ...c }), { mode: 0o600 });
    const log = join(this.paths.logs, `${r.name}.log`);
    this.log(`starting ${r.name} (http :${r.httpPort}, rpc :${r.rpcPort}, log ${log})`);
    const proc = new ManagedProcess({ name: r.name, cmd: process.execPath, args: [BIN, 'agent', `-config=${config}`], logFile: log, cwd: REPO });
    /** @type {RunningRegion} */
    const region = {
      name: r.name,
      http: `http://127.0.0.1:${r.httpPort}`,
      rpc: `127.0.0.1:${r.rpcPort}`,
      log,
      config,
      authoritative: r.authoritative,
      replicated: undefined,
      proc,
    };
    this.#regions.push(region);
    const started = await proc.waitForLine((o) => (o?.msg === 'agent started' ? o : undefined), { json: true });
    if (typeof started.http === 'string') region.http = started.http;
    if (typeof started.rpc === 'string') region.rpc = started.rpc;
    void proc.exited.then(({ code, signal }) => {
      if (this.#status === 'running') this.log(`${r.name} exited unexpectedly (${signal ?? `code ${code}`}); see ${log}`);
    });
    return region;
  }

  async #maybeStartPrometheus() {
    if (!this.opts.prometheus) {
      this.#prometheusAbsent = { disabled: true };
      return;
    }
    const bin = findPrometheus();
    if (bin === undefined) {
      this.#prometheusAbsent = { missing: true };
      this.log('prometheus is not installed (apt-get install -y prometheus); starting without it');
      return;
    }
    let port = this.opts.prometheusPort;
    if (port === undefined) {
      port = (await isPortFree(DEFAULT_PROMETHEUS_PORT)) ? DEFAULT_PROMETHEUS_PORT : await freePort();
    }
    const logFile = join(this.paths.logs, 'prometheus.log');
    this.log(`starting prometheus on :${port} (log ${logFile})`);
    this.#prometheus = await startPrometheus({
      bin,
      dir: this.paths.prometheus,
      port,
      targets: this.regions.map((r) => new URL(r.http).host),
      logFile,
    });
  }

  /**
   * Waits (bounded) until a follower resolves the management token, i.e. it
   * has replicated the global tokens. Only informs the banner: the lab is
   * usable without it, and a build without replication must still start.
   *
   * @param {RunningRegion} r
   */
  async #waitReplicated(r) {
    const deadline = Date.now() + REPLICATION_WAIT_MS;
    while (Date.now() < deadline && this.#status === 'starting') {
      try {
        const res = await agentCall(r.http, 'GET', '/v1/acl/token/self', { token: this.managementToken, timeoutMs: 1_000 });
        if (res.status === 200) {
          r.replicated = true;
          return;
        }
      } catch {
        // retry until the deadline
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    r.replicated = false;
  }

  /** `lab.json`: what is running, for scripts and tests (no secrets). */
  async #writeState() {
    const state = {
      pid: process.pid,
      baseDir: this.opts.baseDir,
      regions: this.regions.map((r) => ({
        name: r.name,
        http: r.http,
        rpc: r.rpc,
        pid: r.proc.pid,
        authoritative: r.authoritative,
        config: r.config,
        log: r.log,
      })),
      prometheus: this.#prometheus ? { url: this.#prometheus.url, pid: this.#prometheus.proc.pid } : null,
      managementTokenFile: this.paths.managementToken,
    };
    await writeFile(this.paths.state, `${JSON.stringify(state, null, 2)}\n`);
  }

  #assertStarting() {
    if (this.#status !== 'starting' || this.#stopping !== undefined) {
      throw new LabError('TOLLGATE_LAB_STOPPED', 'stopped while starting');
    }
  }

  /**
   * Stops Prometheus and the followers, then the authoritative region (so
   * followers never see it vanish under them during a clean stop), waiting
   * for every process to exit. Idempotent.
   */
  stop() {
    this.#stopping ??= (async () => {
      this.#status = 'stopping';
      const followers = this.#regions.filter((r) => !r.authoritative);
      await Promise.all([this.#prometheus?.proc.stop(), ...followers.map((r) => r.proc.stop())]);
      await Promise.all(this.#regions.filter((r) => r.authoritative).map((r) => r.proc.stop()));
      await rm(this.paths.state, { force: true });
      this.#status = 'stopped';
    })();
    return this.#stopping;
  }
}
