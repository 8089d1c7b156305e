import { parseGoDuration } from '@tollgate/acl';
import type { AclTokenCreateRequest, AclTokenType } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG, META_FLAG, ROLE_LINK_FLAGS, metaOf } from '../general-flags.js';
import { readFileOrStdin } from '../read-input.js';
import { formatToken, roleLinks } from '../token-output.js';

/** `tollgate acl token create [options]`: issues a token. */
export const aclTokenCreateCommand: CommandSpec = {
  name: 'acl token create',
  synopsis: 'Create a new ACL token',
  usage: 'tollgate acl token create [options] [<path>]',
  description:
    'Create is used to issue new ACL tokens. Requires a management token.\n\n' +
    'With -accessor, uploads a client token that exists elsewhere (migrating\n' +
    'tokens between clusters): <path> is a file holding its SecretID, or "-"\n' +
    'for stdin. An AccessorID or SecretID already in use is an error.',
  optionsTitle: 'Create Options',
  flags: [
    { name: 'name', kind: 'string', help: 'Sets the human readable name for the ACL token.' },
    {
      name: 'type',
      kind: 'string',
      placeholder: '"client"',
      help: 'Sets the type of token. Must be one of "client" (default), or "management".',
    },
    {
      name: 'global',
      kind: 'bool',
      help: 'Toggles the global mode of the token. Global tokens are replicated to all regions.\nDefault = false',
    },
    {
      name: 'policy',
      kind: 'list',
      help: 'Specifies a policy to associate with the token. Can be specified multiple times,\nbut only with client type tokens.',
    },
    ...ROLE_LINK_FLAGS,
    {
      name: 'ttl',
      kind: 'string',
      help:
        'Specifies the time-to-live of the created ACL token. This takes the form of\n' +
        'a time duration such as "5m" and "1h". By default, tokens will be created\n' +
        'without a TTL and therefore never expire.',
    },
    META_FLAG,
    { name: 'orphan', kind: 'bool', help: 'Creates an orphan: not revoked with the token that creates it (management only).' },
    { name: 'child', kind: 'bool', help: 'Creates a child of the calling token (revoked with it) even when acl.child_tokens is false.' },
    { name: 'explicit-max-ttl', kind: 'string', help: 'A hard cap on the token\'s life: renewals never pass create time + this (e.g. "720h").' },
    { name: 'period', kind: 'string', help: 'Makes a periodic token: each renewal sets its lease to now + period, with no max.' },
    {
      name: 'accessor',
      kind: 'string',
      placeholder: '<uuid>',
      help: 'Uploads a client token with this AccessorID; its SecretID is read from <path>.',
    },
    { ...JSON_FLAG, help: 'Output the ACL token information in JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    const accessor = ctx.flags.string('accessor');
    const upload = accessor !== undefined && accessor !== '';
    if (upload ? ctx.args.length !== 1 : ctx.args.length !== 0) {
      return ctx.usageError(upload ? 'This command takes one argument with -accessor: <path>' : 'This command takes no arguments');
    }
    const req: AclTokenCreateRequest = {
      Name: ctx.flags.string('name') ?? '',
      // Not checked here: the agent answers a bad type with Nomad's own message.
      Type: (ctx.flags.string('type') ?? 'client') as AclTokenType,
      Policies: ctx.flags.list('policy'),
      Global: ctx.flags.bool('global'),
    };
    const roles = roleLinks(ctx.flags.list('role-id'), ctx.flags.list('role-name'));
    if (roles.length > 0) req.Roles = roles;
    const ttl = ctx.flags.string('ttl');
    if (ttl !== undefined && ttl !== '') {
      let ms: number;
      try {
        ms = parseGoDuration(ttl);
      } catch (err) {
        // Go's time.ParseDuration errors read `time: invalid duration "x"`.
        return ctx.fail('Failed to parse TTL as time duration', new Error(`time: ${(err as Error).message}`));
      }
      // Sent as nanoseconds, like nomad; the agent enforces its TTL bounds.
      req.ExpirationTTL = Math.round(ms * 1e6);
    }
    try {
      const meta = metaOf(ctx.flags.list('meta'));
      if (meta !== undefined) req.Meta = meta;
    } catch (err) {
      return ctx.usageError((err as Error).message);
    }
    if (ctx.flags.bool('orphan')) req.Orphan = true;
    if (ctx.flags.bool('child')) req.Child = true;
    // Sent as Go duration strings: the agent parses and bounds them.
    const explicitMax = ctx.flags.string('explicit-max-ttl');
    if (explicitMax !== undefined && explicitMax !== '') req.ExplicitMaxTTL = explicitMax;
    const period = ctx.flags.string('period');
    if (period !== undefined && period !== '') req.Period = period;
    let secret = '';
    if (upload) {
      const path = ctx.args[0] ?? '-';
      try {
        // One trailing newline (as `echo` leaves it) is not part of the secret.
        secret = (await readFileOrStdin(path, ctx.io)).replace(/\r?\n$/, '');
      } catch (err) {
        return ctx.fail(path === '-' ? 'Failed to read stdin' : 'Failed to read file', err);
      }
      if (req.Type !== 'client') return ctx.fail('Error uploading token', new Error('only client tokens can be uploaded'));
    }
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = upload
        ? await client.uploadToken({ ...req, Type: 'client', AccessorID: accessor, SecretID: secret })
        : await client.createToken(req);
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatToken(data));
      return 0;
    } catch (err) {
      return ctx.fail(upload ? 'Error uploading token' : 'Error creating token', err);
    }
  },
};
