import type { CommandSpec } from '../command.js';

/** `tollgate acl role delete <role_id>`: removes a role (tokens linked to it lose its policies). */
export const aclRoleDeleteCommand: CommandSpec = {
  name: 'acl role delete',
  synopsis: 'Delete an existing ACL role',
  usage: 'tollgate acl role delete [options] <acl_role_id>',
  description:
    'Delete is used to delete an existing ACL role. Requires a management token.\n' +
    'Tokens linked to the role keep working with their other policies and roles.',
  flags: [],
  clientFlags: true,
  async run(ctx) {
    const id = ctx.args[0];
    if (ctx.args.length !== 1 || id === undefined) return ctx.usageError('This command takes one argument: <acl_role_id>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      await client.deleteRole(id);
    } catch (err) {
      return ctx.fail('Error deleting ACL role', err);
    }
    ctx.out(`ACL role ${id} successfully deleted`);
    return 0;
  },
};
