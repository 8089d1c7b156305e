import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { FILTER_FLAG, JSON_FLAG, filterOption } from '../general-flags.js';
import { formatRoles } from '../role-output.js';

/** `tollgate acl role list`: a table of the roles the caller may see. */
export const aclRoleListCommand: CommandSpec = {
  name: 'acl role list',
  synopsis: 'List ACL roles',
  usage: 'tollgate acl role list [options]',
  description:
    'List is used to list existing ACL roles. A management token sees every role;\n' +
    'other tokens see the roles linked to them.',
  optionsTitle: 'ACL List Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL roles in a JSON format.' }, FILTER_FLAG],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.listRoles(filterOption(ctx.flags.string('filter')));
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatRoles(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error listing ACL roles', err);
    }
  },
};
