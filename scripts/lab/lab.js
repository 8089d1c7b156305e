// @ts-check
// The loopback lab's lifecycle: start the authoritative region, set up ACLs,
// start the followers and Prometheus; stop them all, waiting for each.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentCall, ensureManagementToken, ensureReplicationToken, trustLabCa } from './acl-setup.js';
import { ensureLabCerts } from './certs.js';
import { agentHcl } from './config-files.js';
import { LabError } from './errors.js';
import { ManagedProcess } from './managed-process.js';
import { assertPortsFree, freePort, isPortFree } from './ports.js';
import { BIN, REPO } from './paths.js';
import { DEFAULT_PROMETHEUS_PORT } from './options.js';
import { HA_PORTS, ensureRegionKey, etcdDataDir, findEtcd, haHcl, haPortsOf, startRegionEtcd } from './ha.js';
import { findPrometheus, startPrometheus } from './prometheus.js';

/** A sample policy for the commands the banner suggests. */
const READONLY_POLICY = `# Written by the lab for the commands it prints.
namespace "default" {
  policy = "read"
}
`;

/** Which kind of lab (plain or --ha) a base dir holds. */
const KIND_FILE = 'lab-kind';

/**
 * A plain lab's state and an --ha lab's cannot share a base dir (the HA
 * regions' keys do not open the plain regions' data): refuse, saying what
 * to do, rather than fail later on a key mismatch.
 *
 * @param {string} baseDir
 * @param {boolean} ha
 */
async function assertSameKind(baseDir, ha) {
  /** @type {string | undefined} */
  let kind;
  try {
    kind = (await readFile(join(baseDir, KIND_FILE), 'utf8')).trim();
  } catch {
    // No marker (a lab from before it, or a fresh dir): tell by what is there.
    if (existsSync(etcdDataDir(baseDir, 'global'))) kind = 'ha';
    else if (existsSync(join(baseDir, 'global', 'server'))) kind = 'plain';
  }
  if (kind === undefined || kind === (ha ? 'ha' : 'plain')) return;
  const other = ha ? 'npm start -- --ha' : 'npm start';
  throw new LabError(
    'TOLLGATE_LAB_OTHER_KIND',
    `${baseDir} holds the state of a${kind === 'ha' ? 'n --ha' : ' plain (no --ha)'} lab, which ${other} cannot reuse. ` +
      `Choose another --base-dir (the default is .lab-ha with --ha, .lab without), or start over with rm -rf ${baseDir}.`,
  );
}

/** How long the lab waits for a follower to resolve the management token. */
const REPLICATION_WAIT_MS = 10_000;

/**
 * @typedef {import('./options.js').LabOptions} LabOptions
 * @typedef {'new' | 'starting' | 'running' | 'stopping' | 'stopped'} LabStatus
 * @typedef {{ name: string, http: string, rpc: string, log: string, config: string, authoritative: boolean, replicated: boolean | undefined, proc: ManagedProcess }} RunningRegion
 * @typedef {{ region: string, endpoint: string, key: string, log: string, proc: ManagedProcess }} RunningEtcd
 */

export class Lab {
  /** @type {LabStatus} */
  #status = 'new';
  /** @type {RunningRegion[]} */
  #regions = [];
  // --ha: each region's second agent and its etcd.
  /** @type {RunningRegion[]} */
  #secondAgents = [];
  /** @type {RunningEtcd[]} */
  #etcds = [];
  /** @type {{ proc: ManagedProcess, url: string } | undefined} */
  #prometheus;
  /** @type {{ missing: true } | { disabled: true } | undefined} */
  #prometheusAbsent;
  /** @type {Promise<void> | undefined} */
  #stopping;
  /** @type {import('./certs.js').LabCerts | undefined} */
  #certs;
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
      tls: join(opts.baseDir, 'tls'),
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

