import type { AclAuthMethod, AclAuthMethodListStub, AclBindingRule, AclBindingRuleListStub } from '@tollgate/client';
import { formatGoTime, formatKV, formatList } from './format.js';

function orNone(v: string | undefined): string {
  return v === undefined || v === '' ? '<none>' : v;
}

function list(v: readonly string[] | undefined): string {
  return v === undefined || v.length === 0 ? '<none>' : v.join(',');
}

function mappings(m: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `{${k}: ${v}}`).join('; ');
}

/**
 * The auth method block of `acl auth-method create|update|info`, as Nomad's
 * `formatAuthMethod` and `formatAuthMethodConfig`: the method, a blank line,
 * `Auth Method Config`, a blank line, the provider settings (the client
 * secret as the server shows it: `redacted`).
 */
export function formatAuthMethod(m: AclAuthMethod): string {
  const c = m.Config;
  const head = formatKV([
    ['Name', m.Name],
    ['Type', m.Type],
    ['Locality', m.TokenLocality],
    ['Max Token TTL', m.MaxTokenTTL],
    ['Token Name Format', m.TokenNameFormat],
    ['Default', String(m.Default)],
    ['Create Index', String(m.CreateIndex)],
    ['Modify Index', String(m.ModifyIndex)],
  ]);
  const config = formatKV([
    ['JWT Validation Public Keys', list(c.JWTValidationPubKeys?.map(() => '<pem>'))],
    ['JWKS URL', orNone(c.JWKSURL)],
    ['OIDC Discovery URL', orNone(c.OIDCDiscoveryURL)],
    ['OIDC Client ID', orNone(c.OIDCClientID)],
    ['OIDC Client Secret', orNone(c.OIDCClientSecret)],
    ['OIDC Disable UserInfo', String(c.OIDCDisableUserInfo ?? false)],
    ['OIDC Scopes', list(c.OIDCScopes)],
    ['Bound audiences', list(c.BoundAudiences)],
    ['Bound issuer', list(c.BoundIssuer)],
    ['Allowed redirects URIs', list(c.AllowedRedirectURIs)],
    ['Discovery CA pem', list(c.DiscoveryCaPem?.map(() => '<pem>'))],
    ['JWKS CA cert', c.JWKSCACert ? '<pem>' : '<none>'],
    ['Signing algorithms', list(c.SigningAlgs)],
    ['Expiration Leeway', orNone(c.ExpirationLeeway)],
    ['NotBefore Leeway', orNone(c.NotBeforeLeeway)],
    ['ClockSkew Leeway', orNone(c.ClockSkewLeeway)],
    ['Claim mappings', mappings(c.ClaimMappings)],
    ['List claim mappings', mappings(c.ListClaimMappings)],
  ]);
  return `${head}\n\nAuth Method Config\n\n${config}`;
}

/** The `acl auth-method list` table (Nomad's `formatAuthMethods`). */
export function formatAuthMethods(methods: readonly AclAuthMethodListStub[]): string {
  if (methods.length === 0) return 'No ACL auth methods found';
  return formatList([['Name', 'Type', 'Default'], ...methods.map((m) => [m.Name, m.Type, String(m.Default)])]);
}

/** The binding rule block (Nomad's `formatACLBindingRule`). */
export function formatBindingRule(r: AclBindingRule): string {
  return formatKV([
    ['ID', r.ID],
    ['Description', r.Description],
    ['Auth Method', r.AuthMethod],
    ['Selector', JSON.stringify(r.Selector)],
    ['Bind Type', r.BindType],
    ['Bind Name', r.BindName],
    ['Create Time', r.CreateTime ? formatGoTime(r.CreateTime) : ''],
    ['Modify Time', r.ModifyTime ? formatGoTime(r.ModifyTime) : ''],
    ['Create Index', String(r.CreateIndex)],
    ['Modify Index', String(r.ModifyIndex)],
  ]);
}

/** The `acl binding-rule list` table (Nomad's `formatACLBindingRules`). */
export function formatBindingRules(rules: readonly AclBindingRuleListStub[]): string {
  if (rules.length === 0) return 'No ACL binding rules found';
  return formatList([['ID', 'Description', 'Auth Method'], ...rules.map((r) => [r.ID, r.Description, r.AuthMethod])]);
}
