import type { ACLAuthMethod, ACLToken, Mutation, StateStore } from '@tollgate/state';
import { BadRequestError, LoginInvalidError, LoginNoBindingError, ObjectNotFoundError } from '../errors.js';
import { requestBody, stringField } from '../request-body.js';
import type { Logger } from '../logger.js';
import { MAX_TOKEN_NAME, buildToken, multiError, tokenView, type TokenView } from '../tokens.js';
import { BindNameError, bind, claimVariables, type Bindings } from './binder.js';
import { ClaimMappingError, mapClaims } from './claims.js';
import type { MappedClaims } from './claims-selector.js';
import { interpolate, TemplateError } from './interpolate.js';
import type { JwtVerifier } from './jwt-verifier.js';

const NS_PER_MS = 1_000_000;

/** What a login needs from the agent: the committed state, the write path, a logger. */
export interface LoginPorts {
  readonly store: Pick<StateStore, 'listBindingRules' | 'roleByName' | 'policy' | 'role' | 'tokenByAccessor' | 'authMethod'>;
  apply(m: Mutation): Promise<{ index: number }>;
  readonly log: Logger;
}

/**
 * What the audit log records of a login: the method, the mapped claims (the
 * claims the operator chose to map are the auditable ones; the raw token and
 * unmapped claims never are) and the rules that matched.
 */
export interface LoginAuditDetails {
  readonly auth_method: string;
  readonly auth_method_type: string;
  readonly claims: MappedClaims;
  readonly binding_rules: readonly string[];
}

/** A login's answer: the new token (Nomad's JSON, secret included), its index, and what to audit. */
export interface LoginResult {
  readonly index: number;
  readonly body: TokenView;
  readonly token: ACLToken;
  readonly audit: LoginAuditDetails;
}

/**
 * The token name from the method's `TokenNameFormat` (Nomad's default
 * `${auth_method_type}-${auth_method_name}`; `${value.<claim>}` too), at
 * most 256 characters. A format that cannot be interpolated falls back to
 * the default.
 */
export function loginTokenName(method: ACLAuthMethod, claims: MappedClaims): string {
  const vars = { ...claimVariables(method, claims), auth_method_type: method.Type, auth_method_name: method.Name };
  let name: string;
  try {
    name = interpolate(method.TokenNameFormat, vars, false);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    name = `${method.Type}-${method.Name}`;
  }
  return [...name].slice(0, MAX_TOKEN_NAME).join('');
}

/**
 * Turns the verified claims of an external identity into a token, for
 * every auth method type (the JWT login here, the OIDC callback of the
 * OIDC flow): maps the claims, applies the method's binding rules, and
 * commits a token with the matched roles and policies (or a management
 * token), `ExpirationTTL` = the method's `MaxTokenTTL`, global when the
 * method's `TokenLocality` is `global`, named by `TokenNameFormat`.
 *
 * Must run in the region that owns the token: the authoritative region
 * for a `global` method (the caller forwards), this region for `local`.
 *
 * @throws LoginNoBindingError (403, `no role or policy bindings matched`)
 *   when no rule grants anything; the text names no claim value.
 * @throws LoginInvalidError (401) when a claim cannot be mapped.
 */
export async function loginWithVerifiedClaims(
  ctx: LoginPorts,
  method: ACLAuthMethod,
  claims: Readonly<Record<string, unknown>>,
  now: Date = new Date(),
): Promise<LoginResult> {
  let mapped: MappedClaims;
  try {
    mapped = mapClaims(method.Config, claims);
  } catch (err) {
    if (err instanceof ClaimMappingError) throw new LoginInvalidError(`unable to map claims: ${err.message}`);
    throw err;
  }
  let bindings: Bindings;
  try {
    bindings = bind(ctx.store, method, mapped);
  } catch (err) {
    if (err instanceof BindNameError) throw new LoginNoBindingError(err.message);
    throw err;
  }
  if (!bindings.management && bindings.roles.length === 0 && bindings.policies.length === 0) {
    ctx.log.info({ authMethod: method.Name, matchedRules: bindings.matchedRules.length }, 'login refused: no role or policy bindings matched');
    throw new LoginNoBindingError('no role or policy bindings matched');
  }
  const token = buildToken(
    {
      Name: loginTokenName(method, mapped),
      Type: bindings.management ? 'management' : 'client',
      Policies: [...bindings.policies],
      RolesRaw: undefined,
      Roles: [...bindings.roles],
      Global: method.TokenLocality === 'global',
      ExpirationTTLMs: method.MaxTokenTTL / NS_PER_MS,
      ExpirationTime: undefined,
      // A login's token has no parent (ParentAccessorID ''), no Meta, and no lease shape beyond MaxTokenTTL.
      Meta: undefined,
      ExplicitMaxTTLMs: undefined,
      PeriodMs: undefined,
      Orphan: undefined,
      Child: undefined,
    },
    now,
    undefined,
  );
  const { index } = await ctx.apply({ type: 'token-upsert', tokens: [token], mode: 'create' });
  const saved = ctx.store.tokenByAccessor(token.AccessorID);
  if (saved === undefined) throw new ObjectNotFoundError('ACL token not found');
  ctx.log.info(
    { authMethod: method.Name, accessor: saved.AccessorID, type: saved.Type, global: saved.Global, index, matchedRules: bindings.matchedRules },
    'login: token created',
  );
  return {
    index,
    body: tokenView(saved, (id) => ctx.store.role(id)),
    token: saved,
    audit: { auth_method: method.Name, auth_method_type: method.Type, claims: mapped, binding_rules: bindings.matchedRules },
  };
}

/** A `POST /v1/acl/login` body after Nomad's `ACLLoginRequest.Validate`. */
export interface LoginRequest {
  readonly AuthMethodName: string;
  readonly LoginToken: string;
}

/** A `POST /v1/acl/login` body. */
export const LOGIN_BODY = requestBody({ AuthMethodName: stringField(), LoginToken: stringField() });

/** Type-checks and validates a login body (`invalid login request: …`, 400). */
export function decodeLoginRequest(body: unknown): LoginRequest {
  const b = LOGIN_BODY.decode(body);
  const name = b.AuthMethodName ?? '';
  const token = b.LoginToken ?? '';
  const errs: string[] = [];
  if (name === '') errs.push('missing auth method name');
  if (token === '') errs.push('missing login token');
  if (errs.length > 0) throw new BadRequestError(`invalid login request: ${multiError(errs)}`);
  return { AuthMethodName: name, LoginToken: token };
}

/** The method a login names: 400 `auth-method "x" not found` when absent (Nomad's text). */
export function loginMethod(store: Pick<StateStore, 'authMethod'>, name: string): ACLAuthMethod {
  const method = store.authMethod(name);
  if (method === undefined) throw new BadRequestError(`auth-method ${JSON.stringify(name.slice(0, 140))} not found`);
  return method;
}

/**
 * `POST /v1/acl/login` for JWT methods (Nomad's `ACL.Login`): verifies the
 * login token with the method's keys and limits, then
 * `loginWithVerifiedClaims`.
 */
export async function loginWithJwt(ctx: LoginPorts, verifier: JwtVerifier, body: unknown, now: Date = new Date()): Promise<LoginResult> {
  const req = decodeLoginRequest(body);
  const method = loginMethod(ctx.store, req.AuthMethodName);
  if (method.Type !== 'JWT') throw new BadRequestError(`unsupported auth-method type: ${method.Type}`);
  const claims = await verifier.verify(method, req.LoginToken, now);
  return loginWithVerifiedClaims(ctx, method, claims, now);
}
