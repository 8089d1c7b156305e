import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { formatToken } from '../token-output.js';

/** `tollgate acl token self`: shows the token the CLI is using. */
export const aclTokenSelfCommand: CommandSpec = {
  name: 'acl token self',
  synopsis: 'Lookup self ACL token',
  usage: 'tollgate acl token self [options]',
  description:
    'Self is used to fetch information about the currently set ACL token, given with\n' +
    '-token or in TOLLGATE_TOKEN (or NOMAD_TOKEN).',
  optionsTitle: 'Self Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL token in JSON format.' }],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    // The agent would answer with the anonymous token; asking "who am I"
    // without a token is almost always a forgotten export, so say so.
    if (!client.hasToken) {
      ctx.err('No token present in the environment or set via the CLI flag');
      return 1;
    }
    try {
      const { data } = await client.readSelfToken();
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatToken(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error fetching self token', err);
    }
  },
};