  /** --ha: the second agent and the etcd of each region (empty without --ha). */
  get ha() {
    return { agents: [...this.#secondAgents], etcds: this.#etcds.map(({ region, endpoint, log }) => ({ region, endpoint, log })) };
  }

  /** The lab CA and certificates (undefined with --no-tls). */
  get certs() {
    return this.#certs;
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
      ...(opts.prometheus && opts.prometheusPort !== undefined ? [{ port: opts.prometheusPort, what: 'Prometheus', flag: '--prometheus-port=PORT (or --no-prometheus)' }] : []),
      ...(opts.ha ? opts.regions.flatMap(haPortsOf) : []),
    ]);
    await assertSameKind(opts.baseDir, opts.ha);
    await mkdir(paths.logs, { recursive: true });
    await writeFile(join(opts.baseDir, KIND_FILE), `${opts.ha ? 'ha' : 'plain'}\n`);
    await mkdir(join(opts.baseDir, 'policies'), { recursive: true });
    await writeFile(paths.policy, READONLY_POLICY);

    if (opts.tls) {
      this.#certs = await ensureLabCerts(paths.tls, opts.regions.map((r) => r.name), { log: this.log });
      await trustLabCa(this.#certs.caFile);
    }
    const [authoritative, ...followers] = opts.regions;
    if (!authoritative) throw new RangeError('regions: at least the authoritative region is required');
    // With --ha a region's peers are both of its agents.
    const rpcOf = (/** @type {{ rpcPort: number, httpPort: number }} */ r) =>
      opts.ha ? [`127.0.0.1:${r.rpcPort}`, `127.0.0.1:${r.httpPort + HA_PORTS.agent2Rpc}`] : `127.0.0.1:${r.rpcPort}`;
    /** @param {string} name */
    const peersOf = (name) => Object.fromEntries(opts.regions.filter((r) => r.name !== name).map((r) => [r.name, rpcOf(r)]));
    if (opts.ha) await this.#startEtcds();
    this.#assertStarting();

    const global = await this.#startAgent(authoritative, { authoritativeRegion: authoritative.name, peers: peersOf(authoritative.name) });
    if (opts.ha) await this.#startAgent(authoritative, { authoritativeRegion: authoritative.name, peers: peersOf(authoritative.name) }, 2);
    this.#assertStarting();
    const mgmt = await ensureManagementToken({ addr: global.http, tokenFile: paths.managementToken });
    this.managementToken = mgmt.secret;
    this.log(mgmt.how === 'reused' ? `reusing the management token in ${paths.managementToken}` : 'bootstrapped ACLs in global');
    const repl = await ensureReplicationToken({ addr: global.http, managementToken: mgmt.secret, tokenFile: paths.replicationToken });
    this.log(repl.how === 'reused' ? 'reusing the replication token' : 'created a global management token for replication');
    this.#assertStarting();

    await Promise.all(
      followers.flatMap((f) =>
        (opts.ha ? [1, 2] : [1]).map((instance) =>
          this.#startAgent(f, { authoritativeRegion: authoritative.name, peers: peersOf(f.name), replicationToken: repl.secret }, instance),
        ),
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
   * --ha: one single-member etcd per region, data kept in the base dir.
   */
  async #startEtcds() {
    const bin = findEtcd();
    if (bin === undefined) {
      throw new LabError('TOLLGATE_LAB_NO_ETCD', '--ha needs etcd, which is not installed (apt-get install -y etcd-server)');
    }
    await Promise.all(
      this.opts.regions.map(async (r) => {
        const log = join(this.paths.logs, `${r.name}-etcd.log`);
        const clientPort = r.httpPort + HA_PORTS.etcdClient;
        this.log(`starting ${r.name} etcd (client :${clientPort}, log ${log})`);
        const { proc, endpoint } = await startRegionEtcd({
          bin,
          name: r.name,
          dataDir: etcdDataDir(this.opts.baseDir, r.name),
          clientPort,
          peerPort: r.httpPort + HA_PORTS.etcdPeer,
          logFile: log,
          ...(this.#certs === undefined ? {} : { tls: this.#regionTls(r.name) }),
        });
        // One encryption key per region, made once here (both agents need the same).
        const key = await ensureRegionKey(join(this.opts.baseDir, `${r.name}-encryption-key`));
        this.#etcds.push({ region: r.name, endpoint, key, log, proc });
      }),
    );
  }

  /**
   * @param {import('./options.js').LabRegion} r
   * @param {{ authoritativeRegion: string, peers: Record<string, string | readonly string[]>, replicationToken?: string }} c
   * @param {number} [instance] 2 = the second agent of an HA region (ports HTTP +2, RPC +3)
   */
  async #startAgent(r, c, instance = 1) {
    const second = instance === 2;
    const name = second ? `${r.name}-2` : r.name;
    const httpPort = second ? r.httpPort + HA_PORTS.agent2Http : r.httpPort;
    const rpcPort = second ? r.httpPort + HA_PORTS.agent2Rpc : r.rpcPort;
    const dataDir = join(this.opts.baseDir, name);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const config = join(dataDir, 'agent.hcl');
    // 0600: a follower's config holds the replication token.
    const tls = this.#certs === undefined ? undefined : this.#regionTls(r.name);
    await writeFile(config, agentHcl({ region: r.name, dataDir, httpPort, rpcPort, ...c, ...(tls === undefined ? {} : { tls }) }), { mode: 0o600 });
    const configs = [`-config=${config}`];
    const etcd = this.#etcds.find((e) => e.region === r.name);
    if (etcd !== undefined) {
      // A second file: agent.hcl already has an acl block, and the key is a secret (0600).
      const haConfig = join(dataDir, 'ha.hcl');
      const tls = this.#certs === undefined ? {} : { tls: this.#regionTls(r.name) };
      await writeFile(haConfig, haHcl({ endpoint: etcd.endpoint, key: etcd.key, ...tls }), { mode: 0o600 });
      configs.push(`-config=${haConfig}`);
    }
    const log = join(this.paths.logs, `${name}.log`);
    this.log(`starting ${name} (http :${httpPort}, rpc :${rpcPort}, log ${log})`);
    const proc = new ManagedProcess({ name, cmd: process.execPath, args: [BIN, 'agent', ...configs], logFile: log, cwd: REPO });
    /** @type {RunningRegion} */
    const region = {
      name: r.name,
      http: `${this.#certs === undefined ? 'http' : 'https'}://127.0.0.1:${httpPort}`,
      rpc: `127.0.0.1:${rpcPort}`,
      log,
      config,
      authoritative: r.authoritative,
      replicated: undefined,
      proc,
    };
    (second ? this.#secondAgents : this.#regions).push(region);
    const started = await proc.waitForLine((o) => (o?.msg === 'agent started' ? o : undefined), { json: true });
    if (typeof started.http === 'string') region.http = started.http;
    if (typeof started.rpc === 'string') region.rpc = started.rpc;
    void proc.exited.then(({ code, signal }) => {
      if (this.#status === 'running') this.log(`${name} exited unexpectedly (${signal ?? `code ${code}`}); see ${log}`);
    });
    return region;
  }

  /**
   * The lab CA and a region's server certificate: its agents' `tls` block,
   * and (--ha) its etcd's server certificate and the agents' client one.
   *
   * @param {string} region
   */
  #regionTls(region) {
    const certs = /** @type {import('./certs.js').LabCerts} */ (this.#certs);
    return { caFile: certs.caFile, certFile: certs.server(region).cert, keyFile: certs.server(region).key };
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
      targets: [...this.regions, ...this.#secondAgents].map((r) => new URL(r.http).host),
      logFile,
      ...(this.#certs === undefined ? {} : { caFile: this.#certs.caFile }),
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
      ha: this.opts.ha
        ? {
            agents: this.#secondAgents.map((r) => ({ region: r.name, http: r.http, rpc: r.rpc, pid: r.proc.pid, log: r.log })),
            etcds: this.#etcds.map((e) => ({ region: e.region, endpoint: e.endpoint, pid: e.proc.pid, log: e.log })),
          }
        : null,
      managementTokenFile: this.paths.managementToken,
      tls: this.#certs === undefined ? null : { caFile: this.#certs.caFile, cliCert: this.#certs.cli.cert, cliKey: this.#certs.cli.key },
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
      const agents = [...this.#regions, ...this.#secondAgents];
      const followers = agents.filter((r) => !r.authoritative);
      await Promise.all([this.#prometheus?.proc.stop(), ...followers.map((r) => r.proc.stop())]);
      await Promise.all(agents.filter((r) => r.authoritative).map((r) => r.proc.stop()));
      // Each region's etcd last, once no agent follows it any more.
      await Promise.all(this.#etcds.map((e) => e.proc.stop()));
      await rm(this.paths.state, { force: true });
      this.#status = 'stopped';
    })();
    return this.#stopping;
  }
}
