import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { formatRole } from '../role-output.js';

/** `tollgate acl role info [-by-name] <role_id|name>`: one role. */
export const aclRoleInfoCommand: CommandSpec = {
  name: 'acl role info',
  synopsis: 'Fetch information on an existing ACL role',
  usage: 'tollgate acl role info [options] <acl_role_id>',
  description:
    'Info is used to fetch information on an existing ACL role. Requires a management\n' +
    'token, or a token linked to the role.',
  optionsTitle: 'ACL Info Options',
  flags: [
    { name: 'by-name', kind: 'bool', help: 'Look up the ACL role using its name as the identifier. The default\nbehaviour is to look up the role using its ID.' },
    { ...JSON_FLAG, help: 'Output the ACL role in a JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    const key = ctx.args[0];
    if (ctx.args.length !== 1 || key === undefined) return ctx.usageError('This command takes one argument: <acl_role_id>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = ctx.flags.bool('by-name') ? await client.readRoleByName(key) : await client.readRole(key);
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatRole(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error reading ACL role', err);
    }
  },
};
