import type { CommandSpec } from '../command.js';

/** `tollgate acl token delete <accessor_id>`: revokes a token. */
export const aclTokenDeleteCommand: CommandSpec = {
  name: 'acl token delete',
  synopsis: 'Delete an existing ACL token',
  usage: 'tollgate acl token delete [options] <accessor_id>',
  description: 'Delete is used to delete an existing ACL token. Requires a management token.',
  flags: [],
  clientFlags: true,
  async run(ctx) {
    const accessor = ctx.args[0];
    if (ctx.args.length !== 1 || accessor === undefined) {
      return ctx.usageError('This command takes one argument: <accessor_id>');
    }
    const client = ctx.client();
    if (!client) return 1;
    try {
      await client.deleteToken(accessor);
    } catch (err) {
      return ctx.fail('Error deleting token', err);
    }
    ctx.out(`Token ${accessor} successfully deleted`);
    return 0;
  },
};
