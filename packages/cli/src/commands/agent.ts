import type { CommandSpec } from '../command.js';

/**
 * The agent entry point that `@tollgate/server` exports: takes the agent's
 * flags, runs until the agent stops, resolves to the exit code.
 */
export type RunAgentCommand = (args: string[]) => Promise<number>;

// Loaded lazily so that every other command starts without pulling in the
// server (fastify, LevelDB, gRPC). The annotation checks the server's export
// against the signature the CLI relies on.
async function loadRunAgentCommand(): Promise<RunAgentCommand | undefined> {
  const mod: { runAgentCommand?: RunAgentCommand } = await import('@tollgate/server');
  return mod.runAgentCommand;
}

/** `tollgate agent [options]`: runs an agent in the foreground; flags belong to the server. */
export const agentCommand: CommandSpec = {
  name: 'agent',
  synopsis: 'Runs a Tollgate agent',
  usage: 'tollgate agent [options]',
  description:
    'Starts a Tollgate agent and runs until it is interrupted (SIGINT/SIGTERM drain\n' +
    'it first). Configuration comes from -config files (HCL, Nomad agent keys) and\n' +
    'the flags below, which win over the files.',
  optionsTitle: 'Agent Options',
  passThrough: true,
  flags: [
    { name: 'config', kind: 'list', placeholder: '<path>', help: 'A config file (HCL or JSON) to load. May be given several times;\nlater files win.' },
    { name: 'dev', kind: 'bool', help: 'Development mode: a throwaway data dir, region "global", bound to 127.0.0.1.' },
    { name: 'region', kind: 'string', placeholder: '<region>', help: 'The region this agent serves. Default = global' },
    { name: 'data-dir', kind: 'string', placeholder: '<path>', help: 'Where the agent keeps its state.' },
    { name: 'bind', kind: 'string', placeholder: '<addr>', help: 'The address the HTTP and RPC listeners bind to.' },
    { name: 'http-port', kind: 'string', placeholder: '<port>', help: 'HTTP API port (0 picks a free one). Default = 4646' },
    { name: 'rpc-port', kind: 'string', placeholder: '<port>', help: 'Inter-region gRPC port (0 picks a free one). Default = 4647' },
    { name: 'log-level', kind: 'string', placeholder: '<level>', help: 'trace, debug, info, warn or error. Default = info' },
  ],
  clientFlags: false,
  async run(ctx) {
    let run: RunAgentCommand | undefined;
    try {
      run = await loadRunAgentCommand();
    } catch (err) {
      return ctx.fail('Error loading the agent', err);
    }
    if (typeof run !== 'function') {
      ctx.err('Error loading the agent: @tollgate/server does not export runAgentCommand');
      return 1;
    }
    return run([...ctx.args]);
  },
};
