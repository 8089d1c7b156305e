import type { AclPolicyListStub } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson, formatList } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';

/** `tollgate acl policy self`: the policies of the caller's own token (Nomad's `acl policy self`). */
export const aclPolicySelfCommand: CommandSpec = {
  name: 'acl policy self',
  synopsis: 'Lookup self ACL policy assignment',
  usage: 'tollgate acl policy self [options]',
  description: 'Self is used to fetch information about the policies assigned to the current token.',
  optionsTitle: 'Self Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL policies in a JSON format.' }],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    let policies: AclPolicyListStub[];
    let management: boolean;
    try {
      management = (await client.readSelfToken()).data.Type === 'management';
      policies = (await client.listSelfPolicies()).data;
    } catch (err) {
      return ctx.fail('Error fetching policies', err);
    }
    if (ctx.flags.bool('json')) ctx.out(formatJson(policies));
    else if (management) ctx.out('This is a management token. No individual policies are assigned.');
    else if (policies.length === 0) ctx.out('No policies found for this token.');
    else {
      const rows = policies.map((p) => [p.Name, p.JobACL?.JobID ?? '', p.JobACL?.Group ?? '', p.JobACL?.Task ?? '']);
      ctx.out(formatList([['Name', 'Job ID', 'Group Name', 'Task Name'], ...rows]));
    }
    return 0;
  },
};
