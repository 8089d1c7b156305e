import type { AclJobACL } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { readFileOrStdin } from '../read-input.js';

/**
 * `tollgate acl policy apply [-description d] [-namespace ns [-job j [-group g [-task t]]]] <name> <path|->`:
 * creates or replaces a policy, optionally attached to a workload (JobACL).
 */
export const aclPolicyApplyCommand: CommandSpec = {
  name: 'acl policy apply',
  synopsis: 'Create or update an ACL policy',
  usage: 'tollgate acl policy apply [options] <name> <path>',
  description:
    'Apply is used to create or update an ACL policy. The policy is\n' +
    'sourced from <path> or from stdin if path is "-". HCL and JSON are both\n' +
    'accepted; the agent validates the rules. Requires a management token.',
  optionsTitle: 'Apply Options',
  flags: [
    { name: 'description', kind: 'string', help: 'Specifies a human readable description for the policy.' },
    { name: 'namespace', kind: 'string', help: 'Attaches the policy to the specified namespace. Requires that -job is also set.' },
    { name: 'job', kind: 'string', help: 'Attaches the policy to the specified job. Requires that -namespace is also set.' },
    { name: 'group', kind: 'string', help: 'Attaches the policy to the specified task group. Requires that -namespace\nand -job are also set.' },
    { name: 'task', kind: 'string', help: 'Attaches the policy to the specified task. Requires that -namespace, -job\nand -group are also set.' },
  ],
  clientFlags: true,
  async run(ctx) {
    const [name, path] = ctx.args;
    if (ctx.args.length !== 2 || name === undefined || path === undefined) {
      return ctx.usageError('This command takes two arguments: <name> and <path>');
    }
    // Nomad's checks, in its order; JobACL is sent only with -namespace.
    const [namespace, job, group, task] = (['namespace', 'job', 'group', 'task'] as const).map((f) => ctx.flags.string(f) ?? '');
    if (job !== '' && namespace === '') return ctx.usageError('-namespace is required if -job is set');
    if (group !== '' && job === '') return ctx.usageError('-job is required if -group is set');
    if (task !== '' && group === '') return ctx.usageError('-group is required if -task is set');
    const jobACL: AclJobACL | null = namespace === '' ? null : { Namespace: namespace ?? '', JobID: job ?? '', Group: group ?? '', Task: task ?? '' };
    let rules: string;
    try {
      rules = await readFileOrStdin(path, ctx.io);
    } catch (err) {
      return ctx.fail(path === '-' ? 'Failed to read stdin' : 'Failed to read file', err);
    }
    const client = ctx.client();
    if (!client) return 1;
    try {
      await client.writePolicy({ Name: name, Description: ctx.flags.string('description') ?? '', Rules: rules, JobACL: jobACL });
    } catch (err) {
      return ctx.fail('Error writing ACL policy', err);
    }
    ctx.out(`Successfully wrote ${JSON.stringify(name)} ACL policy!`);
    return 0;
  },
};
