import type { AclAuthMethodListStub } from '@tollgate/client';
import type { CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { formatToken } from '../token-output.js';

/**
 * `tollgate login -method=NAME -type=JWT -login-token=…`: exchanges an
 * external identity for a Tollgate token (Nomad's `nomad login`). JWT
 * only here; without `-method` the default method of the type is used.
 */
export const loginCommand: CommandSpec = {
  name: 'login',
  synopsis: 'Login to Tollgate using an auth method',
  usage: 'tollgate login [options]',
  description:
    'Login is used to exchange an identity from an auth method (a signed JWT) for a\n' +
    'Tollgate ACL token. The token is printed; export its Secret ID as\n' +
    'TOLLGATE_TOKEN (or NOMAD_TOKEN) to use it.',
  optionsTitle: 'Login Options',
  flags: [
    { name: 'method', kind: 'string', help: 'The name of the ACL auth method to login to. If the cluster administrator\nhas configured a default, this flag is optional.' },
    { name: 'type', kind: 'string', help: 'Type of the auth method to login to (JWT). Looked up from the method when\nomitted.' },
    { name: 'login-token', kind: 'string', help: 'Login token used for authentication: the signed JWT.' },
    { ...JSON_FLAG, help: 'Output the ACL token in JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const client = ctx.client();
    if (!client) return 1;
    let methodName = ctx.flags.string('method') ?? '';
    let type = (ctx.flags.string('type') ?? '').toUpperCase();
    if (type !== '' && type !== 'JWT' && type !== 'OIDC') return ctx.usageError(`Unsupported auth method type: ${type}`);
    let methods: AclAuthMethodListStub[];
    try {
      methods = (await client.listAuthMethods()).data;
    } catch (err) {
      return ctx.fail('Error listing ACL auth methods', err);
    }
    if (methodName === '') {
      const defaults = methods.filter((m) => m.Default && (type === '' || m.Type === type));
      if (defaults.length !== 1) {
        ctx.err('Error: Must specify an auth method name, no default found');
        return 1;
      }
      methodName = (defaults[0] as AclAuthMethodListStub).Name;
    }
    const method = methods.find((m) => m.Name === methodName);
    if (method === undefined) {
      ctx.err(`Error: auth-method "${methodName}" not found`);
      return 1;
    }
    if (type === '') type = method.Type;
    if (type !== method.Type) {
      ctx.err(`Error: Specified type: ${type} does not match the type of the auth method: ${method.Type}`);
      return 1;
    }
    if (type !== 'JWT') {
      ctx.err(`Error: Unsupported authentication type "${type}"`);
      return 1;
    }
    const loginToken = ctx.flags.string('login-token') ?? '';
    if (loginToken === '') return ctx.usageError('You need to provide a login token (-login-token) for JWT login');
    try {
      const { data } = await client.login({ AuthMethodName: methodName, LoginToken: loginToken });
      if (ctx.flags.bool('json')) ctx.out(formatJson(data));
      else ctx.out(`Successfully logged in via ${type} and ${methodName}\n\n${formatToken(data)}`);
      return 0;
    } catch (err) {
      return ctx.fail('Error performing login', err);
    }
  },
};
