import type { AclTokenListStub } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson, formatList } from '../format.js';
import { FILTER_FLAG, JSON_FLAG, filterOption } from '../general-flags.js';

/** `tollgate acl token list`: a table of every token of the region. */
export const aclTokenListCommand: CommandSpec = {
  name: 'acl token list',
  synopsis: 'List ACL tokens',
  usage: 'tollgate acl token list [options]',
  description: 'List is used to list existing ACL tokens. Requires a management token.',
  optionsTitle: 'List Options',
  flags: [
    { ...JSON_FLAG, help: 'Output the ACL tokens in a JSON format.' },
    FILTER_FLAG,
  ],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    let tokens: AclTokenListStub[];
    try {
      // Every page: the agent answers at most 10,000 tokens at a time.
      tokens = (await client.listAllTokens(filterOption(ctx.flags.string('filter')))).data;
    } catch (err) {
      return ctx.fail('Error listing ACL tokens', err);
    }
    if (ctx.flags.bool('json')) {
      ctx.out(formatJson(tokens));
      return 0;
    }
    if (tokens.length === 0) {
      ctx.out('No tokens found');
      return 0;
    }
    const now = Date.now();
    const rows = tokens.map((t) => {
      const expires = t.ExpirationTime ? Date.parse(t.ExpirationTime) : Number.NaN;
      return [t.Name, t.Type, String(t.Global), t.AccessorID, String(expires < now)];
    });
    ctx.out(formatList([['Name', 'Type', 'Global', 'Accessor ID', 'Expired'], ...rows]));
    return 0;
  },
};
