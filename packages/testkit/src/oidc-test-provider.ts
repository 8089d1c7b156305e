/**
 * A real OpenID provider for tests: the certified `oidc-provider` package,
 * in the test's process, over HTTPS on loopback with a CA of its own (made
 * by the same code as `tollgate tls`) and its own RSA signing key. One
 * confidential client (`client_secret_basic`, PKCE required) with the
 * redirect URIs the test gives; accounts with claims the test gives
 * (`groups` included). The login page is replaced by {@link TestOidcProvider.login}:
 * an HTTP driver that follows the provider's redirects and posts the
 * login the way a browser form would, so no browser is needed. Consent is
 * granted automatically (a first-party client). Test-only: nothing in the
 * agent imports this file.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { createCa, createCert, type CertAndKey } from '@tollgate/server';

/** Options of {@link startTestOidcProvider}. */
export interface TestOidcProviderOptions {
  /** Redirect URIs registered for the client (exact). */
  readonly redirectUris: readonly string[];
  /** Accounts by login name: the claims their ID token and userinfo carry (`sub` = the name unless given). */
  readonly accounts: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** @default "tollgate" */
  readonly clientId?: string;
  /** A CA to sign the provider's certificate; @default a new one */
  readonly ca?: CertAndKey;
}

/** A running provider. */
export interface TestOidcProvider {
  /** `https://localhost:<port>`: the issuer and OIDCDiscoveryURL. */
  readonly issuer: string;
  /** The provider's key set over HTTPS (for JWT auth methods' `JWKSURL`). */
  readonly jwksUri: string;
  /** PEM of the CA that signed the provider's certificate (`DiscoveryCaPem`, `JWKSCACert`). */
  readonly caPem: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The public half of the signing key, PEM (for `JWTValidationPubKeys`). */
  readonly publicKeyPem: string;
  /**
   * Plays the user at the provider: opens `authUrl`, logs in as `user`,
   * and follows the provider's redirects up to the redirect URI, which is
   * returned (with `code`, `state`, `iss`) and not opened.
   * @throws when the provider answers an error instead.
   */
  login(authUrl: string, user: string): Promise<URL>;
  /** Signs a JWT with the provider's key (`iss` = the issuer unless given). */
  signJwt(claims: JWTPayload, opts?: { alg?: string; kid?: string }): Promise<string>;
  close(): Promise<void>;
}

const SCOPES = ['openid', 'profile', 'email', 'groups'];

/** Starts a provider on 127.0.0.1 (port 0); close it in the test's `afterAll`. */
export async function startTestOidcProvider(opts: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const ca = opts.ca ?? createCa({ commonName: 'Tollgate test OIDC CA' });
  const tls = createCert({ ca, kind: 'server' });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${randomBytes(4).toString('hex')}`;
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const clientId = opts.clientId ?? 'tollgate';
  const clientSecret = randomBytes(24).toString('base64url');

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://localhost:${port}`;

  const config: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [...opts.redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: SCOPES,
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    features: { devInteractions: { enabled: false }, userinfo: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const claims = opts.accounts[sub];
      if (claims === undefined) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...claims }) };
    },
    // A first-party client: the consent prompt is answered by granting what it asks.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { Grant } = ctx.oidc.provider;
      const clientId = ctx.oidc.client?.clientId ?? '';
      const accountId = ctx.oidc.session?.accountId ?? '';
      const existing = ctx.oidc.session?.grantIdFor(clientId);
      if (existing !== undefined) {
        const found = await Grant.find(existing);
        if (found !== undefined) return found;
      }
      const grant = new Grant({ clientId, accountId });
      grant.addOIDCScope(SCOPES.join(' '));
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, config);
  // Stack traces of refused requests would only clutter the test output.
  provider.on('server_error', () => {});

  const providerHandler = provider.callback();
  server.on('request', (req, res) => {
    const m = /^\/interaction\/([\w-]+)\/login$/.exec(req.url ?? '');
    if (m !== null && req.method === 'POST') {
      // The login form: `user=<name>`; the provider resumes the authorization.
      void readForm(req)
        .then(async (form) => {
          const user = form.get('user') ?? '';
          if (opts.accounts[user] === undefined) {
            res.writeHead(401, { 'content-type': 'text/plain' }).end('unknown user');
            return;
          }
          await provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
        })
        .catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
      return;
    }
    if (/^\/interaction\/[\w-]+$/.test(req.url ?? '') && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<form method="post" action="' + req.url + '/login"><input name="user"></form>');
      return;
    }
    void providerHandler(req, res);
  });

  const dispatcher = new Agent({ connect: { ca: ca.certPem } });
  const signingKey = privateKey;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    caPem: ca.certPem,
    clientId,
    clientSecret,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    login: (authUrl, user) => drive(dispatcher, issuer, opts.redirectUris, authUrl, user),
    signJwt: (claims, o = {}) => sign(signingKey, jwk, issuer, claims, o.alg ?? 'RS256', o.kid ?? kid),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.close();
    },
  };
}

async function sign(key: KeyObject, jwk: object, issuer: string, claims: JWTPayload, alg: string, kid: string): Promise<string> {
  const signer = alg === 'RS256' ? key : await importJWK(jwk as never, alg);
  return new SignJWT({ iss: issuer, ...claims }).setProtectedHeader({ alg, kid }).sign(signer as never);
}

/** Follows the provider's redirects with a cookie jar, posting the login form when asked. */
async function drive(dispatcher: Agent, issuer: string, redirectUris: readonly string[], authUrl: string, user: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authUrl);
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 12; hop++) {
    if (url.origin !== issuer) {
      if (redirectUris.some((r) => url.href.startsWith(r))) return url;
      throw new Error(`the provider redirected to an unexpected place: ${url.origin}${url.pathname}`);
    }
    const res = await undiciFetch(url, {
      method,
      redirect: 'manual',
      dispatcher,
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(body === undefined ? {} : { body }),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location') ?? '', url);
      method = 'GET';
      body = undefined;
      continue;
    }
    if (res.status === 200 && /^\/interaction\/[\w-]+$/.test(url.pathname)) {
      url = new URL(`${url.pathname}/login`, url);
      method = 'POST';
      body = new URLSearchParams({ user }).toString();
      continue;
    }
    throw new Error(`the provider answered ${res.status} at ${url.pathname}: ${text.slice(0, 300)}`);
  }
  throw new Error('too many redirects at the provider');
}

async function readForm(req: AsyncIterable<Buffer>): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 4096) throw new Error('form too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
