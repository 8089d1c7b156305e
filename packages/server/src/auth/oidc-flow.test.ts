import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../errors.js';
import { startTestOidcProvider } from '@tollgate/testkit/oidc';
import type { TestOidcProvider } from '@tollgate/testkit/oidc';
import { OidcDiscovery } from './oidc-discovery.js';
import { OIDC_STATE_TTL_MS, OidcFlow } from './oidc-flow.js';
import type { OidcAuthMethod, OidcAuthMethodConfig } from './oidc-method.js';
import { MemoryOidcStateStore } from './oidc-state-store.js';

const REDIRECT = 'http://localhost:4649/oidc/callback';
const OTHER_REDIRECT = 'http://127.0.0.1:4646/ui/settings/tokens';
const NONCE = 'nonce-0123456789abcdef';

let idp: TestOidcProvider;
beforeAll(async () => {
  idp = await startTestOidcProvider({
    redirectUris: [REDIRECT, OTHER_REDIRECT],
    accounts: {
      alice: { email: 'alice@example.com', groups: ['engineering', 'ops'] },
      bob: { email: 'bob@example.com', groups: ['sales'] },
    },
  });
});
afterAll(async () => {
  await idp?.close();
});

/** A flow over one method (overridable config), a fresh state store and clock. */
function setup(config: Partial<OidcAuthMethodConfig> = {}, index = 1) {
  let now = Date.now();
  const method: OidcAuthMethod = {
    Name: 'corp',
    Type: 'OIDC',
    ModifyIndex: index,
    Config: {
      OIDCDiscoveryURL: idp.issuer,
      OIDCClientID: idp.clientId,
      OIDCClientSecret: idp.clientSecret,
      OIDCScopes: ['email', 'groups'],
      OIDCDisableUserInfo: false,
      BoundAudiences: [],
      AllowedRedirectURIs: [REDIRECT, OTHER_REDIRECT],
      DiscoveryCaPem: [idp.caPem],
      SigningAlgs: [],
      ClockSkewLeeway: 0,
      ...config,
    },
  };
  const methods = new Map<string, OidcAuthMethod>([[method.Name, method], ['ci', { ...method, Name: 'ci', Type: 'JWT' }]]);
  const flow = new OidcFlow({
    methodByName: (n) => methods.get(n),
    states: new MemoryOidcStateStore({ now: () => now }),
    discovery: new OidcDiscovery(),
    now: () => now,
  });
  return { flow, advance: (ms: number) => (now += ms) };
}

