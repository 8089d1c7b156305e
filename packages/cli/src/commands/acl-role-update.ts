import type { AclRole } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { formatRole } from '../role-output.js';

/** `tollgate acl role update [options] <role_id>`: changes a role's name, description, policies. */
export const aclRoleUpdateCommand: CommandSpec = {
  name: 'acl role update',
  synopsis: 'Update an existing ACL role',
  usage: 'tollgate acl role update [options] <role_id>',
  description:
    'Update is used to update an existing ACL role. Requires a management token.\n' +
    'Fields not given keep their current value, unless -no-merge is set.',
  optionsTitle: 'Update Options',
  flags: [
    { name: 'name', kind: 'string', help: 'Sets the human readable name for the ACL role.' },
    { name: 'description', kind: 'string', help: 'A free form text description of the role.' },
    {
      name: 'policy',
      kind: 'list',
      help: 'Specifies a policy to associate with the role identified by their name. This\nflag can be specified multiple times.',
    },
    {
      name: 'no-merge',
      kind: 'bool',
      help: 'Do not merge the current role information with what is provided to the\ncommand. Instead overwrite all fields with the exception of the role ID\nwhich is immutable.',
    },
    { ...JSON_FLAG, help: 'Output the ACL role in a JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    const id = ctx.args[0];
    if (ctx.args.length !== 1 || id === undefined) return ctx.usageError('This command takes one argument: <acl_role_id>');
    const client = ctx.client();
    if (!client) return 1;
    let current: AclRole;
    try {
      current = (await client.readRole(id)).data;
    } catch (err) {
      return ctx.fail('Error reading ACL role', err);
    }
    const name = ctx.flags.string('name');
    const description = ctx.flags.string('description');
    const policies = ctx.flags.list('policy');
    let req: { ID: string; Name: string; Description: string; Policies: { Name: string }[] };
    if (ctx.flags.bool('no-merge')) {
      if (name === undefined || name === '') return ctx.usageError('ACL role name must be specified using the -name flag');
      if (policies.length === 0) return ctx.usageError('At least one policy name must be specified using the -policy flag');
      req = { ID: current.ID, Name: name, Description: description ?? '', Policies: policies.map((p) => ({ Name: p })) };
    } else {
      req = {
        ID: current.ID,
        Name: name !== undefined && name !== '' ? name : current.Name,
        Description: description ?? current.Description,
        Policies: policies.length > 0 ? policies.map((p) => ({ Name: p })) : current.Policies.map((p) => ({ Name: p.Name })),
      };
    }
    try {
      const { data } = await client.updateRole(req);
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatRole(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error updating ACL role', err);
    }
  },
};
