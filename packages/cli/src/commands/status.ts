import type { CommandSpec } from '../command.js';

/** `tollgate status`: is the agent reachable, and who does it think I am. */
export const statusCommand: CommandSpec = {
  name: 'status',
  synopsis: 'Show agent reachability and the current token',
  usage: 'tollgate status [options]',
  description:
    'Status checks that the agent answers (GET /v1/agent/health) and shows which\n' +
    'token the CLI is using: its type and name, or anonymous when none is set.\n' +
    'Exits 1 when the agent cannot be reached or the token is refused.',
  flags: [],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    ctx.out(`Address: ${client.address}`);
    try {
      await client.agentHealth();
    } catch (err) {
      return ctx.fail('Error querying agent', err);
    }
    ctx.out('Agent: reachable');
    try {
      const { data: t } = await client.readSelfToken();
      ctx.out(t.AccessorID === 'anonymous' ? 'Token: anonymous' : `Token: ${t.Type} ${JSON.stringify(t.Name)} (accessor ${t.AccessorID})`);
      return 0;
    } catch (err) {
      return ctx.fail('Error reading token', err);
    }
  },
};
