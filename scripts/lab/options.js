// @ts-check
// Command-line and environment options of `npm start` (scripts/lab.js).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LabUsageError } from './errors.js';
import { REPO } from './paths.js';

/** The three regions of the lab, in start order; the first is authoritative. */
export const REGIONS = /** @type {const} */ (['global', 'eu-west', 'us-east']);

/** Default HTTP ports, one per region in REGIONS order; RPC is HTTP + 1. */
export const DEFAULT_HTTP_PORTS = /** @type {const} */ ([4646, 5646, 6646]);

/** Prometheus' own default port; the lab uses it unless told otherwise. */
export const DEFAULT_PROMETHEUS_PORT = 9090;

export const USAGE = `Usage: npm start -- [options]     (or: node scripts/lab.js [options])

  Runs the Tollgate multi-region lab on loopback: regions global
  (authoritative), eu-west and us-east as agent processes, ACLs bootstrapped,
  a replication token distributed, and Prometheus when it is installed.
  Ctrl-C stops everything.

Options:
  --base-dir=DIR          Data, configs, tokens and logs (default: <repo>/.lab,
                          <repo>/.lab-ha with --ha; env TOLLGATE_LAB_BASE_DIR).
                          Reused by the next run of the same kind.
  --ports=G,E,U           HTTP ports of global, eu-west, us-east (default
                          4646,5646,6646; env TOLLGATE_LAB_PORTS). Each RPC
                          port is its HTTP port + 1.
  --prometheus-port=PORT  Prometheus' port (default 9090, or a free one if 9090
                          is taken; env TOLLGATE_LAB_PROMETHEUS_PORT).
  --no-prometheus         Do not start Prometheus even if it is installed.
  --no-tls                Plaintext HTTP and RPC (debugging only). By default the
                          lab makes a CA and per-region certificates in
                          <base-dir>/tls on first start and runs every region
                          with HTTPS, mTLS between regions and
                          verify_server_hostname.
  --ha                    HA regions on etcd: each region also runs its own etcd
                          and a second agent (HTTP +2, RPC +3; etcd client +4,
                          peer +5, from the region's HTTP port). Needs etcd
                          (apt-get install -y etcd-server).
  -h, --help              Show this help.
`;

/**
 * @typedef {object} LabRegion
 * @property {string} name
 * @property {number} httpPort
 * @property {number} rpcPort
 * @property {boolean} authoritative
 *
 * @typedef {object} LabOptions
 * @property {string} baseDir absolute
 * @property {LabRegion[]} regions in start order, authoritative first
 * @property {number | undefined} prometheusPort undefined = 9090 or a free port
 * @property {boolean} prometheus whether to start Prometheus when installed
 * @property {boolean} ha one etcd and two agents per region (issue #6)
 * @property {boolean} tls HTTPS and mTLS with the lab CA (issue #10); false with --no-tls
 * @property {boolean} help
 */

/**
 * Parses argv (without node and the script) and the TOLLGATE_LAB_* variables.
 * Unknown options are refused: the lab's flags are a public interface, and a
 * typo silently ignored would start a lab other than the one asked for.
 *
 * @param {readonly string[]} argv
 * @param {Record<string, string | undefined>} env
 * @returns {LabOptions}
 */
export function parseLabOptions(argv, env) {
  /** @type {ReturnType<typeof parseArgs>} */
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'base-dir': { type: 'string' },
        ports: { type: 'string' },
        'prometheus-port': { type: 'string' },
        'no-prometheus': { type: 'boolean' },
        ha: { type: 'boolean' },
        'no-tls': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new LabUsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  const ha = v.ha === true;
  // The HA lab keeps its own state by default: its regions' data is
  // encrypted with keys that a plain lab's keyrings do not match.
  const baseDir = resolve(REPO, String(v['base-dir'] ?? nonEmpty(env.TOLLGATE_LAB_BASE_DIR) ?? (ha ? '.lab-ha' : '.lab')));
  const portsText = v.ports ?? nonEmpty(env.TOLLGATE_LAB_PORTS);
  const httpPorts = portsText === undefined ? [...DEFAULT_HTTP_PORTS] : parsePortList(String(portsText));
  const promText = v['prometheus-port'] ?? nonEmpty(env.TOLLGATE_LAB_PROMETHEUS_PORT);
  const prometheusPort = promText === undefined ? undefined : parsePort(String(promText), '--prometheus-port');
  const regions = REGIONS.map((name, i) => {
    const httpPort = /** @type {number} */ (httpPorts[i]);
    return { name, httpPort, rpcPort: httpPort + 1, authoritative: i === 0 };
  });
  // HA regions use HTTP +2 … +5 as well (second agent, etcd): see lab/ha.js.
  const all = regions.flatMap((r) => (ha ? [0, 1, 2, 3, 4, 5] : [0, 1]).map((d) => r.httpPort + d));
  if (prometheusPort !== undefined) all.push(prometheusPort);
  const over = all.find((p) => p > 65535);
  if (over !== undefined) throw new LabUsageError(`--ports: port ${over} (derived for --ha) is above 65535`);
  const dup = all.find((p, i) => all.indexOf(p) !== i);
  if (dup !== undefined) {
    throw new LabUsageError(`port ${dup} is used twice (each RPC port is its HTTP port + 1${ha ? '; --ha uses HTTP + 2 to + 5 too' : ''})`);
  }
  return { baseDir, regions, prometheusPort, prometheus: v['no-prometheus'] !== true, ha, tls: v['no-tls'] !== true, help: v.help === true };
}

/** @param {string} text */
function parsePortList(text) {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== REGIONS.length) {
    throw new LabUsageError(`--ports: expected ${REGIONS.length} HTTP ports (${REGIONS.join(', ')}), got "${text}"`);
  }
  // 65535 itself is refused: its RPC port (+1) would not exist.
  return parts.map((p) => {
    const port = parsePort(p, '--ports');
    if (port === 65535) throw new LabUsageError('--ports: 65535 leaves no room for its RPC port (HTTP + 1)');
    return port;
  });
}

/**
 * @param {string} text
 * @param {string} flag
 */
function parsePort(text, flag) {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new LabUsageError(`${flag}: invalid port "${text}" (1-65535)`);
  }
  return Number(text);
}

/** @param {string | undefined} s */
function nonEmpty(s) {
  return s === undefined || s === '' ? undefined : s;
}
