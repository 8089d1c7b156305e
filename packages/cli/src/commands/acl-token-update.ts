import type { AclToken, AclTokenType, AclTokenUpdateRequest } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG, META_FLAG, ROLE_LINK_FLAGS, metaOf } from '../general-flags.js';
import { formatToken, roleLinks } from '../token-output.js';

/** `tollgate acl token update [options] <accessor_id>`: changes a token's name, type, policies. */
export const aclTokenUpdateCommand: CommandSpec = {
  name: 'acl token update',
  synopsis: 'Update an existing ACL token',
  usage: 'tollgate acl token update [options] <accessor_id>',
  description:
    'Update is used to update an existing ACL token. Requires a management token.\n\n' +
    'Only the fields whose flags are given change; -policy replaces the whole list.',
  optionsTitle: 'Update Options',
  flags: [
    { name: 'name', kind: 'string', help: 'Sets the human readable name for the ACL token.' },
    { name: 'type', kind: 'string', help: 'Sets the type of token. Must be one of "client" or "management".' },
    {
      name: 'global',
      kind: 'bool',
      help: 'Sets the global mode of the token. The agent refuses to change it on an\nexisting token; given only to state it.',
    },
    {
      name: 'policy',
      kind: 'list',
      help: 'Specifies a policy to associate with the token. Can be specified multiple times,\nbut only with client type tokens. Replaces the token\'s policies.',
    },
    ...ROLE_LINK_FLAGS,
    { ...META_FLAG, help: 'Replaces the token\'s metadata with these keys (key=value). May be specified multiple times;\nnone given keeps it.' },
    { ...JSON_FLAG, help: 'Output the updated ACL token in JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    const accessor = ctx.args[0];
    if (ctx.args.length !== 1 || accessor === undefined) {
      return ctx.usageError('This command takes one argument: <accessor_id>');
    }
    const client = ctx.client();
    if (!client) return 1;
    let current: AclToken;
    try {
      current = (await client.readToken(accessor)).data;
    } catch (err) {
      return ctx.fail('Error fetching token', err);
    }
    // Send the token back whole: the agent replaces every mutable field, so a
    // missing ExpirationTime would clear it and ExpirationTTL must be echoed.
    const req: AclTokenUpdateRequest = {
      AccessorID: current.AccessorID,
      Name: current.Name,
      Type: current.Type,
      Policies: current.Policies,
      Global: current.Global,
      ExpirationTTL: current.ExpirationTTL ?? 0,
      ExpirationTime: current.ExpirationTime ?? null,
    };
    const name = ctx.flags.string('name');
    if (name !== undefined && name !== '') req.Name = name;
    const type = ctx.flags.string('type');
    if (type !== undefined && type !== '') {
      req.Type = type as AclTokenType;
      // Unlike nomad, turning a client token into a management token drops its
      // policies (unless -policy is given), which the agent would otherwise reject.
      if (type === 'management' && current.Type !== 'management') req.Policies = null;
    }
    // Unlike nomad (which resets Global to false when -global is absent and so
    // fails on every global token), Global changes only when the flag is given.
    if (ctx.flags.has('global')) req.Global = ctx.flags.bool('global');
    const policies = ctx.flags.list('policy');
    if (policies.length > 0) req.Policies = policies;
    // As nomad: role flags replace the token's roles; none given keeps them.
    const roles = roleLinks(ctx.flags.list('role-id'), ctx.flags.list('role-name'));
    const kept = (current.Roles ?? []).map((r) => ({ ID: r.ID }));
    if (roles.length > 0) req.Roles = roles;
    else if (kept.length > 0 && req.Type !== 'management') req.Roles = kept;
    try {
      const meta = metaOf(ctx.flags.list('meta'));
      if (meta !== undefined) req.Meta = meta;
    } catch (err) {
      return ctx.usageError((err as Error).message);
    }
    try {
      const { data } = await client.updateToken(req);
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatToken(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error updating token', err);
    }
  },
};
