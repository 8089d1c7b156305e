import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { policyToRulesJSON } from '@tollgate/acl';
import type { ACLPolicy, ACLToken, JobACL } from '@tollgate/state';
import { isGlobalWrite, roleById, runWrite, type AclEndpointPorts } from '../acl-endpoint.js';
import type { AclWriteOp, AclWriteResult } from '../acl-write.js';
import type { RequestAuditor } from '../audit/request-auditor.js';
import type { ResolvedAgentConfig } from '../config.js';
import { BadRequestError, ObjectNotFoundError, PermissionDeniedError } from '../errors.js';
import type { TokenResolver } from '../token-resolver.js';
import { tokenStub, tokenView, tokenViewIndex, type TokenStub } from '../tokens.js';
import { blockingQuery } from './blocking.js';
import { POLICY_STUB_SCHEMA, TOKEN_STUB_SCHEMA, listFilter } from './list-filter.js';
import { registerAuthMethodRoutes, type AuthMethodRoutePorts } from './auth-method-routes.js';
import { registerRoleRoutes, type RoleRoutePorts, type WriteRoute } from './role-routes.js';
import { route } from './route.js';
import { STREAM_CHUNK, jsonArrayStream, tokenPage } from './token-pages.js';
import { queryOptions, secretOf, setReadHeaders } from './request.js';
import { requireAclEnabled } from '../acl-enabled.js';

type Params = Record<string, string>;

/** What the ACL routes need: the write operations' ports, where global writes go, and the audit notes. */
export interface AclRoutePorts extends AclEndpointPorts, RoleRoutePorts, AuthMethodRoutePorts {
  readonly config: Pick<ResolvedAgentConfig, 'acl' | 'limits' | 'server'>;
  readonly resolver: Pick<TokenResolver, 'resolve' | 'parseForWrite' | 'settled' | 'policyNamesOf' | 'policyOf'>;
  readonly audit?: Pick<RequestAuditor, 'noteForwarded' | 'noteTarget' | 'noteRevoked'> | undefined;
  /** Whether this agent's region is the authoritative one. */
  readonly isAuthoritative: boolean;
  /**
   * Runs a write that belongs to the authoritative region (bootstrap,
   * policies, global tokens): here when this region is authoritative, else
   * forwarded there with the caller's secret; answers once this region's
   * replica has caught up with the returned index (read-your-writes).
   */
  writeGlobal(w: AclWriteOp, secret: string, requestId?: string): Promise<AclWriteResult>;
}

