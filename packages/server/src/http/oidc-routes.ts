import type { FastifyInstance } from 'fastify';
import type { AgentContext } from '../agent-context.js';
import { requireAclEnabled } from '../acl-enabled.js';
import { route } from './route.js';

/**
 * Nomad's OIDC login routes (no ACL required, as in Nomad):
 * - `POST /v1/acl/oidc/auth-url` `{AuthMethodName, RedirectURI, ClientNonce}`
 *   → `{AuthURL}`;
 * - `POST /v1/acl/oidc/complete-auth` `{AuthMethodName, RedirectURI,
 *   ClientNonce, State, Code[, Iss]}` → the new token (as `POST
 *   /v1/acl/login` answers), `X-Nomad-Index` its index.
 *
 * Both run in the region the client talks to: the pending login (state,
 * PKCE verifier) lives there (in etcd for an HA region, so any of its
 * agents completes it); only the token write of a global method goes to
 * the authoritative region, through the login core, which answers once the
 * token is usable here.
 */
export function registerOidcRoutes(app: FastifyInstance, ctx: AgentContext): void {
  route(app, '/v1/acl/oidc/auth-url', {
    POST: async (req) => {
      requireAclEnabled(ctx.config);
      return ctx.oidc.flow.authUrl(req.body);
    },
  });
  route(app, '/v1/acl/oidc/complete-auth', {
    POST: async (req, reply) => {
      requireAclEnabled(ctx.config);
      const login = await ctx.oidc.flow.completeAuth(req.body);
      const { index, token } = await ctx.oidc.mint(login, req.id);
      reply.header('X-Nomad-Index', String(index));
      return token;
    },
  });
}
