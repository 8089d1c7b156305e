import type { CommandSpec } from '../command.js';
import { readAll } from '../read-input.js';

/** `tollgate audit hash <secret|->`: the form a secret takes in the audit log. */
export const auditHashCommand: CommandSpec = {
  name: 'audit hash',
  synopsis: 'Hash a secret as the audit log writes it',
  usage: 'tollgate audit hash [options] <secret|->',
  description:
    'Hash asks the agent for the HMAC-SHA256 of a secret under its region\'s audit\n' +
    'key: the form the secret takes in that region\'s audit log, so its lines can be\n' +
    'found with grep. Needs a management token. Pass "-" to read the secret from\n' +
    'stdin, which keeps it out of the shell history and the process list.',
  flags: [],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 1) return ctx.usageError('This command takes one argument: <secret> or "-"');
    let input = ctx.args[0] as string;
    if (input === '-') {
      input = (await readAll(ctx.io.stdin)).replace(/\r?\n$/, '');
    }
    if (input === '') return ctx.usageError('The secret must not be empty');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.auditHash(input);
      ctx.out(data.Hash);
      return 0;
    } catch (err) {
      return ctx.fail('Error hashing', err);
    }
  },
};
