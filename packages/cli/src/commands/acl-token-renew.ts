import type { AclTokenRenewRequest } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { formatToken } from '../token-output.js';

/** `tollgate acl token renew [-increment=1h] [<accessor_id>]`: extends a token's lease. */
export const aclTokenRenewCommand: CommandSpec = {
  name: 'acl token renew',
  synopsis: 'Renew the lease of an ACL token',
  usage: 'tollgate acl token renew [options] [<accessor_id>]',
  description:
    'Renew extends the lease (expiry) of a token: the calling token itself when no\n' +
    'accessor is given; any token with a management token. The new expiry is now +\n' +
    'increment (default: the token\'s TTL, or its period), never past its explicit\n' +
    'max TTL, the agent\'s max TTL or its parent\'s expiry. A token without a lease\n' +
    'cannot be renewed; an expired one neither.',
  optionsTitle: 'Renew Options',
  flags: [
    { name: 'increment', kind: 'string', placeholder: '1h', help: 'The lease to ask for, from now (a duration such as "30m" or "1h").' },
    { ...JSON_FLAG, help: 'Output the renewed ACL token in JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length > 1) return ctx.usageError('This command takes at most one argument: <accessor_id>');
    const accessor = ctx.args[0];
    const req: AclTokenRenewRequest = {};
    const increment = ctx.flags.string('increment');
    if (increment !== undefined && increment !== '') req.Increment = increment;
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.renewToken(accessor === 'self' ? undefined : accessor, req);
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatToken(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error renewing token', err);
    }
  },
};
