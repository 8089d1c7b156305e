import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { readFileOrStdin } from '../read-input.js';
import { formatToken } from '../token-output.js';

/** `tollgate acl bootstrap [options] [<path>]`: creates the first management token. */
export const aclBootstrapCommand: CommandSpec = {
  name: 'acl bootstrap',
  synopsis: 'Bootstrap the ACL system for initial token',
  usage: 'tollgate acl bootstrap [options] [<path>]',
  description:
    'Bootstrap is used to bootstrap the ACL system and get an initial token.\n\n' +
    'With no argument the agent generates the bootstrap token. To choose the\n' +
    'SecretID yourself, put it (a UUID) in a file at <path>, or pass "-" to read\n' +
    'it from stdin.\n\n' +
    'Bootstrap works once. To run it again, write the reset index printed by the\n' +
    'failed attempt into <data_dir>/server/acl-bootstrap-reset on the\n' +
    'authoritative agent.',
  optionsTitle: 'Bootstrap Options',
  flags: [JSON_FLAG],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length > 1) return ctx.usageError('This command takes up to one argument');
    let secret = '';
    const path = ctx.args[0];
    if (path !== undefined && path !== '') {
      try {
        secret = await readFileOrStdin(path, ctx.io);
      } catch (err) {
        return ctx.fail('Error reading provided token', err);
      }
    }
    // A secret typed or piped in usually ends with one newline; only that goes.
    secret = secret.endsWith('\n') ? secret.slice(0, -1) : secret;
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.bootstrap(secret === '' ? {} : { bootstrapSecret: secret });
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatToken(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error bootstrapping', err);
    }
  },
};
