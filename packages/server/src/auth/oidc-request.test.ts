import { describe, expect, it } from 'vitest';
import { TollgateError } from '../errors.js';
import { multiError } from '../tokens.js';
import { decodeOidcAuthUrlRequest, decodeOidcCompleteAuthRequest } from './oidc-request.js';

const NONCE = 'nonce-0123456789abcdef';
const REDIRECT = 'http://localhost:4649/oidc/callback';
const AUTH_URL = { AuthMethodName: 'corp', RedirectURI: REDIRECT, ClientNonce: NONCE };
const COMPLETE = { ...AUTH_URL, State: 'st_123', Code: 'code_456' };

/** The error `decode(body)` throws: its code and message. */
function refusal(decode: (body: unknown) => unknown, body: unknown): { code: string; message: string } {
  try {
    decode(body);
  } catch (err) {
    if (!(err instanceof TollgateError)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

/** Nomad's `invalid OIDC <what> request: <multierror>`. */
const invalid = (what: string, ...errs: string[]): string => `invalid OIDC ${what} request: ${multiError(errs)}`;

describe('OIDC auth-url body', () => {
  it('decodes a good body; unknown fields are ignored, as Go decodes', () => {
    expect(decodeOidcAuthUrlRequest({ ...AUTH_URL, Extra: [1], Region: 'x' })).toEqual(AUTH_URL);
  });

  it.each([
    ['null', null],
    ['an array', [AUTH_URL]],
    ['a string', 'corp'],
    ['a number', 7],
  ])('a body that is %s is a 400 naming the shape', (_what, body) => {
    expect(refusal(decodeOidcAuthUrlRequest, body)).toEqual({
      code: 'TOLLGATE_BAD_REQUEST',
      message: 'Request decode failed: expected a JSON object',
    });
  });

  it.each([
    ['AuthMethodName', 5],
    ['RedirectURI', ['http://x']],
    ['ClientNonce', true],
    ['ClientNonce', { n: 1 }],
  ])('%s of another JSON type (%j) is a 400 naming the field', (field, value) => {
    expect(refusal(decodeOidcAuthUrlRequest, { ...AUTH_URL, [field]: value })).toEqual({
      code: 'TOLLGATE_BAD_REQUEST',
      message: `Request decode failed: ${field} must be a string`,
    });
  });

  it.each([
    ['AuthMethodName', 'missing auth method name'],
    ['ClientNonce', 'missing client nonce'],
    ['RedirectURI', 'missing redirect URI'],
  ])('%s absent, null or empty is Nomad’s "%s"', (field, text) => {
    for (const value of [undefined, null, '']) {
      expect(refusal(decodeOidcAuthUrlRequest, { ...AUTH_URL, [field]: value })).toEqual({
        code: 'TOLLGATE_BAD_REQUEST',
        message: invalid('auth-url', text),
      });
    }
  });

  it('lists every missing field in Nomad’s order, in Nomad’s text', () => {
    expect(refusal(decodeOidcAuthUrlRequest, {}).message).toBe(
      'invalid OIDC auth-url request: 3 errors occurred:\n\t* missing auth method name\n\t* missing client nonce\n\t* missing redirect URI\n\n',
    );
  });

  it.each([
    [{ ClientNonce: 'short' }, 'ClientNonce must be at least 16 characters'],
    [{ ClientNonce: 'n'.repeat(2049) }, 'ClientNonce is longer than 2048 characters'],
    [{ AuthMethodName: 'm'.repeat(2049) }, 'AuthMethodName is longer than 2048 characters'],
    [{ RedirectURI: `http://h/${'p'.repeat(2048)}` }, 'RedirectURI is longer than 2048 characters'],
    [{ RedirectURI: 'not a url' }, 'RedirectURI is not a URL'],
  ])('%j is a 400: %s', (change, text) => {
    expect(refusal(decodeOidcAuthUrlRequest, { ...AUTH_URL, ...change })).toEqual({ code: 'TOLLGATE_BAD_REQUEST', message: invalid('auth-url', text) });
  });

  it.each(['http://localhost:4649/oidc/callback?x=1', 'http://localhost:4649/oidc/callback#f', 'HTTP://LOCALHOST:4649/oidc/callback'])(
    'a RedirectURI that is not canonical (%s) is TOLLGATE_OIDC_REDIRECT_URI with the canonical form',
    (uri) => {
      const err = refusal(decodeOidcAuthUrlRequest, { ...AUTH_URL, RedirectURI: uri });
      expect(err.code).toBe('TOLLGATE_OIDC_REDIRECT_URI');
      expect(err.message).toBe(
        'invalid OIDC auth-url request: RedirectURI must be a canonical URL without query or fragment (e.g. "http://localhost:4649/oidc/callback")',
      );
    },
  );
});

describe('OIDC complete-auth body', () => {
  it('decodes a good body; Iss absent, null or empty is none; unknown fields are ignored', () => {
    expect(decodeOidcCompleteAuthRequest({ ...COMPLETE, Iss: 'https://idp.example', Other: 1 })).toEqual({ ...COMPLETE, Iss: 'https://idp.example' });
    for (const Iss of [undefined, null, '']) expect(decodeOidcCompleteAuthRequest({ ...COMPLETE, Iss })).toEqual({ ...COMPLETE, Iss: undefined });
  });

  it('a body that is not an object is a 400 naming the shape', () => {
    for (const body of [null, [COMPLETE], 'x']) {
      expect(refusal(decodeOidcCompleteAuthRequest, body).message).toBe('Request decode failed: expected a JSON object');
    }
  });

  it.each(['AuthMethodName', 'ClientNonce', 'State', 'Code', 'RedirectURI', 'Iss'])('%s of another JSON type is a 400 naming the field', (field) => {
    for (const value of [1, false, ['s'], {}]) {
      expect(refusal(decodeOidcCompleteAuthRequest, { ...COMPLETE, [field]: value })).toEqual({
        code: 'TOLLGATE_BAD_REQUEST',
        message: `Request decode failed: ${field} must be a string`,
      });
    }
  });

  it.each([
    ['AuthMethodName', 'missing auth method name'],
    ['ClientNonce', 'missing client nonce'],
    ['State', 'missing state'],
    ['Code', 'missing code'],
    ['RedirectURI', 'missing redirect URI'],
  ])('%s absent, null or empty is Nomad’s "%s"', (field, text) => {
    for (const value of [undefined, null, '']) {
      expect(refusal(decodeOidcCompleteAuthRequest, { ...COMPLETE, [field]: value })).toEqual({
        code: 'TOLLGATE_BAD_REQUEST',
        message: invalid('complete-auth', text),
      });
    }
  });

  it('lists every missing field in Nomad’s order', () => {
    expect(refusal(decodeOidcCompleteAuthRequest, { Iss: 'https://idp.example' }).message).toBe(
      invalid('complete-auth', 'missing auth method name', 'missing client nonce', 'missing state', 'missing code', 'missing redirect URI'),
    );
  });

  it.each([
    [{ State: 's'.repeat(2049) }, 'State is longer than 2048 characters'],
    [{ Code: 'c'.repeat(8193) }, 'Code is longer than 8192 characters'],
    [{ Iss: 'i'.repeat(2049) }, 'Iss is longer than 2048 characters'],
    [{ ClientNonce: 'short' }, 'ClientNonce must be at least 16 characters'],
  ])('%j is a 400: %s', (change, text) => {
    expect(refusal(decodeOidcCompleteAuthRequest, { ...COMPLETE, ...change }).message).toBe(invalid('complete-auth', text));
  });

  it('takes a Code up to 8192 characters', () => {
    expect(decodeOidcCompleteAuthRequest({ ...COMPLETE, Code: 'c'.repeat(8192) }).Code).toHaveLength(8192);
  });

  it('a RedirectURI with a query is TOLLGATE_OIDC_REDIRECT_URI', () => {
    expect(refusal(decodeOidcCompleteAuthRequest, { ...COMPLETE, RedirectURI: `${REDIRECT}?a=b` }).code).toBe('TOLLGATE_OIDC_REDIRECT_URI');
  });
});
