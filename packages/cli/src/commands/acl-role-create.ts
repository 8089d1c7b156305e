import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { formatRole } from '../role-output.js';

/** `tollgate acl role create -name=… -policy=… [-description=…]`: creates an ACL role. */
export const aclRoleCreateCommand: CommandSpec = {
  name: 'acl role create',
  synopsis: 'Create a new ACL role',
  usage: 'tollgate acl role create [options]',
  description:
    'Create is used to create new ACL roles. Requires a management token.\n' +
    'A role is a named set of ACL policies that tokens can link to.',
  optionsTitle: 'ACL Create Options',
  flags: [
    {
      name: 'name',
      kind: 'string',
      help: 'Sets the human readable name for the ACL role. The name must be between\n1-256 characters and is a required parameter.',
    },
    { name: 'description', kind: 'string', help: 'A free form text description of the role that must not exceed 256\ncharacters.' },
    {
      name: 'policy',
      kind: 'list',
      help: 'Specifies a policy to associate with the role identified by their name. This\nflag can be specified multiple times and must be specified at least once.',
    },
    { ...JSON_FLAG, help: 'Output the ACL role in a JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const name = ctx.flags.string('name') ?? '';
    if (name === '') return ctx.usageError('ACL role name must be specified using the -name flag');
    const policies = ctx.flags.list('policy');
    if (policies.length === 0) return ctx.usageError('At least one policy name must be specified using the -policy flag');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.createRole({
        Name: name,
        Description: ctx.flags.string('description') ?? '',
        Policies: policies.map((p) => ({ Name: p })),
      });
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatRole(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error creating ACL role', err);
    }
  },
};
