import { readFile } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { ACLBindingRule, ACLToken, StateStore } from '@tollgate/state';
import type { ResolvedAgentConfig } from './config.js';
import type { AclWriteOp, AclWriteResult } from './acl-write.js';
import { BadRequestError, ObjectNotFoundError, PermissionDeniedError } from './errors.js';
import { decodePolicyRequest } from './policies.js';
import { decodeRoleRequest, resolveRoleLinks, roleView } from './roles.js';
import type { Identity, TokenResolver } from './token-resolver.js';
import { UUID_RE, bootstrapToken, buildToken, decodeTokenRequest, tokenView, validateToken } from './tokens.js';
import { cappedExpiry, durationMs, initialTtlMs, lineageFor, renewedExpiry, type Lineage } from './token-lifecycle.js';
import { requireAclEnabled } from './acl-enabled.js';
import { durationField, field, requestBody } from './request-body.js';
import { authMethodView, decodeAuthMethodRequest } from './auth/auth-method-request.js';
import { bindingRuleView, decodeBindingRuleRequest } from './auth/binding-rule-request.js';
import type { JwtVerifier } from './auth/jwt-verifier.js';
import { loginWithJwt, type LoginPorts } from './auth/login.js';

/**
 * The ACL write operations, independent of transport (like Nomad's
 * nomad/acl_endpoint.go). The HTTP routes call them in the region that owns
 * the write; a follower forwards the same operation, with the caller's
 * secret, to the authoritative region, which runs it there. Every operation
 * authenticates the secret itself, so a forwarded call is checked by the
 * authoritative region's ACLs.
 */

/** What the write operations need from the agent (it provides them; see agent.ts). */
export interface AclEndpointPorts extends LoginPorts {
  readonly config: Pick<ResolvedAgentConfig, 'acl'>;
  /** The committed state: the checks a write makes before it commits, and the answer it reads back. */
  readonly store: StateStore;
  readonly resolver: Pick<TokenResolver, 'resolve' | 'parseForWrite' | 'settled'>;
  /** `<data_dir>/server/acl-bootstrap-reset`. */
  readonly bootstrapResetFile: string;
  /** Verifies login JWTs (key sets cached across logins). */
  readonly jwtVerifier: JwtVerifier;
}

/** Runs a write operation in this region. */
export async function runWrite(ctx: AclEndpointPorts, secret: string, w: AclWriteOp): Promise<AclWriteResult> {
  requireAclEnabled(ctx.config);
  switch (w.op) {
    case 'bootstrap':
      return bootstrap(ctx, w.body);
    case 'token-upsert':
      return upsertToken(ctx, requireManagement(ctx, secret), w.body, w.accessor);
    case 'token-delete':
      return deleteToken(ctx, requireManagement(ctx, secret), w.accessor, 'revoke');
    case 'token-revoke-orphan':
      return deleteToken(ctx, requireManagement(ctx, secret), w.accessor, 'orphan');
    case 'token-renew':
      return renewToken(ctx, secret, w.body, w.accessor);
    case 'policy-upsert':
      return upsertPolicy(ctx, requireManagement(ctx, secret), w.name, w.body);
    case 'policy-delete':
      return deletePolicy(ctx, requireManagement(ctx, secret), w.name);
    case 'role-upsert':
      return upsertRole(ctx, requireManagement(ctx, secret), w.body, w.id);
    case 'role-delete':
      return deleteRole(ctx, requireManagement(ctx, secret), w.id);
    case 'auth-method-upsert':
      return upsertAuthMethod(ctx, requireManagement(ctx, secret), w.body, w.name);
    case 'auth-method-delete':
      return deleteAuthMethod(ctx, requireManagement(ctx, secret), w.name);
    case 'binding-rule-upsert':
      return upsertBindingRule(ctx, requireManagement(ctx, secret), w.body, w.id);
    case 'binding-rule-delete':
      return deleteBindingRule(ctx, requireManagement(ctx, secret), w.id);
    case 'login': {
      // No token needed: the login token is the credential.
      const { index, body, audit } = await loginWithJwt(ctx, ctx.jwtVerifier, w.body);
      return { index, body, audit: audit as unknown as Record<string, unknown> };
    }
  }
}