/** `/v1/acl/bootstrap`, `/v1/acl/token(s)`, `/v1/acl/polic(y|ies)` (facts §4.2). */
export function registerAclRoutes(app: FastifyInstance, ctx: AclRoutePorts): void {
  const { store, resolver } = ctx;
  const maxWait = ctx.config.limits.maxQueryWaitMs;
  const roles = roleById(ctx);
  // Token answers show their roles' current names (`currentRoleLinks`), so a
  // token read also watches the role table, and its index moves with a
  // rename or deletion of a linked role (README "HTTP API", blocking queries).
  const TOKEN_TABLES = ['acl_token', 'acl_role'] as const;
  /** The index of a list of token stubs: a token or a role changed. */
  const tokenListIndex = (): number => Math.max(store.tableIndex('acl_token'), store.tableIndex('acl_role'));
  /** The index of one token's answer (`tokenViewIndex`). */
  const tokenIndex = (t: ACLToken): number => tokenViewIndex(t, roles, store.tableIndex('acl_role'));

  const enabled = (): void => {
    requireAclEnabled(ctx.config);
  };

  /** Runs a write where it belongs and answers with its index. */
  const write: WriteRoute = async (req, reply, w) => {
    enabled();
    const secret = secretOf(req);
    let result;
    if (isGlobalWrite(ctx, w, secret)) {
      if (!ctx.isAuthoritative) ctx.audit?.noteForwarded(req.raw, ctx.config.server.authoritativeRegion);
      result = await ctx.writeGlobal(w, secret, req.id);
    } else {
      result = await runWrite(ctx, secret, w);
    }
    reply.header('X-Nomad-Index', String(result.index));
    if (result.audit !== undefined) ctx.audit?.noteTarget(req.raw, result.audit);
    if (result.revoked !== undefined) ctx.audit?.noteRevoked(req.raw, result.revoked);
    return result.body;
  };

  route(app, '/v1/acl/login', {
    POST: (req, reply) => write(req, reply, { op: 'login', body: req.body }),
  });

  route(app, '/v1/acl/bootstrap', {
    POST: (req, reply) => write(req, reply, { op: 'bootstrap', body: req.body }),
  });

  route(app, '/v1/acl/tokens', {
    GET: async (req, reply) => {
      enabled();
      const id = resolver.resolve(secretOf(req));
      if (!id.acl.isManagement) throw new PermissionDeniedError();
      const q = queryOptions(req, maxWait);
      const keep = listFilter(q.filter, TOKEN_STUB_SCHEMA);
      const { index, data } = await blockingQuery(store, reply, q, TOKEN_TABLES, () => ({
        index: tokenListIndex(),
        data: store.listTokens(q.prefix ? { prefix: q.prefix } : undefined),
      }));
      setReadHeaders(reply, index);
      // The filter runs before pagination, on the entries as answered. Only
      // the page's tokens become stubs; a big page is streamed in chunks.
      const stub = (t: ACLToken): TokenStub => tokenStub(t, roles);
      const page = await tokenPage(data, { byAccessor: q.prefix !== '', perPage: q.perPage, nextToken: q.nextToken, reverse: q.reverse }, stub, keep);
      if (page.next !== undefined) reply.header('X-Nomad-NextToken', page.next);
      if (page.tokens.length <= STREAM_CHUNK) return page.tokens.map(stub);
      return reply.type('application/json; charset=utf-8').send(jsonArrayStream(page.tokens, stub));
    },
  });

  route(app, '/v1/acl/token', {
    POST: (req, reply) => write(req, reply, { op: 'token-upsert', body: req.body }),
  });
  route(app, '/v1/acl/token/', {
    GET: () => missing('Missing Token Accessor'),
    POST: () => missing('Missing Token Accessor'),
    DELETE: () => missing('Missing Token Accessor'),
  });

  route(app, '/v1/acl/token/self', {
    GET: async (req, reply) => {
      enabled();
      const { token } = resolver.resolve(secretOf(req));
      setReadHeaders(reply, Math.max(1, tokenIndex(token)));
      return tokenView(token, roles);
    },
  });

  route(app, '/v1/acl/token/:accessor', {
    GET: async (req, reply) => {
      enabled();
      const accessor = (req.params as Params).accessor ?? '';
      // Error answers carry the index too, as Nomad's do.
      reply.header('X-Nomad-Index', String(Math.max(1, store.tableIndex('acl_token'))));
      const caller = resolver.resolve(secretOf(req));
      const mayRead = (t: ACLToken | undefined): boolean =>
        caller.acl.isManagement || (t !== undefined && t.AccessorID === caller.token.AccessorID);
      // Refuse before blocking: a caller that may not read this token must
      // not be able to hold a connection open for the wait.
      if (!caller.acl.isManagement && caller.token.AccessorID !== accessor) throw new PermissionDeniedError();
      const q = queryOptions(req, maxWait);
      const { index, data } = await blockingQuery(store, reply, q, TOKEN_TABLES, () => {
        const t = store.tokenByAccessor(accessor);
        return { index: t === undefined ? store.tableIndex('acl_token') : tokenIndex(t), data: t };
      });
      reply.header('X-Nomad-Index', String(Math.max(1, index)));
      if (!mayRead(data)) throw new PermissionDeniedError();
      if (data === undefined) throw new ObjectNotFoundError('ACL token not found');
      setReadHeaders(reply, index);
      return tokenView(data, roles);
    },
    POST: (req, reply) =>
      write(req, reply, { op: 'token-upsert', body: req.body, accessor: (req.params as Params).accessor ?? '' }),
    DELETE: (req, reply) => write(req, reply, { op: 'token-delete', accessor: (req.params as Params).accessor ?? '' }),
  });

  route(app, '/v1/acl/token/self/renew', {
    POST: (req, reply) => write(req, reply, { op: 'token-renew', body: req.body }),
  });
  route(app, '/v1/acl/token/:accessor/renew', {
    POST: (req, reply) => write(req, reply, { op: 'token-renew', body: req.body, accessor: (req.params as Params).accessor ?? '' }),
  });
  route(app, '/v1/acl/token/:accessor/revoke-orphan', {
    POST: (req, reply) => write(req, reply, { op: 'token-revoke-orphan', accessor: (req.params as Params).accessor ?? '' }),
  });
  route(app, '/v1/acl/token/:accessor/children', {
    GET: async (req, reply) => {
      enabled();
      const accessor = (req.params as Params).accessor ?? '';
      const caller = resolver.resolve(secretOf(req));
      // Like reading the token: management, or the token itself.
      if (!caller.acl.isManagement && caller.token.AccessorID !== accessor) throw new PermissionDeniedError();
      const q = queryOptions(req, maxWait);
      const { index, data } = await blockingQuery(store, reply, q, TOKEN_TABLES, () => ({
        index: tokenListIndex(),
        data: store.tokenByAccessor(accessor),
      }));
      if (data === undefined) throw new ObjectNotFoundError('ACL token not found');
      setReadHeaders(reply, Math.max(1, index));
      return store.tokenChildren(accessor).map((t) => tokenStub(t, roles));
    },
  });

  /** The caller's visible policy stubs: all for management, else its own. */
  const listPolicies = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    enabled();
    const caller = resolver.resolve(secretOf(req));
    const q = queryOptions(req, maxWait);
    const keep = listFilter(q.filter, POLICY_STUB_SCHEMA);
    const { index, data } = await blockingQuery(store, reply, q, 'acl_policy', () => ({
      index: Math.max(1, store.tableIndex('acl_policy')),
      data: store.listPolicies(q.prefix ? { prefix: q.prefix } : undefined),
    }));
    setReadHeaders(reply, index);
    // Management sees every policy, other tokens only their own. `/self`
    // answers the same for a token (Nomad: for a UUID token, the list).
    const own = caller.acl.isManagement ? undefined : new Set(resolver.policyNamesOf(caller.token));
    const stubs = data.filter((p) => own === undefined || own.has(p.Name)).map(policyStub);
    return keep === undefined ? stubs : stubs.filter(keep);
  };

  route(app, '/v1/acl/policies', { GET: listPolicies });
  route(app, '/v1/acl/policy/self', { GET: listPolicies });

  route(app, '/v1/acl/policy/', {
    GET: () => missing('Missing Policy Name'),
    POST: () => missing('Missing Policy Name'),
    DELETE: () => missing('Missing Policy Name'),
  });

  route(app, '/v1/acl/policy/:name', {
    GET: async (req, reply) => {
      enabled();
      const name = (req.params as Params).name ?? '';
      reply.header('X-Nomad-Index', String(Math.max(1, store.tableIndex('acl_policy'))));
      const caller = resolver.resolve(secretOf(req));
      const allowed =
        caller.acl.isManagement || name === 'anonymous' || resolver.policyNamesOf(caller.token).includes(name);
      if (!allowed) throw new PermissionDeniedError();
      const q = queryOptions(req, maxWait);
      const { index, data } = await blockingQuery(store, reply, q, 'acl_policy', () => {
        const p = store.policy(name);
        return { index: p?.ModifyIndex ?? store.tableIndex('acl_policy'), data: p };
      });
      reply.header('X-Nomad-Index', String(Math.max(1, index)));
      if (data === undefined) throw new ObjectNotFoundError('ACL policy not found');
      setReadHeaders(reply, index);
      return policyView(data, resolver);
    },
    POST: (req, reply) =>
      write(req, reply, { op: 'policy-upsert', name: (req.params as Params).name ?? '', body: req.body }),
    DELETE: (req, reply) => write(req, reply, { op: 'policy-delete', name: (req.params as Params).name ?? '' }),
  });

  registerRoleRoutes(app, ctx, write);
  registerAuthMethodRoutes(app, ctx, write);
}

