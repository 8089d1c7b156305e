import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargsParser from 'yargs-parser';
import { Agent } from './agent.js';
import { loadAgentConfigFile, mergeAgentConfig, resolveAgentConfig } from './config.js';
import type { AgentConfigInput } from './config.js';
import { TollgateError } from './errors.js';

export const AGENT_USAGE = `Usage: tollgate agent [options]

  Starts a Tollgate agent: the ACL state machine of one region and its HTTP
  API (and, in a multi-region cluster, forwarding and replication).

Options:
  -config=<path>       HCL or JSON config file; repeatable, later files win.
  -dev                 Development mode: a throwaway data dir, region "global",
                       bound to 127.0.0.1.
  -region=<name>       Region of this agent (default "global").
  -data-dir=<path>     Where the state is kept.
  -bind=<addr>         Address to listen on (default 0.0.0.0).
  -http-port=<port>    HTTP API port (default 4646; 0 picks a free port).
  -rpc-port=<port>     gRPC port between regions (default 4647; 0 = free port).
  -log-level=<level>   trace, debug, info, warn or error (default info).
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
    boolean: ['dev', 'h', 'help'],
    array: ['config'],
  });
  if (parsed.h || parsed.help) {
    stdout.write(AGENT_USAGE);
    return 0;
  }
  const known = new Set<string>([...STRING_FLAGS, 'dev', 'h', 'help', '_', '--']);
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0 || parsed._.length > 0) {
    const what = unknown.length > 0 ? `flag provided but not defined: -${unknown[0]}` : `unexpected argument: ${String(parsed._[0])}`;
    stderr.write(`${what}\n${AGENT_USAGE}`);
    return 1;
  }
  let agent: Agent;
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
    if (dev && merged.data_dir === undefined) merged.data_dir = await mkdtemp(join(tmpdir(), 'tollgate-dev-'));
    agent = new Agent(resolveAgentConfig(merged, { dev }));
  } catch (err) {
    stderr.write(`Error loading configuration: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    await agent.start();
  } catch (err) {
    agent.log.error({ err }, 'agent failed to start');
    stderr.write(`Error starting agent: ${err instanceof Error ? err.message : String(err)}\n`);
    await agent.close().catch(() => undefined);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      agent.log.info({ signal }, 'shutting down');
      agent
        .drain(5000)
        .then(() => agent.close())
        .then(
          () => resolve(0),
          (err: unknown) => {
            agent.log.error({ err }, 'shutdown failed');
            resolve(1);
          },
        );
    };
    // SIGHUP re-reads the TLS certificate files (rotation) without stopping.
    const reload = (): void => {
      agent.log.info({ signal: 'SIGHUP' }, 'reloading TLS certificates');
      agent.reloadTls();
    };
    process.on('SIGHUP', reload);
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

function portFlag(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new TollgateError('TOLLGATE_CONFIG_INVALID', `-${name}: invalid port "${s}"`);
  return Number(s);
}
