import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { formatGoDurationNs, parseGoDuration } from '@tollgate/acl';
import { checkAuthMethodConfig } from '@tollgate/state';
import type { ACLAuthMethod, ACLAuthMethodConfig } from '@tollgate/state';
import { Type } from '@sinclair/typebox';
import { BadRequestError } from '../errors.js';
import { booleanField, durationField, field, requestBody, stringField } from '../request-body.js';
import { multiError } from '../tokens.js';

/** Nomad's `ValidACLAuthMethod`: letters, digits, `-` and `_`, 1–128 characters. */
export const AUTH_METHOD_NAME_RE = /^[a-zA-Z0-9_-]{1,128}$/;
/** The method types (Nomad ≥ 1.5.4). */
export const AUTH_METHOD_TYPES: readonly string[] = ['JWT', 'OIDC'];
/** Nomad's default `TokenNameFormat`. */
export const DEFAULT_TOKEN_NAME_FORMAT = '${auth_method_type}-${auth_method_name}';
/**
 * What the API shows instead of a set OIDC client secret (Nomad ≥ 1.9.7,
 * CVE-2025-1296). Sent back unchanged on an update, it keeps the stored
 * secret, so a read-edit-write cycle does not replace the secret with this
 * word.
 */
export const REDACTED_SECRET = 'redacted';
/**
 * Asymmetric JWS algorithms a method may accept (the default is `RS256`).
 * `none` and the HMAC algorithms are refused: a method verifies with public
 * keys, and an HS256 "signature" made with a public key as the secret
 * would otherwise pass.
 */
export const SUPPORTED_SIGNING_ALGS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

const NS_PER_MS = 1_000_000;

/** The TTL bounds of the agent (`acl.token_min_expiration_ttl` / `max`), in ms. */
export interface MaxTtlBounds {
  readonly minMs: number;
  readonly maxMs: number;
}

/** A Go duration string or integer nanoseconds, as Nomad's decoders take them; `undefined` when absent or `""`. */
function durationNs(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new BadRequestError(`Request decode failed: ${name} must be a non-negative duration`);
    return v;
  }
  if (typeof v !== 'string') throw new BadRequestError(`Request decode failed: ${name} must be a duration string or nanoseconds`);
  let ms: number;
  try {
    ms = parseGoDuration(v);
  } catch {
    throw new BadRequestError(`Request decode failed: ${name}: invalid duration "${v.slice(0, 64)}"`);
  }
  if (ms < 0) throw new BadRequestError(`Request decode failed: ${name} must be a non-negative duration`);
  return Math.round(ms * NS_PER_MS);
}

/** Go's `Duration.String()`, or `""` for zero (Nomad's MarshalJSON of these fields). */
export function durationText(ns: number): string {
  return ns === 0 ? '' : formatGoDurationNs(ns);
}

/**
 * The request's `Config` with durations as nanoseconds, shape-checked by
 * the store's own check (so the API and the store agree on every field).
 */
function decodeConfig(raw: Readonly<Record<string, unknown>>): ACLAuthMethodConfig {
  const withNs: Record<string, unknown> = { ...raw };
  for (const k of ['ExpirationLeeway', 'NotBeforeLeeway', 'ClockSkewLeeway'] as const) {
    withNs[k] = durationNs(raw[k], `Config.${k}`) ?? 0;
  }
  try {
    return checkAuthMethodConfig(withNs, 'Config');
  } catch (err) {
    throw new BadRequestError(`Request decode failed: ${(err as Error).message}`);
  }
}

/** An auth method body (`POST /v1/acl/auth-method[/:name]`). */
export const AUTH_METHOD_BODY = requestBody({
  Default: booleanField(),
  Name: stringField(),
  Type: stringField(),
  TokenLocality: stringField(),
  MaxTokenTTL: durationField(),
  // Its fields are checked by the store's own check (decodeConfig).
  Config: field(Type.Object({}), 'must be an object'),
  TokenNameFormat: stringField(),
  DisplayName: stringField(),
});

/**
 * Type-checks and validates an auth method body
 * (`POST /v1/acl/auth-method[/:name]`) as Nomad's handler, `Merge` and
 * `Validate` do, and builds the method to store.
 *
 * - An update (`existing` given) takes `Type`, `TokenLocality`,
 *   `MaxTokenTTL` and `Config` from the stored method when the body leaves
 *   them empty (Nomad's `ACLAuthMethod.Merge`); `Default` is as sent.
 * - `Config.OIDCClientSecret` equal to `redacted` keeps the stored secret.
 * - Errors are Nomad's: `auth method 0 invalid: <multierror>` with
 *   `invalid name '…'`, `invalid token locality '…'`,
 *   `invalid token type '…'`, `invalid MaxTokenTTL value '…' (should be
 *   between … and …)`, plus Tollgate's checks of the provider settings.
 */
