import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargsParser from 'yargs-parser';
import { Agent } from './agent.js';
import { loadAgentConfigFile, mergeAgentConfig, resolveAgentConfig } from './config.js';
import type { AgentConfigInput } from './config.js';
import { TollgateError } from './errors.js';
import { stopWithNpmParent } from './npm-parent-watch.js';

export const AGENT_USAGE = `Usage: tollgate agent [options]

  Starts a Tollgate agent: the ACL state machine of one region and its HTTP
  API (and, in a multi-region cluster, forwarding and replication).

Options:
  -config=<path>       HCL or JSON config file; repeatable, later files win.
  -dev                 Development mode: a throwaway data dir (deleted on exit),
                       region "global", bound to 127.0.0.1; a port not given
                       is 4646/4647 when free, else any free port.
  -region=<name>       Region of this agent (default "global").
  -data-dir=<path>     Where the state is kept.
  -bind=<addr>         Address to listen on (default 0.0.0.0).
  -http-port=<port>    HTTP API port (default 4646; 0 picks a free port).
  -rpc-port=<port>     gRPC port between regions (default 4647; 0 = free port).
  -log-level=<level>   trace, debug, info, warn or error (default info).
  -upgrade-state       Sign the records of a state store written before
                       records were authenticated (format 1), as they are
                       now; without it such a store is refused.
`;

const STRING_FLAGS = ['config', 'region', 'data-dir', 'bind', 'http-port', 'rpc-port', 'log-level'] as const;

/**
 * `tollgate agent …`: parses the flags (which override the config files),
 * starts the agent, and runs until SIGINT/SIGTERM, which drain it. Resolves
 * with the process exit code.
 */
export async function runAgentCommand(
  args: readonly string[],
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<number> {
  const stderr = io.stderr ?? process.stderr;
  const stdout = io.stdout ?? process.stdout;
  const parsed = yargsParser([...args], {
    configuration: { 'short-option-groups': false, 'camel-case-expansion': false, 'parse-numbers': false, 'unknown-options-as-args': false },
    string: [...STRING_FLAGS],
    boolean: ['dev', 'h', 'help', 'upgrade-state'],
    array: ['config'],
  });
  if (parsed.h || parsed.help) {
    stdout.write(AGENT_USAGE);
    return 0;
  }
  const known = new Set<string>([...STRING_FLAGS, 'dev', 'h', 'help', 'upgrade-state', '_', '--']);
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0 || parsed._.length > 0) {
    const what = unknown.length > 0 ? `flag provided but not defined: -${unknown[0]}` : `unexpected argument: ${String(parsed._[0])}`;
    stderr.write(`${what}\n${AGENT_USAGE}`);
    return 1;
  }
  let agent: Agent;
  // -dev's throwaway data dir: removed whenever this command returns.
  let devDir: string | undefined;
  const removeDevDir = async (): Promise<void> => {
    if (devDir) await rm(devDir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    const files = ((parsed.config as string[] | undefined) ?? []).map((f) => loadAgentConfigFile(f));
    const dev = parsed.dev === true;
    const flags: AgentConfigInput = {
      region: parsed.region as string | undefined,
      data_dir: parsed['data-dir'] as string | undefined,
      bind_addr: parsed.bind as string | undefined,
      log_level: parsed['log-level'] as string | undefined,
      ports: { http: portFlag(parsed['http-port'], 'http-port'), rpc: portFlag(parsed['rpc-port'], 'rpc-port') },
    };
    const merged = mergeAgentConfig(...files, flags);
    if (dev) {
      if (merged.data_dir === undefined) merged.data_dir = devDir = await mkdtemp(join(tmpdir(), 'tollgate-dev-'));
      // A dev agent is for trying things: a default port that is taken (by
      // another agent, a lab) gives way to a free one instead of failing.
      const host = merged.bind_addr ?? '127.0.0.1';
      const ports = { ...merged.ports };
      for (const [key, fallback] of [['http', 4646], ['rpc', 4647]] as const) {
        if (ports[key] === undefined && !(await portFree(host, fallback))) {
          ports[key] = 0;
          stderr.write(`==> -dev: port ${fallback} is in use; ${key.toUpperCase()} takes a free port (-${key}-port=<port> picks one)\n`);
        }
      }
      merged.ports = ports;
    }
    agent = new Agent(resolveAgentConfig(merged, { dev }), { upgradeState: parsed['upgrade-state'] === true });
  } catch (err) {
    stderr.write(`Error loading configuration: ${err instanceof Error ? err.message : String(err)}\n`);
    await removeDevDir();
    return 1;
  }
  try {
    await agent.start();
  } catch (err) {
    const message = startFailure(err);
    // One line for people (stderr) and one event for log collectors; the
    // stack only at debug level: a busy port is not a bug.
    agent.log.error({ code: (err as { code?: unknown }).code }, 'agent failed to start');
    agent.log.debug({ err }, 'agent start failure');
    stderr.write(`Error starting agent: ${message}\n`);
    await agent.close().catch(() => undefined);
    await removeDevDir();
    return 1;
  }
  if (devDir) {
    stderr.write(`==> -dev agent: HTTP ${agent.httpAddress}, RPC ${agent.rpcAddress}; data dir ${devDir} (deleted on exit)\n`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      unwatch();
      agent.log.info({ signal }, 'shutting down');
      void agent
        .drain(5000)
        .then(() => agent.close())
        .then(
          () => 0,
          (err: unknown) => {
            agent.log.error({ err }, 'shutdown failed');
            return 1;
          },
        )
        .then(async (code) => {
          await removeDevDir();
          resolve(code);
        });
    };
    // SIGHUP re-reads the TLS certificate files (rotation) and reopens the
    // audit log file (external rotation) without stopping; without a
    // handler it would kill the process.
    const reload = (): void => {
      agent.log.info({ signal: 'SIGHUP' }, 'reloading TLS certificates and reopening the audit log');
      agent.reloadTls();
      agent.reopenAudit();
    };
    process.on('SIGHUP', reload);
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // Under `npx tollgate agent` the signals reach npm's shell, not us.
    const unwatch = stopWithNpmParent(() => stop('parent exited'));
  });
}

/** The start error as one line, naming the flag that moves a busy port. */
function startFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; address?: unknown; port?: unknown };
  if (e.code === 'TOLLGATE_RPC_LISTEN' && /in use/.test(String(e.message))) {
    return `${String(e.message)} (another agent or lab?); choose another with -rpc-port=<port> or ports.rpc (0 picks a free port)`;
  }
  if (e.code === 'EADDRINUSE') {
    return `cannot listen for HTTP on ${String(e.address)}:${String(e.port)}: the port is in use (another agent or lab?); choose another with -http-port=<port> or ports.http (0 picks a free port)`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** True when `port` on `host` can be listened on now. */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function portFlag(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new TollgateError('TOLLGATE_CONFIG_INVALID', `-${name}: invalid port "${s}"`);
  return Number(s);
}