/**
 * Whether a write belongs to the authoritative region (facts §6): bootstrap,
 * policies, roles, and global tokens. A token delete or update is global when the
 * token this region knows is global.
 */
export function isGlobalWrite(ctx: { readonly store: Pick<StateStore, 'tokenByAccessor' | 'tokenBySecret' | 'authMethod'> }, w: AclWriteOp, secret = ''): boolean {
  switch (w.op) {
    case 'bootstrap':
    case 'policy-upsert':
    case 'policy-delete':
    case 'role-upsert':
    case 'role-delete':
    case 'auth-method-upsert':
    case 'auth-method-delete':
    case 'binding-rule-upsert':
    case 'binding-rule-delete':
      return true;
    case 'token-delete':
    case 'token-revoke-orphan':
      return ctx.store.tokenByAccessor(w.accessor)?.Global === true;
    case 'login': {
      // Nomad's ACL.Login: a method making global tokens logs in where global tokens are written.
      const name = typeof w.body === 'object' && w.body !== null ? (w.body as { AuthMethodName?: unknown }).AuthMethodName : undefined;
      return typeof name === 'string' && ctx.store.authMethod(name)?.TokenLocality === 'global';
    }
    case 'token-renew':
      // `self`: the caller's own token, as this region knows it.
      return (w.accessor === undefined ? ctx.store.tokenBySecret(secret) : ctx.store.tokenByAccessor(w.accessor))?.Global === true;
    case 'token-upsert': {
      if (w.accessor !== undefined) {
        const known = ctx.store.tokenByAccessor(w.accessor);
        if (known !== undefined) return known.Global;
      }
      const b = w.body as { Global?: unknown } | null;
      return typeof b === 'object' && b !== null && b.Global === true;
    }
  }
}

/** Resolves a secret and insists on a management token. */
export function requireManagement(ctx: AclEndpointPorts, secret: string): Identity {
  const id = ctx.resolver.resolve(secret);
  if (!id.acl.isManagement) throw new PermissionDeniedError();
  return id;
}

/** `POST /v1/acl/bootstrap`'s optional body: an operator-chosen secret (a UUID). */
const BOOTSTRAP_BODY = requestBody({ BootstrapSecret: field(Type.String(), { message: 'invalid acl token' }) });

async function bootstrap(ctx: AclEndpointPorts, body: unknown): Promise<AclWriteResult> {
  let secretId: string | undefined;
  if (body !== undefined && body !== null) {
    const given = BOOTSTRAP_BODY.decode(body).BootstrapSecret;
    if (given !== undefined && given !== null && given !== '') {
      if (!UUID_RE.test(given)) throw BOOTSTRAP_BODY.fieldError('BootstrapSecret');
      secretId = given;
    }
  }
  const resetIndex = await readResetIndex(ctx.bootstrapResetFile);
  const token = bootstrapToken(new Date(), secretId);
  let index: number;
  try {
    ({ index } = await ctx.apply({ type: 'bootstrap', token, resetIndex }));
  } catch (err) {
    // A chosen secret that is already some token's: answer exactly like a
    // malformed one. A 409 naming the AccessorID told a guesser the secret
    // exists (and whose it is).
    if (secretId !== undefined && (err as { code?: unknown }).code === 'TOLLGATE_CONFLICT') {
      ctx.log.info('ACL bootstrap refused: the operator-supplied BootstrapSecret is already in use');
      throw new BadRequestError('invalid acl token');
    }
    throw err;
  }
  ctx.log.info({ accessor: token.AccessorID, index }, 'ACL bootstrap done');
  return { index, body: tokenView(stored(ctx, token.AccessorID), roleById(ctx)) };
}

/**
 * The reset file holds a leading decimal integer (facts §5). No file, or a
 * file that does not start with a number, means "no reset requested".
 */