export function decodeAuthMethodRequest(
  body: unknown,
  pathName: string | undefined,
  existing: ACLAuthMethod | undefined,
  bounds: MaxTtlBounds,
  now: Date,
): ACLAuthMethod {
  const b = AUTH_METHOD_BODY.decode(body);
  const name = b.Name ?? '';
  if (pathName !== undefined && name !== pathName) throw new BadRequestError('ACL auth method name does not match request path');
  const type = b.Type || existing?.Type || '';
  const locality = b.TokenLocality || existing?.TokenLocality || '';
  const maxTtl = durationNs(b.MaxTokenTTL, 'MaxTokenTTL') ?? existing?.MaxTokenTTL ?? 0;
  let config: ACLAuthMethodConfig;
  if (b.Config === undefined || b.Config === null) {
    config = existing?.Config ?? checkAuthMethodConfig({}, 'Config');
  } else {
    config = decodeConfig(b.Config);
  }
  if (config.OIDCClientSecret === REDACTED_SECRET) {
    config = { ...config, OIDCClientSecret: existing?.Config.OIDCClientSecret ?? '' };
  }

  const errs: string[] = [];
  if (!AUTH_METHOD_NAME_RE.test(name)) errs.push(`invalid name '${name.slice(0, 140)}'`);
  if (locality !== 'local' && locality !== 'global') errs.push(`invalid token locality '${locality.slice(0, 64)}'`);
  if (!AUTH_METHOD_TYPES.includes(type)) errs.push(`invalid token type '${type.slice(0, 64)}'`);
  const minNs = Math.round(bounds.minMs * NS_PER_MS);
  const maxNs = Math.round(bounds.maxMs * NS_PER_MS);
  if (maxTtl < minNs || maxTtl > maxNs) {
    errs.push(
      `invalid MaxTokenTTL value '${formatGoDurationNs(maxTtl)}' (should be between ${formatGoDurationNs(minNs)} and ${formatGoDurationNs(maxNs)})`,
    );
  }
  errs.push(...configErrors(type, config));
  if (errs.length > 0) throw new BadRequestError(`auth method 0 invalid: ${multiError(errs)}`);

  const method: ACLAuthMethod = {
    Name: name,
    Type: type,
    TokenLocality: locality,
    MaxTokenTTL: maxTtl,
    TokenNameFormat: b.TokenNameFormat || DEFAULT_TOKEN_NAME_FORMAT,
    DisplayName: b.DisplayName ?? '',
    Default: b.Default === true,
    Config: config,
    Hash: '',
    CreateTime: existing?.CreateTime ?? now.toISOString(),
    ModifyTime: now.toISOString(),
    CreateIndex: 0,
    ModifyIndex: 0,
  };
  return { ...method, Hash: authMethodHash(method) };
}

/** The provider-settings checks, per type. Messages name fields, never values of secrets. */
function configErrors(type: string, c: ACLAuthMethodConfig): string[] {
  const errs: string[] = [];
  for (const alg of c.SigningAlgs) {
    if (!SUPPORTED_SIGNING_ALGS.includes(alg)) {
      errs.push(`unsupported signing algorithm '${alg.slice(0, 32)}' (supported: ${SUPPORTED_SIGNING_ALGS.join(', ')})`);
    }
  }
  if (type === 'JWT') {
    const sources = [c.JWTValidationPubKeys.length > 0, c.JWKSURL !== '', c.OIDCDiscoveryURL !== ''].filter(Boolean).length;
    if (sources === 0) errs.push('one of JWTValidationPubKeys, JWKSURL or OIDCDiscoveryURL is required for a JWT auth method');
    if (sources > 1) errs.push('JWTValidationPubKeys, JWKSURL and OIDCDiscoveryURL are mutually exclusive');
    c.JWTValidationPubKeys.forEach((pem, i) => {
      try {
        const key = createPublicKey(pem);
        if (key.asymmetricKeyType === undefined) throw new Error('not an asymmetric key');
      } catch {
        errs.push(`unable to parse public key for JWT auth: JWTValidationPubKeys[${i}] is not a PEM public key`);
      }
    });
  }
  if (type === 'OIDC') {
    if (c.OIDCDiscoveryURL === '') errs.push('OIDCDiscoveryURL is required for an OIDC auth method');
    if (c.OIDCClientID === '') errs.push('OIDCClientID is required for an OIDC auth method');
    if (c.OIDCClientSecret === '') errs.push('OIDCClientSecret is required for an OIDC auth method');
    if (c.AllowedRedirectURIs.length === 0) errs.push('AllowedRedirectURIs must not be empty for an OIDC auth method');
  }
  if (c.JWKSURL !== '' && !isHttpsUrl(c.JWKSURL)) errs.push('JWKSURL must be an https:// URL');
  if (c.OIDCDiscoveryURL !== '' && !isHttpUrl(c.OIDCDiscoveryURL)) errs.push('OIDCDiscoveryURL must be an http(s):// URL');
  const pems: Array<[string, string]> = [
    ...(c.JWKSCACert === '' ? [] : [['JWKSCACert', c.JWKSCACert] as [string, string]]),
    ...c.DiscoveryCaPem.map((p, i): [string, string] => [`DiscoveryCaPem[${i}]`, p]),
  ];
  for (const [field, pem] of pems) {
    try {
      new X509Certificate(pem);
    } catch {
      errs.push(`${field} is not a PEM certificate`);
    }
  }
  return errs;
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:';
  } catch {
    return false;
  }
}

