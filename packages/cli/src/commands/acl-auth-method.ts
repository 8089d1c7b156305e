import type { AclAuthMethodConfig, AclAuthMethodWriteRequest } from '@tollgate/client';
import type { CommandContext, CommandSpec } from '../command.js';
import type { FlagSpec } from '../flags.js';
import { formatAuthMethod, formatAuthMethods } from '../auth-method-output.js';
import { formatJson } from '../format.js';
import { FILTER_FLAG, JSON_FLAG, filterOption } from '../general-flags.js';
import { readFileOrStdin } from '../read-input.js';

/**
 * `tollgate acl auth-method create|update|info|list|delete`, as Nomad's
 * (command/acl_auth_method_*.go). `-config` takes the provider settings as
 * JSON: inline, `@file.json`, or `-` for stdin.
 */

const METHOD_FLAGS: readonly FlagSpec[] = [
  { name: 'type', kind: 'string', help: 'Sets the type of the auth method. Supported types are OIDC and JWT.' },
  { name: 'display-name', kind: 'string', help: 'Sets a name for the auth method that is shown in the UI and CLI.' },
  { name: 'max-token-ttl', kind: 'string', help: 'Sets the duration of time all tokens created by this auth method should be\nvalid for.' },
  { name: 'token-locality', kind: 'string', help: 'Defines the kind of token that this auth method should produce. This can be\neither local or global.' },
  {
    name: 'token-name-format',
    kind: 'string',
    help: "Sets the token format for the authenticated users. This can be lightly\ntemplated using HIL '${foo}' syntax. Defaults to\n'${auth_method_type}-${auth_method_name}'.",
  },
  {
    name: 'default',
    kind: 'bool',
    help: 'Specifies whether this auth method should be treated as a default one in\ncase no auth method is explicitly specified for a login command.',
  },
  {
    name: 'config',
    kind: 'string',
    help: "Auth method configuration in JSON format. You may provide '-' to send the\nconfig through stdin, or prefix a file path with '@' to indicate that the\nconfig should be loaded from the file.",
  },
  { ...JSON_FLAG, help: 'Output the ACL auth-method in a JSON format.' },
];

