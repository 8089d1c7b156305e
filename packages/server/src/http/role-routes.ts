import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ACLRole, StateStore } from '@tollgate/state';
import type { ResolvedAgentConfig } from '../config.js';
import type { TokenResolver } from '../token-resolver.js';
import type { AclWriteOp } from '../acl-write.js';
import { requireAclEnabled } from '../acl-enabled.js';
import { BadRequestError, ObjectNotFoundError, PermissionDeniedError } from '../errors.js';
import { roleStub, roleView } from '../roles.js';
import { currentRoleLinks } from '../tokens.js';
import { blockingQuery } from './blocking.js';
import { ROLE_STUB_SCHEMA, listFilter } from './list-filter.js';
import { queryOptions, secretOf, setReadHeaders } from './request.js';
import { route } from './route.js';

type Params = Record<string, string>;

/** Runs a write where it belongs (forwarding global ones) and answers with its index. */
export type WriteRoute = (req: FastifyRequest, reply: FastifyReply, w: AclWriteOp) => Promise<unknown>;

/**
 * `/v1/acl/roles`, `/v1/acl/role[/:id]`, `/v1/acl/role/name/:name`, as
 * Nomad ≥ 1.4 (command/agent/acl_endpoint.go, nomad/acl_endpoint.go).
 * Writes are management-only and go to the authoritative region (through
 * `write`); a client token may list and read the roles it links to.
 */
/** What the routes read; writes go through `write`. */
export interface RoleRoutePorts {
  readonly config: Pick<ResolvedAgentConfig, 'acl' | 'limits'>;
  readonly store: StateStore;
  readonly resolver: Pick<TokenResolver, 'resolve'>;
}

export function registerRoleRoutes(app: FastifyInstance, ctx: RoleRoutePorts, write: WriteRoute): void {
  const { store, resolver } = ctx;
  const maxWait = ctx.config.limits.maxQueryWaitMs;
  const byId = (id: string): ACLRole | undefined => store.role(id);

  /** The caller, and the IDs and names of its roles (`undefined` = management, sees all). */
  const callerRoles = (req: FastifyRequest): { ids: Set<string>; names: Set<string> } | undefined => {
    requireAclEnabled(ctx.config);
    const caller = resolver.resolve(secretOf(req));
    if (caller.acl.isManagement) return undefined;
    const links = currentRoleLinks(caller.token, byId) ?? [];
    return { ids: new Set(links.map((l) => l.ID)), names: new Set(links.map((l) => l.Name)) };
  };

  route(app, '/v1/acl/roles', {
    GET: async (req, reply) => {
      const own = callerRoles(req);
      const q = queryOptions(req, maxWait);
      const keep = listFilter(q.filter, ROLE_STUB_SCHEMA);
      const { index, data } = await blockingQuery(store, reply, q, 'acl_role', () => ({
        index: store.tableIndex('acl_role'),
        // Nomad's prefix matches the role ID.
        data: store.listRoles(q.prefix ? { prefix: q.prefix } : undefined),
      }));
      setReadHeaders(reply, index);
      const stubs = data.filter((r) => own === undefined || own.ids.has(r.ID)).map(roleStub);
      return keep === undefined ? stubs : stubs.filter(keep);
    },
  });

  route(app, '/v1/acl/role', {
    POST: (req, reply) => write(req, reply, { op: 'role-upsert', body: req.body }),
  });
  route(app, '/v1/acl/role/', {
    GET: () => missing('missing ACL role ID'),
    POST: () => missing('missing ACL role ID'),
    DELETE: () => missing('missing ACL role ID'),
  });

  /** One role read, blocking on the role table; `find` picks it from the store. */
  const readRole = async (
    req: FastifyRequest,
    reply: FastifyReply,
    allowed: (own: { ids: Set<string>; names: Set<string> }) => boolean,
    find: () => ACLRole | undefined,
  ): Promise<unknown> => {
    reply.header('X-Nomad-Index', String(store.tableIndex('acl_role')));
    const own = callerRoles(req);
    // Refuse before blocking, so a caller cannot hold a wait on a role it may not read.
    if (own !== undefined && !allowed(own)) throw new PermissionDeniedError();
    const q = queryOptions(req, maxWait);
    const { index, data } = await blockingQuery(store, reply, q, 'acl_role', () => {
      const r = find();
      return { index: r?.ModifyIndex ?? store.tableIndex('acl_role'), data: r };
    });
    reply.header('X-Nomad-Index', String(Math.max(1, index)));
    if (data === undefined) throw new ObjectNotFoundError('ACL role not found');
    setReadHeaders(reply, index);
    return roleView(data);
  };

  route(app, '/v1/acl/role/:id', {
    GET: (req, reply) => {
      const id = (req.params as Params).id ?? '';
      return readRole(req, reply, (own) => own.ids.has(id), () => store.role(id));
    },
    POST: (req, reply) => write(req, reply, { op: 'role-upsert', body: req.body, id: (req.params as Params).id ?? '' }),
    DELETE: (req, reply) => write(req, reply, { op: 'role-delete', id: (req.params as Params).id ?? '' }),
  });

  route(app, '/v1/acl/role/name/', {
    GET: () => missing('missing ACL role name'),
  });
  route(app, '/v1/acl/role/name/:name', {
    GET: (req, reply) => {
      const name = (req.params as Params).name ?? '';
      return readRole(req, reply, (own) => own.names.has(name), () => store.roleByName(name));
    },
  });
}

function missing(message: string): never {
  throw new BadRequestError(message);
}