export async function readResetIndex(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^\s*(\d{1,15})/.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

async function upsertToken(ctx: AclEndpointPorts, caller: Identity, body: unknown, pathAccessor?: string): Promise<AclWriteResult> {
  if (body === undefined || body === null) throw new BadRequestError('Request body is empty');
  const req = decodeTokenRequest(body);
  if (pathAccessor !== undefined) {
    if (req.AccessorID !== undefined && req.AccessorID !== pathAccessor) {
      throw new BadRequestError('ACL token accessor does not match request path');
    }
    req.AccessorID = pathAccessor;
  }
  let existing: ACLToken | undefined;
  let upload: { AccessorID: string; SecretID: string } | undefined;
  if (req.AccessorID !== undefined) {
    existing = ctx.store.tokenByAccessor(req.AccessorID);
    if (existing === undefined) {
      // Nomad's upsertTokens (> v2.0.5): both IDs given as UUIDs, a client
      // token, no such accessor here: create it with those IDs (tokens
      // migrated between clusters keep their secrets). A SecretID already
      // in use is refused by the store inside the commit (409).
      if (req.SecretID === undefined || !UUID_RE.test(req.AccessorID) || !UUID_RE.test(req.SecretID) || req.Type === 'management') {
        throw new BadRequestError(`cannot find token ${req.AccessorID.slice(0, 64)}`);
      }
      upload = { AccessorID: req.AccessorID, SecretID: req.SecretID };
    }
  }
  req.Roles = resolveRoleLinks(req.RolesRaw, ctx.store);
  const now = new Date();
  const acl = ctx.config.acl;
  const bounds = { minMs: acl.tokenMinExpirationTtlMs, maxMs: acl.tokenMaxExpirationTtlMs };
  let lineage: Lineage | undefined;
  let parent: ACLToken | undefined;
  if (existing === undefined) {
    const lease = { type: req.Type, ttlMs: req.ExpirationTTLMs, expirationTime: req.ExpirationTime, explicitMaxTtlMs: req.ExplicitMaxTTLMs, periodMs: req.PeriodMs };
    req.ExpirationTTLMs = initialTtlMs(lease, { ...bounds, defaultTtlMs: acl.defaultTokenTtlMs });
    lineage = lineageFor(req, { token: caller.token, isManagement: caller.acl.isManagement }, acl.childTokens);
    // A child's lease is capped at its parent's (the caller, whose token this region holds).
    if (!lineage.Orphan && lineage.ParentAccessorID !== '') parent = caller.token;
  }
  validateToken(req, existing === undefined ? now : new Date(existing.CreateTime), bounds, existing);
  let token = buildToken(req, now, existing, upload, lineage);
  if (existing === undefined) {
    token = { ...token, ExpirationTime: cappedExpiry(token.ExpirationTime, now, (req.ExplicitMaxTTLMs ?? 0), parent) };
  }
  const { index } = await ctx.apply({ type: 'token-upsert', tokens: [token], mode: existing === undefined ? 'create' : 'update' });
  ctx.log.info(
    { accessor: token.AccessorID, type: token.Type, global: token.Global, index, by: caller.token.AccessorID },
    upload !== undefined ? 'token uploaded' : existing === undefined ? 'token created' : 'token updated',
  );
  return { index, body: tokenView(stored(ctx, token.AccessorID), roleById(ctx)) };
}

/**
 * Revokes a token: with every descendant in the same atomic write
 * (`revoke`), or keeping its children as orphans (`orphan`, revoke-orphan).
 * `revoked` lists the descendants as this agent sees them now (the store
 * walks the tree again inside the commit).
 */
async function deleteToken(ctx: AclEndpointPorts, caller: Identity, accessor: string, children: 'revoke' | 'orphan'): Promise<AclWriteResult> {
  const revoked = children === 'revoke' && ctx.store.tokenByAccessor(accessor) !== undefined ? ctx.store.tokenDescendants(accessor) : [];
  const { index } = await ctx.apply({ type: 'token-delete', accessors: [accessor], children });
  ctx.log.info(
    { accessor, index, by: caller.token.AccessorID, descendants: revoked.length },
    children === 'orphan' ? 'token revoked; its children are orphans now' : 'token deleted',
  );
  return { index, revoked };
}

/**
 * Renews a token's lease (token-lifecycle.ts `renewedExpiry`): the caller's
 * own token (`accessor` undefined, or its own accessor) or, for management,
 * any token. The answer is the updated token.
 */
/** `POST /v1/acl/token/…/renew`'s optional body. */
const RENEW_BODY = requestBody({ Increment: durationField() });

async function renewToken(ctx: AclEndpointPorts, secret: string, body: unknown, accessor: string | undefined): Promise<AclWriteResult> {
  const caller = ctx.resolver.resolve(secret);
  let increment: number | undefined;
  if (body !== undefined && body !== null) increment = durationMs(RENEW_BODY.decode(body).Increment, 'Increment');
  const target = accessor === undefined ? caller.token : ctx.store.tokenByAccessor(accessor);
  if (target === undefined || target.AccessorID !== caller.token.AccessorID) {
    if (!caller.acl.isManagement) throw new PermissionDeniedError();
    if (target === undefined) throw new BadRequestError(`cannot find token ${(accessor ?? '').slice(0, 64)}`);
  }
  if (target.AccessorID === 'anonymous') throw new BadRequestError('the anonymous token has no lease: there is nothing to renew');
  const parentId = target.Orphan === true ? undefined : target.ParentAccessorID;
  const parent = parentId === undefined ? undefined : ctx.store.tokenByAccessor(parentId);
  const acl = ctx.config.acl;
  const expiration = renewedExpiry(target, parent, increment, new Date(), { minMs: acl.tokenMinExpirationTtlMs, maxMs: acl.tokenMaxExpirationTtlMs });
  const { index } = await ctx.apply({ type: 'token-upsert', tokens: [{ ...target, ExpirationTime: expiration }], mode: 'update' });
  ctx.log.info({ accessor: target.AccessorID, index, by: caller.token.AccessorID, expiration }, 'token renewed');
  return { index, body: tokenView(stored(ctx, target.AccessorID), roleById(ctx)) };
}

async function upsertPolicy(ctx: AclEndpointPorts, caller: Identity, name: string, body: unknown): Promise<AclWriteResult> {
  if (body === undefined || body === null) throw new BadRequestError('Request body is empty');
  // Parsed off the event loop; the parsed form is kept for the first check.
  const policy = await decodePolicyRequest(body, name, (rules) => ctx.resolver.parseForWrite(rules));
  const { index } = await ctx.apply({ type: 'policy-upsert', policies: [policy] });
  // Answer once the ACLs that used the policy are compiled again (a few ms,
  // in turns of their own): the writer's next check then finds them ready.
  await ctx.resolver.settled();
  ctx.log.info({ policy: name, index, by: caller.token.AccessorID }, 'policy written');
  return { index };
}

async function deletePolicy(ctx: AclEndpointPorts, caller: Identity, name: string): Promise<AclWriteResult> {
  const { index } = await ctx.apply({ type: 'policy-delete', names: [name] });
  ctx.log.info({ policy: name, index, by: caller.token.AccessorID }, 'policy deleted');
  return { index };
}

/**
 * Nomad's UpsertRoles: a body without ID creates (its name must be free),
 * one with an ID updates that role; every policy must exist. The store
 * checks both again inside the commit (mutation-planner.ts), so a racing
 * write cannot slip between.
 */
async function upsertRole(ctx: AclEndpointPorts, caller: Identity, body: unknown, pathId?: string): Promise<AclWriteResult> {
  if (body === undefined || body === null) throw new BadRequestError('Request body is empty');
  const role = decodeRoleRequest(body, pathId);
  // As Nomad: a body without an ID (absent, null or "") creates.
  const given = (body as { ID?: unknown }).ID;
  const creating = given === undefined || given === null || given === '';
  const { index } = await ctx.apply({ type: 'role-upsert', roles: [role], mode: creating ? 'create' : 'update' });
  ctx.log.info({ role: role.ID, name: role.Name, index, by: caller.token.AccessorID }, creating ? 'role created' : 'role updated');
  const saved = ctx.store.role(role.ID);
  if (saved === undefined) throw new ObjectNotFoundError('ACL role not found');
  return { index, body: roleView(saved) };
}

async function deleteRole(ctx: AclEndpointPorts, caller: Identity, id: string): Promise<AclWriteResult> {
  const { index } = await ctx.apply({ type: 'role-delete', ids: [id] });
  ctx.log.info({ role: id, index, by: caller.token.AccessorID }, 'role deleted');
  return { index };
}

/**
 * Nomad's UpsertAuthMethods: a body naming a stored method updates it
 * (merged into the stored one, also through `POST /v1/acl/auth-method`, as
 * Nomad); `POST /v1/acl/auth-method/:name` needs the method to exist. The
 * store checks again in the commit (one default per type).
 */
async function upsertAuthMethod(ctx: AclEndpointPorts, caller: Identity, body: unknown, pathName?: string): Promise<AclWriteResult> {
  if (body === undefined || body === null) throw new BadRequestError('Request body is empty');
  const given = typeof body === 'object' && !Array.isArray(body) ? (body as { Name?: unknown }).Name : undefined;
  const name = pathName ?? (typeof given === 'string' ? given : '');
  if (pathName !== undefined && given !== pathName) throw new BadRequestError('ACL auth method name does not match request path');
  const existing = ctx.store.authMethod(name);
  if (pathName !== undefined && existing === undefined) throw new BadRequestError(`cannot find auth method ${name.slice(0, 140)}`);
  const bounds = { minMs: ctx.config.acl.tokenMinExpirationTtlMs, maxMs: ctx.config.acl.tokenMaxExpirationTtlMs };
  const method = decodeAuthMethodRequest(body, pathName, existing, bounds, new Date());
  const creating = existing === undefined;
  const { index } = await ctx.apply({ type: 'auth-method-upsert', methods: [method], mode: creating ? 'create' : 'update' });
  ctx.log.info({ authMethod: method.Name, type: method.Type, index, by: caller.token.AccessorID }, creating ? 'auth method created' : 'auth method updated');
  const saved = ctx.store.authMethod(method.Name);
  if (saved === undefined) throw new ObjectNotFoundError('ACL auth method not found');
  return { index, body: authMethodView(saved) };
}

async function deleteAuthMethod(ctx: AclEndpointPorts, caller: Identity, name: string): Promise<AclWriteResult> {
  const { index } = await ctx.apply({ type: 'auth-method-delete', names: [name] });
  ctx.log.info({ authMethod: name, index, by: caller.token.AccessorID }, 'auth method deleted');
  return { index };
}

/** Nomad's UpsertBindingRules: a body or path with an ID updates that rule; the method must exist (checked in the commit). */
async function upsertBindingRule(ctx: AclEndpointPorts, caller: Identity, body: unknown, pathId?: string): Promise<AclWriteResult> {
  if (body === undefined || body === null) throw new BadRequestError('Request body is empty');
  const givenId = typeof body === 'object' && !Array.isArray(body) ? (body as { ID?: unknown }).ID : undefined;
  const id = pathId ?? (typeof givenId === 'string' ? givenId : '');
  let existing: ACLBindingRule | undefined;
  if (id !== '') {
    existing = ctx.store.bindingRule(id);
    if (existing === undefined) throw new BadRequestError(`cannot find binding rule ${id.slice(0, 64)}`);
  }
  const rule = decodeBindingRuleRequest(body, pathId, existing, new Date());
  const creating = existing === undefined;
  const { index } = await ctx.apply({ type: 'binding-rule-upsert', rules: [rule], mode: creating ? 'create' : 'update' });
  ctx.log.info({ bindingRule: rule.ID, authMethod: rule.AuthMethod, index, by: caller.token.AccessorID }, creating ? 'binding rule created' : 'binding rule updated');
  const saved = ctx.store.bindingRule(rule.ID);
  if (saved === undefined) throw new ObjectNotFoundError('ACL binding rule not found');
  return { index, body: bindingRuleView(saved) };
}

async function deleteBindingRule(ctx: AclEndpointPorts, caller: Identity, id: string): Promise<AclWriteResult> {
  const { index } = await ctx.apply({ type: 'binding-rule-delete', ids: [id] });
  ctx.log.info({ bindingRule: id, index, by: caller.token.AccessorID }, 'binding rule deleted');
  return { index };
}

/** Reads a role by ID from the committed state (to show token links as they are now). */
export function roleById(ctx: { readonly store: Pick<StateStore, 'role'> }): (id: string) => ReturnType<StateStore['role']> {
  return (id) => ctx.store.role(id);
}

function stored(ctx: AclEndpointPorts, accessor: string): ACLToken {
  const t = ctx.store.tokenByAccessor(accessor);
  // The write just committed; a miss means the store lost it, which is a bug.
  if (t === undefined) throw new ObjectNotFoundError('ACL token not found');
  return t;
}