/** The `-config` value: inline JSON, `@path`, or `-` (stdin). */
async function readConfig(ctx: CommandContext, raw: string): Promise<AclAuthMethodConfig> {
  const text = raw === '-' ? await readFileOrStdin('-', ctx.io) : raw.startsWith('@') ? await readFileOrStdin(raw.slice(1), ctx.io) : raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`Error parsing the -config JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('Error parsing the -config JSON: expected an object');
  return parsed as AclAuthMethodConfig;
}

/** The write request from the flags that were given. */
async function requestFrom(ctx: CommandContext, name: string): Promise<AclAuthMethodWriteRequest> {
  const f = ctx.flags;
  const req: AclAuthMethodWriteRequest = { Name: name };
  if (f.has('type')) req.Type = f.string('type') ?? '';
  if (f.has('display-name')) req.DisplayName = f.string('display-name') ?? '';
  if (f.has('max-token-ttl')) req.MaxTokenTTL = f.string('max-token-ttl') ?? '';
  if (f.has('token-locality')) req.TokenLocality = f.string('token-locality') ?? '';
  if (f.has('token-name-format')) req.TokenNameFormat = f.string('token-name-format') ?? '';
  req.Default = f.bool('default');
  const config = f.string('config');
  if (config !== undefined && config !== '') req.Config = await readConfig(ctx, config);
  return req;
}

export const aclAuthMethodCreateCommand: CommandSpec = {
  name: 'acl auth-method create',
  synopsis: 'Create a new ACL auth method',
  usage: 'tollgate acl auth-method create [options]',
  description: 'Create is used to create new ACL auth methods. Requires a management token.',
  optionsTitle: 'ACL Auth Method Create Options',
  flags: [
    { name: 'name', kind: 'string', help: 'Sets the human readable name for the ACL auth method. The name must be\nbetween 1-128 characters and is a required parameter.' },
    ...METHOD_FLAGS,
  ],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const name = ctx.flags.string('name') ?? '';
    if (name === '') return ctx.usageError('ACL auth-method name must be specified using the -name flag');
    const type = ctx.flags.string('type') ?? '';
    if (!['OIDC', 'JWT'].includes(type.toUpperCase())) return ctx.usageError('ACL auth-method type must be set to a supported type using the -type flag');
    if (!ctx.flags.has('max-token-ttl')) return ctx.usageError('ACL auth-method max token TTL must be set using the -max-token-ttl flag');
    if (!['local', 'global'].includes(ctx.flags.string('token-locality') ?? '')) {
      return ctx.usageError("ACL auth-method token locality must be set to either 'local' or 'global' using the -token-locality flag");
    }
    if (!ctx.flags.has('config')) return ctx.usageError('Must provide ACL auth-method config using the -config flag');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const req = await requestFrom(ctx, name);
      const { data } = await client.createAuthMethod({ ...req, Type: type.toUpperCase() });
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatAuthMethod(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error creating ACL auth method', err);
    }
  },
};

export const aclAuthMethodUpdateCommand: CommandSpec = {
  name: 'acl auth-method update',
  synopsis: 'Update an existing ACL auth method',
  usage: 'tollgate acl auth-method update [options] <auth-method_name>',
  description:
    "Update is used to update an existing ACL auth method. Flags not given keep the\nmethod's current values. Requires a management token.",
  optionsTitle: 'ACL Auth Method Update Options',
  flags: METHOD_FLAGS,
  clientFlags: true,
  async run(ctx) {
    const name = ctx.args[0];
    if (ctx.args.length !== 1 || name === undefined) return ctx.usageError('This command takes one argument: <auth-method_name>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const current = (await client.readAuthMethod(name)).data;
      const req = await requestFrom(ctx, name);
      const { data } = await client.updateAuthMethod({
        Name: name,
        Type: req.Type ?? current.Type,
        DisplayName: req.DisplayName ?? current.DisplayName ?? '',
        TokenLocality: req.TokenLocality ?? current.TokenLocality,
        TokenNameFormat: req.TokenNameFormat ?? current.TokenNameFormat,
        MaxTokenTTL: req.MaxTokenTTL ?? current.MaxTokenTTL,
        Default: ctx.flags.has('default') ? ctx.flags.bool('default') : current.Default,
        // The stored client secret reads `redacted`; sent back, the server keeps it.
        Config: req.Config ?? current.Config,
      });
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatAuthMethod(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error updating ACL auth method', err);
    }
  },
};

export const aclAuthMethodInfoCommand: CommandSpec = {
  name: 'acl auth-method info',
  synopsis: 'Fetch information on an existing ACL auth method',
  usage: 'tollgate acl auth-method info [options] <auth-method_name>',
  description: 'Info is used to fetch information on an existing ACL auth method. Requires a\nmanagement token.',
  optionsTitle: 'ACL Info Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL auth-method in a JSON format.' }],
  clientFlags: true,
  async run(ctx) {
    const name = ctx.args[0];
    if (ctx.args.length !== 1 || name === undefined) return ctx.usageError('This command takes one argument: <auth-method_name>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.readAuthMethod(name);
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatAuthMethod(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error reading ACL auth method', err);
    }
  },
};

export const aclAuthMethodListCommand: CommandSpec = {
  name: 'acl auth-method list',
  synopsis: 'List ACL auth methods',
  usage: 'tollgate acl auth-method list [options]',
  description: 'List is used to list existing ACL auth methods.',
  optionsTitle: 'ACL List Options',
  flags: [{ ...JSON_FLAG, help: 'Output the ACL auth-methods in a JSON format.' }, FILTER_FLAG],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    try {
      const { data } = await client.listAuthMethods(filterOption(ctx.flags.string('filter')));
      ctx.out(ctx.flags.bool('json') ? formatJson(data) : formatAuthMethods(data));
      return 0;
    } catch (err) {
      return ctx.fail('Error listing ACL auth methods', err);
    }
  },
};

export const aclAuthMethodDeleteCommand: CommandSpec = {
  name: 'acl auth-method delete',
  synopsis: 'Delete an existing ACL auth method',
  usage: 'tollgate acl auth-method delete [options] <auth-method_name>',
  description: 'Delete is used to delete an existing ACL auth method. Requires a management\ntoken.',
  flags: [],
  clientFlags: true,
  async run(ctx) {
    const name = ctx.args[0];
    if (ctx.args.length !== 1 || name === undefined) return ctx.usageError('This command takes one argument: <auth-method_name>');
    const client = ctx.client();
    if (!client) return 1;
    try {
      await client.deleteAuthMethod(name);
      ctx.out(`ACL auth method ${name} successfully deleted`);
      return 0;
    } catch (err) {
      return ctx.fail('Error deleting ACL auth method', err);
    }
  },
};