/** auth-url, then the user logs in at the provider: the callback's code, state and iss. */
async function start(flow: OidcFlow, user = 'alice', redirect = REDIRECT) {
  const { AuthURL } = await flow.authUrl({ AuthMethodName: 'corp', RedirectURI: redirect, ClientNonce: NONCE });
  const cb = await idp.login(AuthURL, user);
  return {
    AuthURL,
    body: {
      AuthMethodName: 'corp',
      RedirectURI: redirect,
      ClientNonce: NONCE,
      State: cb.searchParams.get('state') ?? '',
      Code: cb.searchParams.get('code') ?? '',
      Iss: cb.searchParams.get('iss') ?? undefined,
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: string; message: string } | undefined;
  if (err === undefined) throw new Error('expected a refusal');
  return err;
}

describe('OIDC flow against a real provider', () => {
  it('builds an authorization URL with state, the client nonce, PKCE S256 and the scopes', async () => {
    const { flow } = setup();
    const { AuthURL } = await flow.authUrl({ AuthMethodName: 'corp', RedirectURI: REDIRECT, ClientNonce: NONCE });
    const u = new URL(AuthURL);
    expect(u.origin).toBe(idp.issuer);
    expect(u.searchParams.get('client_id')).toBe(idp.clientId);
    expect(u.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(u.searchParams.get('response_type')).toBe('code');
    expect(u.searchParams.get('scope')).toBe('openid email groups');
    expect(u.searchParams.get('nonce')).toBe(NONCE);
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(u.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
  });

  it('completes a login: the code is exchanged and the claims carry the userinfo groups', async () => {
    const { flow } = setup();
    const { body } = await start(flow);
    const login = await flow.completeAuth(body);
    expect(login.method.Name).toBe('corp');
    expect(login.claims.sub).toBe('alice');
    expect(login.claims.iss).toBe(idp.issuer);
    expect(login.claims.groups).toEqual(['engineering', 'ops']);
    expect(login.claims.email).toBe('alice@example.com');
  });

  it('with OIDCDisableUserInfo only the ID token claims are used', async () => {
    const { flow } = setup({ OIDCDisableUserInfo: true });
    const { body } = await start(flow, 'bob');
    const login = await flow.completeAuth(body);
    expect(login.claims.sub).toBe('bob');
    // oidc-provider puts scope claims in userinfo, not in the ID token of a code flow.
    expect(login.claims.groups).toBeUndefined();
  });

  it('a state is single use: the second complete-auth is refused as used', async () => {
    const { flow } = setup();
    const { body } = await start(flow);
    await flow.completeAuth(body);
    const err = await refusal(flow.completeAuth(body));
    expect(err.code).toBe('TOLLGATE_OIDC_STATE');
    expect(err.message).toContain('used already');
  });

  it('an unknown state is refused before the provider is asked', async () => {
    const { flow } = setup();
    const { body } = await start(flow);
    const err = await refusal(flow.completeAuth({ ...body, State: 'not-a-state-we-issued' }));
    expect(err.code).toBe('TOLLGATE_OIDC_STATE');
    expect(err.message).toContain('not issued');
    // The real state still works: the wrong one spent nothing.
    expect((await flow.completeAuth(body)).claims.sub).toBe('alice');
  });

  it('an expired state is refused as expired', async () => {
    const { flow, advance } = setup();
    const { body } = await start(flow);
    advance(OIDC_STATE_TTL_MS + 1);
    const err = await refusal(flow.completeAuth(body));
    expect(err.code).toBe('TOLLGATE_OIDC_STATE');
    expect(err.message).toContain('expired');
  });

  it('a wrong nonce is refused, and spends the state', async () => {
    const { flow } = setup();
    const { body } = await start(flow);
    const err = await refusal(flow.completeAuth({ ...body, ClientNonce: 'another-nonce-0123456789' }));
    expect(err.code).toBe('TOLLGATE_OIDC_NONCE');
    expect(hasErrorCode(await refusal(flow.completeAuth(body)), 'TOLLGATE_OIDC_STATE')).toBe(true);
  });

  it('a redirect URI outside AllowedRedirectURIs is refused at auth-url', async () => {
    const { flow } = setup({ AllowedRedirectURIs: [REDIRECT] });
    const err = await refusal(flow.authUrl({ AuthMethodName: 'corp', RedirectURI: 'http://evil.example/cb', ClientNonce: NONCE }));
    expect(err.code).toBe('TOLLGATE_OIDC_REDIRECT_URI');
    expect(err.message).toContain('AllowedRedirectURIs');
  });

  it('a redirect URI other than the auth-url one is refused at complete-auth', async () => {
    const { flow } = setup();
    const { body } = await start(flow);
    const err = await refusal(flow.completeAuth({ ...body, RedirectURI: OTHER_REDIRECT }));
    expect(err.code).toBe('TOLLGATE_OIDC_REDIRECT_URI');
  });

  it('a redirect URI with a query is refused (it could not be repeated byte for byte)', async () => {
    const { flow } = setup({ AllowedRedirectURIs: [`${REDIRECT}?x=1`] });
    const err = await refusal(flow.authUrl({ AuthMethodName: 'corp', RedirectURI: `${REDIRECT}?x=1`, ClientNonce: NONCE }));
    expect(err.code).toBe('TOLLGATE_OIDC_REDIRECT_URI');
  });

  it('an ID token whose audience is not in BoundAudiences is refused', async () => {
    const { flow } = setup({ BoundAudiences: ['someone-else'] });
    const { body } = await start(flow);
    const err = await refusal(flow.completeAuth(body));
    expect(err.code).toBe('TOLLGATE_OIDC_PROVIDER_REFUSED');
    expect(err.message).toContain('BoundAudiences');
  });

  it('an ID token signed with an algorithm outside SigningAlgs is refused', async () => {
    const { flow } = setup({ SigningAlgs: ['ES256'] });
    const { body } = await start(flow);
    const err = await refusal(flow.completeAuth(body));
    expect(err.code).toBe('TOLLGATE_OIDC_PROVIDER_REFUSED');
    // openid-client's error holds the token's claims: it is not kept.
    expect((err as { cause?: unknown }).cause).toBeUndefined();
    expect(err.message).not.toContain('alice');
  });

  it('a code the provider does not know is refused by the provider', async () => {
    const { flow } = setup();
    const { body } = await start(flow);
    const err = await refusal(flow.completeAuth({ ...body, Code: 'forged-code' }));
    expect(err.code).toBe('TOLLGATE_OIDC_PROVIDER_REFUSED');
    expect(err.message).toContain('invalid_grant');
  });

  it('without DiscoveryCaPem the provider is not trusted: 502, nothing cached', async () => {
    const { flow } = setup({ DiscoveryCaPem: [] });
    const err = await refusal(flow.authUrl({ AuthMethodName: 'corp', RedirectURI: REDIRECT, ClientNonce: NONCE }));
    expect(err.code).toBe('TOLLGATE_AUTH_PROVIDER');
    expect(err.message).toContain('discovery');
  });

  it('refuses bad bodies, unknown methods and non-OIDC methods with 400s', async () => {
    const { flow } = setup();
    const codes = await Promise.all([
      refusal(flow.authUrl(null)),
      refusal(flow.authUrl({ AuthMethodName: 'corp', RedirectURI: REDIRECT })),
      refusal(flow.authUrl({ AuthMethodName: 'corp', RedirectURI: REDIRECT, ClientNonce: 'short' })),
      refusal(flow.authUrl({ AuthMethodName: 'nope', RedirectURI: REDIRECT, ClientNonce: NONCE })),
      refusal(flow.authUrl({ AuthMethodName: 'ci', RedirectURI: REDIRECT, ClientNonce: NONCE })),
      refusal(flow.completeAuth({ AuthMethodName: 'corp', RedirectURI: REDIRECT, ClientNonce: NONCE, State: 's' })),
      refusal(flow.completeAuth({ AuthMethodName: 'corp', RedirectURI: REDIRECT, ClientNonce: NONCE, State: 's', Code: 'c'.repeat(9000) })),
    ]);
    expect(codes.map((e) => e.code)).toEqual(Array(7).fill('TOLLGATE_BAD_REQUEST'));
    expect(codes[4]!.message).toContain('not OIDC');
  });
});