function missing(message: string): never {
  throw new BadRequestError(message);
}

/** A policy list entry, in Nomad's field order; `JobACL` is `null` unless set. */
export interface PolicyStub {
  readonly Name: string;
  readonly Description: string;
  readonly JobACL: JobACL | null;
  readonly Hash: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

function policyStub(p: ACLPolicy): PolicyStub {
  return {
    Name: p.Name,
    Description: p.Description,
    JobACL: p.JobACL ?? null,
    Hash: p.Hash,
    CreateIndex: p.CreateIndex,
    ModifyIndex: p.ModifyIndex,
  };
}

/** A full policy plus `RulesJSON`, parsed leniently as Nomad does on read (cached). */
function policyView(p: ACLPolicy, resolver: Pick<TokenResolver, 'policyOf'>): unknown {
  let rulesJSON: unknown = null;
  try {
    rulesJSON = policyToRulesJSON(resolver.policyOf(p));
  } catch {
    // Stored rules were valid when written; a policy the current grammar
    // cannot read still shows its raw Rules.
  }
  return {
    Name: p.Name,
    Description: p.Description,
    Rules: p.Rules,
    RulesJSON: rulesJSON,
    JobACL: p.JobACL ?? null,
    Hash: p.Hash,
    CreateIndex: p.CreateIndex,
    ModifyIndex: p.ModifyIndex,
  };
}
