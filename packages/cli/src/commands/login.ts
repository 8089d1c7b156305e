import type { AclToken, TollgateClient } from '@tollgate/client';
import type { CommandContext, CommandSpec } from '../command.js';
import { formatJson } from '../format.js';
import { JSON_FLAG } from '../general-flags.js';
import { DEFAULT_OIDC_CALLBACK_ADDR, OidcCallbackServer } from '../oidc-callback-server.js';
import { canOpenBrowser, openBrowser } from '../open-browser.js';
import { formatToken } from '../token-output.js';

/** How long the CLI waits for the browser to come back: the agent's state lifetime. */
const OIDC_WAIT_MS = 10 * 60_000;

/** `tollgate login`: exchanges an external identity for a Tollgate token, as `nomad login`. */
export const loginCommand: CommandSpec = {
  name: 'login',
  synopsis: 'Login to Tollgate using an auth method',
  usage: 'tollgate login [options]',
  description:
    'The login command will exchange the provided third party credentials with the\n' +
    'requested auth method for a newly minted Tollgate ACL token.\n\n' +
    'For an OIDC method it listens on -oidc-callback-addr for the provider to send\n' +
    'the browser back, prints the provider URL to visit (and opens a browser when\n' +
    'run in a terminal on a desktop), then completes the login.',
  optionsTitle: 'Login Options',
  flags: [
    {
      name: 'method',
      kind: 'string',
      help: 'The name of the ACL auth method to login to. If the cluster administrator\nhas configured a default, this flag is optional.',
    },
    { name: 'type', kind: 'string', help: 'The type of the auth method: OIDC or JWT. Read from the method when not given.' },
    {
      name: 'oidc-callback-addr',
      kind: 'string',
      help: `The address to use for the local OIDC callback server. This should be given\nin the form of <IP>:<PORT> and defaults to "${DEFAULT_OIDC_CALLBACK_ADDR}".`,
    },
    {
      name: 'login-token',
      kind: 'string',
      help: 'Login token used for authentication that will be exchanged for a Tollgate ACL\nToken. It is only required if using auth method type other than OIDC.',
    },
    { ...JSON_FLAG, help: 'Output the ACL token in JSON format.' },
  ],
  clientFlags: true,
  async run(ctx) {
    if (ctx.args.length !== 0) return ctx.usageError('This command takes no arguments');
    const type = (ctx.flags.string('type') ?? '').toUpperCase();
    if (type !== '' && type !== 'OIDC' && type !== 'JWT') return ctx.usageError(`Unsupported authentication type "${type}"`);
    const client = ctx.client();
    if (!client) return 1;
    const method = ctx.flags.string('method') ?? '';
    if (method === '') {
      ctx.err('Must specify an auth method name, no default found');
      return 1;
    }
    if (type === '') {
      ctx.err('Must specify the auth method type with -type=OIDC or -type=JWT');
      return 1;
    }
    if (type === 'JWT') {
      ctx.err('JWT login is not available in this build');
      return 1;
    }
    let token: AclToken;
    try {
      token = await loginOidc(ctx, client, method);
    } catch (err) {
      return ctx.fail('Error performing login', err);
    }
    if (ctx.flags.bool('json')) {
      ctx.out(formatJson(token));
      return 0;
    }
    ctx.out(`Successfully logged in via ${type} and ${method}\n`);
    ctx.out(formatToken(token));
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
