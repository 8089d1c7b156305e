import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { formatToken, formatTokenStubs } from '../token-output.js';

/** `tollgate acl token info <accessor_id>`: shows one token by its accessor. */
export const aclTokenInfoCommand: CommandSpec = {
  name: 'acl token info',
  synopsis: 'Fetch information on an existing ACL token',
  usage: 'tollgate acl token info [options] <accessor_id>',
  description:
    'Info is used to fetch information on an existing ACL token. Requires a management\n' +
    'token, or the token\'s own secret.',
  optionsTitle: 'Info Options',
  flags: [
    { name: 'children', kind: 'bool', help: 'Also list the token\'s direct children (the tokens revoked with it).' },
    { ...JSON_FLAG, help: 'Output the ACL token in JSON format (with -children: {"Token","Children"}).' },
  ],
  clientFlags: true,
  async run(ctx) {
    const accessor = ctx.args[0];
    if (ctx.args.length !== 1 || accessor === undefined) {
      return ctx.usageError('This command takes one argument: <accessor_id>');
    }
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.readToken(accessor);
      if (!ctx.flags.bool('children')) {
        ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatToken(data));
        return 0;
      }
      const children = (await client.tokenChildren(accessor)).data;
      if (ctx.flags.bool('json')) ctx.out(formatJson({ Token: data, Children: children }));
      else ctx.out(`${formatToken(data)}\n\nChildren\n${children.length === 0 ? '<none>' : formatTokenStubs(children)}`);
      return 0;
    } catch (err) {
      return ctx.fail('Error fetching token', err);
    }
  },
};
