import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StateStore, TableName } from '@tollgate/state';
import type { ResolvedAgentConfig } from '../config.js';
import type { TokenResolver } from '../token-resolver.js';
import { requireAclEnabled } from '../acl-enabled.js';
import { authMethodStub, authMethodView } from '../auth/auth-method-request.js';
import { bindingRuleStub, bindingRuleView } from '../auth/binding-rule-request.js';
import { BadRequestError, ObjectNotFoundError, PermissionDeniedError } from '../errors.js';
import { blockingQuery } from './blocking.js';
import { AUTH_METHOD_STUB_SCHEMA, BINDING_RULE_STUB_SCHEMA, listFilter } from './list-filter.js';
import { queryOptions, secretOf, setReadHeaders } from './request.js';
import type { WriteRoute } from './role-routes.js';
import { route } from './route.js';

type Params = Record<string, string>;

/**
 * `/v1/acl/auth-method[s]` and `/v1/acl/binding-rule[s]`, as Nomad ≥ 1.5
 * (command/agent/acl_endpoint.go). Writes are management-only and go to the
 * authoritative region (through `write`). Listing auth methods needs no
 * token (`tollgate login` finds the default method with it); reading one
 * method, and binding rules, need a management token. A method's OIDC
 * client secret is always shown as `redacted`.
 */
/** What the routes read; writes go through `write`. */
export interface AuthMethodRoutePorts {
  readonly config: Pick<ResolvedAgentConfig, 'acl' | 'limits'>;
  readonly store: StateStore;
  readonly resolver: Pick<TokenResolver, 'resolve'>;
}

export function registerAuthMethodRoutes(app: FastifyInstance, ctx: AuthMethodRoutePorts, write: WriteRoute): void {
  const { store, resolver } = ctx;
  const maxWait = ctx.config.limits.maxQueryWaitMs;

  const management = (req: FastifyRequest): void => {
    requireAclEnabled(ctx.config);
    if (!resolver.resolve(secretOf(req)).acl.isManagement) throw new PermissionDeniedError();
  };

  /** One object read, blocking on its table; 404 with Nomad's text when absent. */
  const readOne = async <T extends { ModifyIndex: number }>(
    req: FastifyRequest,
    reply: FastifyReply,
    table: TableName,
    find: () => T | undefined,
    notFound: string,
  ): Promise<T> => {
    reply.header('X-Nomad-Index', String(store.tableIndex(table)));
    management(req);
    const q = queryOptions(req, maxWait);
    const { index, data } = await blockingQuery(store, reply, q, table, () => {
      const o = find();
      return { index: o?.ModifyIndex ?? store.tableIndex(table), data: o };
    });
    reply.header('X-Nomad-Index', String(Math.max(1, index)));
    if (data === undefined) throw new ObjectNotFoundError(notFound);
    setReadHeaders(reply, index);
    return data;
  };

  route(app, '/v1/acl/auth-methods', {
    GET: async (req, reply) => {
      requireAclEnabled(ctx.config);
      const q = queryOptions(req, maxWait);
      const keep = listFilter(q.filter, AUTH_METHOD_STUB_SCHEMA);
      const { index, data } = await blockingQuery(store, reply, q, 'acl_auth_method', () => ({
        index: store.tableIndex('acl_auth_method'),
        data: store.listAuthMethods(),
      }));
      setReadHeaders(reply, index);
      const stubs = data.map(authMethodStub);
      return keep === undefined ? stubs : stubs.filter(keep);
    },
  });
  route(app, '/v1/acl/auth-method', {
    POST: (req, reply) => write(req, reply, { op: 'auth-method-upsert', body: req.body }),
  });
  route(app, '/v1/acl/auth-method/', {
    GET: () => missing('missing ACL auth method name'),
    POST: () => missing('missing ACL auth method name'),
    DELETE: () => missing('missing ACL auth method name'),
  });
  route(app, '/v1/acl/auth-method/:name', {
    GET: async (req, reply) => {
      const name = (req.params as Params).name ?? '';
      return authMethodView(await readOne(req, reply, 'acl_auth_method', () => store.authMethod(name), 'ACL auth method not found'));
    },
    POST: (req, reply) => write(req, reply, { op: 'auth-method-upsert', body: req.body, name: (req.params as Params).name ?? '' }),
    DELETE: (req, reply) => write(req, reply, { op: 'auth-method-delete', name: (req.params as Params).name ?? '' }),
  });

  route(app, '/v1/acl/binding-rules', {
    GET: async (req, reply) => {
      management(req);
      const q = queryOptions(req, maxWait);
      const keep = listFilter(q.filter, BINDING_RULE_STUB_SCHEMA);
      const { index, data } = await blockingQuery(store, reply, q, 'acl_binding_rule', () => ({
        index: store.tableIndex('acl_binding_rule'),
        data: store.listBindingRules(),
      }));
      setReadHeaders(reply, index);
      const stubs = data.map(bindingRuleStub);
      return keep === undefined ? stubs : stubs.filter(keep);
    },
  });
  route(app, '/v1/acl/binding-rule', {
    POST: (req, reply) => write(req, reply, { op: 'binding-rule-upsert', body: req.body }),
  });
  route(app, '/v1/acl/binding-rule/', {
    GET: () => missing('missing ACL binding rule ID'),
    POST: () => missing('missing ACL binding rule ID'),
    DELETE: () => missing('missing ACL binding rule ID'),
  });
  route(app, '/v1/acl/binding-rule/:id', {
    GET: async (req, reply) => {
      const id = (req.params as Params).id ?? '';
      return bindingRuleView(await readOne(req, reply, 'acl_binding_rule', () => store.bindingRule(id), 'ACL binding rule not found'));
    },
    POST: (req, reply) => write(req, reply, { op: 'binding-rule-upsert', body: req.body, id: (req.params as Params).id ?? '' }),
    DELETE: (req, reply) => write(req, reply, { op: 'binding-rule-delete', id: (req.params as Params).id ?? '' }),
  });
}

function missing(message: string): never {
  throw new BadRequestError(message);
}
