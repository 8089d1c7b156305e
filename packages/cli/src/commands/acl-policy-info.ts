import type { CommandSpec } from '../command.js';
import { formatJson, formatKV } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';

/** `tollgate acl policy info <name>`: a policy's metadata and rules text. */
export const aclPolicyInfoCommand: CommandSpec = {
  name: 'acl policy info',
  synopsis: 'Fetch info on an existing ACL policy',
  usage: 'tollgate acl policy info [options] <name>',
  description:
    'Info is used to fetch information on an existing ACL policy.\n\n' +
    'This command requires a management ACL token or a token that has the\n' +
    'associated policy.',
  optionsTitle: 'Info Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL policy in JSON format.' }],
  clientFlags: true,
  async run(ctx) {
    const name = ctx.args[0];
    if (ctx.args.length !== 1 || name === undefined) return ctx.usageError('This command takes one argument: <name>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data: p } = await client.readPolicy(name);
      if (ctx.flags.bool('json')) {
        ctx.out(formatJson(p));
        return 0;
      }
      const kv = formatKV([
        ['Name', p.Name],
        ['Description', p.Description],
        ['CreateIndex', String(p.CreateIndex)],
        ['ModifyIndex', String(p.ModifyIndex)],
      ]);
      // nomad prints the headings in bold when colour is on; we never colour.
      const j = p.JobACL;
      const workload =
        j === undefined || j === null
          ? ''
          : `\n\nAssociated Workload\n${formatKV([
              ['Namespace', j.Namespace],
              ['JobID', j.JobID],
              ['Group', j.Group],
              ['Task', j.Task],
            ])}`;
      ctx.out(`${kv}${workload}\n\nRules\n\n${p.Rules}`);
      return 0;
    } catch (err) {
      return ctx.fail('Error fetching info on ACL policy', err);
    }
  },
};
