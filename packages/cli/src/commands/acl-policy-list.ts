import type { AclPolicyListStub } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson, formatList } from '../format.js';
import { FILTER_FLAG, JSON_FLAG, filterOption } from '../general-flags.js';

/** `tollgate acl policy list`: a table of the policies the caller may see. */
export const aclPolicyListCommand: CommandSpec = {
  name: 'acl policy list',
  synopsis: 'List ACL policies',
  usage: 'tollgate acl policy list [options]',
  description:
    'List is used to list available ACL policies. A management token sees every\n' +
    'policy; other tokens see the policies attached to them.',
  optionsTitle: 'List Options',
  flags: [
    { ...JSON_FLAG, help: 'Output the ACL policies in a JSON format.' },
    FILTER_FLAG,
  ],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    let policies: AclPolicyListStub[];
    try {
      policies = (await client.listPolicies(filterOption(ctx.flags.string('filter')))).data;
    } catch (err) {
      return ctx.fail('Error fetching ACL policies', err);
    }
    if (ctx.flags.bool('json')) ctx.out(formatJson(policies));
    else if (policies.length === 0) ctx.out('No policies found');
    else ctx.out(formatList([['Name', 'Description'], ...policies.map((p) => [p.Name, p.Description])]));
    return 0;
  },
};
