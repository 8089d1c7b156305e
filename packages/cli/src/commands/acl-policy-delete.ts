import type { CommandSpec } from '../command.js';

/** `tollgate acl policy delete <name>`: removes a policy (tokens keep the name and lose its rights). */
export const aclPolicyDeleteCommand: CommandSpec = {
  name: 'acl policy delete',
  synopsis: 'Delete an existing ACL policy',
  usage: 'tollgate acl policy delete [options] <name>',
  description: 'Delete is used to delete an existing ACL policy. Requires a management token.',
  flags: [],
  clientFlags: true,
  async run(ctx) {
    const name = ctx.args[0];
    if (ctx.args.length !== 1 || name === undefined) return ctx.usageError('This command takes one argument: <name>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      await client.deletePolicy(name);
    } catch (err) {
      return ctx.fail('Error deleting ACL policy', err);
    }
    ctx.out(`Successfully deleted ${name} policy!`);
    return 0;
  },
};
