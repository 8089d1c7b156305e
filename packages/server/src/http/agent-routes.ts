import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { StateStore } from '@tollgate/state';
import type { AgentHealth } from '../agent-health.js';
import type { ResolvedAgentConfig } from '../config.js';
import type { AgentMetrics } from '../metrics.js';
import type { ReplicationStatusView } from '../replication/replication-status.js';
import type { StatusRevision } from '../replication/status-revision.js';
import type { TokenResolver } from '../token-resolver.js';
import { BadRequestError, PermissionDeniedError } from '../errors.js';
import { registerCrossRegionHook, type CrossRegionPorts } from './region-hook.js';
import { watchClientGone } from './client-gone.js';
import { route } from './route.js';
import { queryOptions, secretOf, setReadHeaders } from './request.js';
import { requireAclEnabled } from '../acl-enabled.js';

/**
 * `/v1/agent/health`, `/v1/metrics`, `/v1/acl/replication`, and the hook
 * that sends `?region=` requests to their region and makes
 * `X-Tollgate-Min-Index` wait (it applies to every route, whenever it is
 * registered).
 */
export interface AgentRoutePorts extends CrossRegionPorts {
  readonly config: Pick<ResolvedAgentConfig, 'region' | 'limits' | 'acl' | 'server'>;
  readonly resolver: Pick<TokenResolver, 'resolve'>;
  readonly store: Pick<StateStore, 'index'>;
  readonly metrics: Pick<AgentMetrics, 'registry'>;
  /** What `GET /v1/acl/replication` shows; `history` adds the follower's lag of the last 15 minutes. */
  replicationStatus(opts?: { history?: boolean }): ReplicationStatusView;
  /** Moves when the replication status changes (the status's blocking-query index). */
  readonly replicationRevision: StatusRevision;
  /** What `/v1/agent/health` reports. */
  health(): AgentHealth;
}

export function registerAgentRoutes(app: FastifyInstance, ctx: AgentRoutePorts): void {
  registerCrossRegionHook(app, ctx);

  route(app, '/v1/acl/replication', {
    GET: async (req, reply) => {
      requireAclEnabled(ctx.config);
      const secret = secretOf(req);
      // The replication token may read its own loop's state even when the
      // authoritative region refused it (a client token): that is exactly
      // when an operator needs to see why.
      const replicationToken = ctx.config.acl.replicationToken;
      if (replicationToken === undefined || secret === '' || !sameSecret(secret, replicationToken)) {
        if (!ctx.resolver.resolve(secret).acl.isManagement) throw new PermissionDeniedError();
      }
      // A blocking query on the status itself: answers when it changes, or
      // with the current status when the wait runs out (the UI's live view).
      const q = queryOptions(req, ctx.config.limits.maxQueryWaitMs);
      const revision = ctx.replicationRevision;
      if (q.index > 0 && revision.revision <= q.index) {
        const gone = watchClientGone(reply);
        const waited = new AbortController();
        const timer = setTimeout(() => waited.abort(), q.waitMs + Math.random() * (q.waitMs / 16));
        try {
          await revision.waitAbove(q.index, AbortSignal.any([gone.signal, waited.signal]));
        } finally {
          clearTimeout(timer);
          gone.release();
        }
      }
      setReadHeaders(reply, revision.revision);
      const history = (req.query as Record<string, unknown>).history;
      return ctx.replicationStatus({ history: history === 'true' || history === '' });
    },
  });

  // Nomad's region list: this agent's region and every region it knows of
  // (the authoritative one and `server.region_peers`), sorted. No ACL, as in Nomad.
  route(app, '/v1/regions', {
    GET: () => {
      const { region, server } = ctx.config;
      return [...new Set([region, server.authoritativeRegion, ...Object.keys(server.regionPeers)])].sort();
    },
  });

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

/** Constant-time comparison of two secrets (digests first, so lengths may differ). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
