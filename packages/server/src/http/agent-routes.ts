import type { FastifyInstance } from 'fastify';
import type { AgentContext } from '../agent-context.js';
import { BadRequestError } from '../errors.js';
import { route } from './http-server.js';

/** `/v1/agent/health` and `/v1/metrics`. */
export function registerAgentRoutes(app: FastifyInstance, ctx: AgentContext): void {
  route(app, '/v1/agent/health', {
    GET: (_req, reply) => {
      const h = ctx.health();
      if (!h.ok) reply.code(503);
      // Nomad's shape ({"server":{"ok","message"}}) plus Tollgate's details.
      return { server: { ok: h.ok, message: h.message }, status: h.status, region: ctx.config.region, index: ctx.store.index() };
    },
  });

  route(app, '/v1/metrics', {
    GET: async (req, reply) => {
      const format = (req.query as Record<string, string | undefined>).format;
      if (format === 'prometheus') {
        reply.type(ctx.metrics.registry.contentType);
        return reply.send(await ctx.metrics.registry.metrics());
      }
      if (format !== undefined && format !== 'json') throw new BadRequestError('format must be "prometheus" or "json"');
      return ctx.metrics.registry.getMetricsAsJSON();
    },
  });
}
