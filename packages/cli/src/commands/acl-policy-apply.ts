import type { CommandSpec } from '../command.js';
import { readFileOrStdin } from '../read-input.js';

/** `tollgate acl policy apply [-description d] <name> <path|->`: creates or replaces a policy. */
export const aclPolicyApplyCommand: CommandSpec = {
  name: 'acl policy apply',
  synopsis: 'Create or update an ACL policy',
  usage: 'tollgate acl policy apply [options] <name> <path>',
  description:
    'Apply is used to create or update an ACL policy. The policy is\n' +
    'sourced from <path> or from stdin if path is "-". HCL and JSON are both\n' +
    'accepted; the agent validates the rules. Requires a management token.',
  optionsTitle: 'Apply Options',
  flags: [{ name: 'description', kind: 'string', help: 'Specifies a human readable description for the policy.' }],
  clientFlags: true,
  async run(ctx) {
    const [name, path] = ctx.args;
    if (ctx.args.length !== 2 || name === undefined || path === undefined) {
      return ctx.usageError('This command takes two arguments: <name> and <path>');
    }
    let rules: string;
    try {
      rules = await readFileOrStdin(path, ctx.io);
    } catch (err) {
      return ctx.fail(path === '-' ? 'Failed to read stdin' : 'Failed to read file', err);
    }
    const client = ctx.client();
    if (!client) return 1;
    try {
      await client.writePolicy({ Name: name, Description: ctx.flags.string('description') ?? '', Rules: rules });
    } catch (err) {
      return ctx.fail('Error writing ACL policy', err);
    }
    ctx.out(`Successfully wrote ${JSON.stringify(name)} ACL policy!`);
    return 0;
  },
};
