import type { AclAuthMethodListStub, AclToken, TollgateClient } from '@tollgate/client';
import type { CommandContext, CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { DEFAULT_OIDC_CALLBACK_ADDR, OidcCallbackServer } from '../oidc-callback-server.js';
import { canOpenBrowser, openBrowser } from '../open-browser.js';
import { formatToken } from '../token-output.js';

/** How long the CLI waits for the browser to come back: the agent's state lifetime. */
const OIDC_WAIT_MS = 10 * 60_000;

/**
 * `tollgate login [-method=NAME] [-type=OIDC|JWT] [-login-token=…]`:
 * exchanges an external identity for a Tollgate token (Nomad's `nomad
 * login`). Without `-method` the default method (of `-type`, when given)
 * is used; without `-type` the method's own. JWT: the signed token is
 * exchanged at `/v1/acl/login`. OIDC: a browser login through the provider
 * (auth-url, the local callback listener, complete-auth).
 */
export const loginCommand: CommandSpec = {
  name: 'login',
  synopsis: 'Login to Tollgate using an auth method',
  usage: 'tollgate login [options]',
  description:
    'Login is used to exchange an identity from an auth method (a signed JWT, or an\n' +
    'OIDC login in the browser) for a Tollgate ACL token. The token is printed;\n' +
    'export its Secret ID as TOLLGATE_TOKEN (or NOMAD_TOKEN) to use it.\n\n' +
    'For an OIDC method it listens on -oidc-callback-addr for the provider to send\n' +
    'the browser back, prints the provider URL to visit (and opens a browser when\n' +
    'run in a terminal on a desktop), then completes the login.',
  optionsTitle: 'Login Options',
  flags: [
    { name: 'method', kind: 'string', help: 'The name of the ACL auth method to login to. If the cluster administrator\nhas configured a default, this flag is optional.' },
    { name: 'type', kind: 'string', help: 'Type of the auth method to login to (OIDC or JWT). Looked up from the method\nwhen omitted.' },
    {
      name: 'oidc-callback-addr',
      kind: 'string',
      help: `The address to use for the local OIDC callback server. This should be given\nin the form of <IP>:<PORT> and defaults to "${DEFAULT_OIDC_CALLBACK_ADDR}".`,
    },
    { name: 'login-token', kind: 'string', help: 'Login token used for authentication: the signed JWT. Only for JWT methods.' },
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
    let data: AclToken;
    if (type === 'JWT') {
      const loginToken = ctx.flags.string('login-token') ?? '';
      if (loginToken === '') return ctx.usageError('You need to provide a login token (-login-token) for JWT login');
      try {
        data = (await client.login({ AuthMethodName: methodName, LoginToken: loginToken })).data;
      } catch (err) {
        return ctx.fail('Error performing login', err);
      }
    } else {
      try {
        data = await loginOidc(ctx, client, methodName);
      } catch (err) {
        return ctx.fail('Error performing login', err);
      }
    }
    if (ctx.flags.bool('json')) ctx.out(formatJson(data));
    else ctx.out(`Successfully logged in via ${type} and ${methodName}\n\n${formatToken(data)}`);
    return 0;
  },
};

/** The interactive OIDC login: callback listener, auth URL, browser, callback, complete-auth. */
async function loginOidc(ctx: CommandContext, client: TollgateClient, method: string): Promise<AclToken> {
  const callback = await OidcCallbackServer.listen(ctx.flags.string('oidc-callback-addr') ?? DEFAULT_OIDC_CALLBACK_ADDR);
  try {
    const base = { AuthMethodName: method, RedirectURI: callback.redirectUri, ClientNonce: callback.nonce };
    const { data } = await client.oidcAuthUrl(base);
    const state = new URL(data.AuthURL).searchParams.get('state');
    if (state === null || state === '') throw new Error('the agent answered an auth URL without a state');
    callback.expectState(state);
    ctx.out(`Complete the login via your OIDC provider. Visit this URL to sign in:\n\n    ${data.AuthURL}\n`);
    if (canOpenBrowser(ctx.io)) openBrowser(data.AuthURL);
    ctx.out('Waiting for OIDC authentication to complete...');
    const cb = await callback.wait(OIDC_WAIT_MS);
    const { data: token } = await client.oidcCompleteAuth({ ...base, State: cb.state, Code: cb.code, ...(cb.iss === undefined ? {} : { Iss: cb.iss }) });
    return token;
  } finally {
    await callback.close();
  }
}