function isHttpUrl(s: string): boolean {
  try {
    const p = new URL(s).protocol;
    return p === 'https:' || p === 'http:';
  } catch {
    return false;
  }
}

/**
 * SHA-256 (base64) over the method's user fields in Nomad's `SetHash` order
 * (Nomad: blake2b-256). Unlike Nomad, the OIDC client secret is left out:
 * the hash is shown by the unauthenticated list, and a hash over a
 * guessable secret would let anyone test guesses offline.
 */
export function authMethodHash(m: Omit<ACLAuthMethod, 'Hash'>): string {
  const h = createHash('sha256');
  const { OIDCClientSecret: _secret, ...config } = m.Config;
  h.update(
    JSON.stringify([m.Name, m.Type, m.TokenLocality, m.MaxTokenTTL, m.Default, m.TokenNameFormat, m.DisplayName, config]),
  );
  return h.digest('base64');
}

/** An auth method's config as the API shows it: durations as Go strings, the client secret redacted. */
export interface AuthMethodConfigView extends Omit<ACLAuthMethodConfig, 'ExpirationLeeway' | 'NotBeforeLeeway' | 'ClockSkewLeeway'> {
  readonly ExpirationLeeway: string;
  readonly NotBeforeLeeway: string;
  readonly ClockSkewLeeway: string;
}

/** An auth method as `GET /v1/acl/auth-method/:name` answers it (Nomad's JSON; the client secret `redacted`). */
export interface AuthMethodView {
  readonly Name: string;
  readonly Type: string;
  readonly DisplayName: string;
  readonly TokenLocality: string;
  readonly TokenNameFormat: string;
  readonly MaxTokenTTL: string;
  readonly Default: boolean;
  readonly Config: AuthMethodConfigView;
  readonly Hash: string;
  readonly CreateTime: string;
  readonly ModifyTime: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

export function authMethodView(m: ACLAuthMethod): AuthMethodView {
  const c = m.Config;
  return {
    Name: m.Name,
    Type: m.Type,
    DisplayName: m.DisplayName,
    TokenLocality: m.TokenLocality,
    TokenNameFormat: m.TokenNameFormat,
    MaxTokenTTL: durationText(m.MaxTokenTTL),
    Default: m.Default,
    Config: {
      ...c,
      OIDCClientSecret: c.OIDCClientSecret === '' ? '' : REDACTED_SECRET,
      ExpirationLeeway: durationText(c.ExpirationLeeway),
      NotBeforeLeeway: durationText(c.NotBeforeLeeway),
      ClockSkewLeeway: durationText(c.ClockSkewLeeway),
    },
    Hash: m.Hash,
    CreateTime: m.CreateTime,
    ModifyTime: m.ModifyTime,
    CreateIndex: m.CreateIndex,
    ModifyIndex: m.ModifyIndex,
  };
}

/** `GET /v1/acl/auth-methods` entries (Nomad's `ACLAuthMethodStub`, plus `DisplayName`). */
export interface AuthMethodStub {
  readonly Name: string;
  readonly DisplayName: string;
  readonly Type: string;
  readonly Default: boolean;
  readonly Hash: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

export function authMethodStub(m: ACLAuthMethod): AuthMethodStub {
  return {
    Name: m.Name,
    DisplayName: m.DisplayName,
    Type: m.Type,
    Default: m.Default,
    Hash: m.Hash,
    CreateIndex: m.CreateIndex,
    ModifyIndex: m.ModifyIndex,
  };
}
