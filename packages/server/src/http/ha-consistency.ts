import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { HaContext } from '../ha/ha-context.js';
import { route } from './route.js';
import { watchClientGone } from './client-gone.js';

/** Routes that never wait for etcd: the authorization hot path and the replication status. */
const NO_BARRIER = new Set(['/v1/acl/authorize', '/v1/acl/replication']);
const WRITES = new Set(['POST', 'PUT', 'DELETE']);

/**
 * Nomad's consistency modes for an HA region (etcd), on every `/v1/acl/*`
 * route except `/v1/acl/authorize` and `/v1/acl/replication`:
 *
 * - **default read**: waits (bounded) until this agent has applied the etcd
 *   revision current when the request arrived (`HaContext.sync`: one etcd
 *   read), so a read on any agent sees every write acknowledged before it,
 *   on any agent. Blocking queries then run on the local store as usual.
 * - **`?stale`**: answers at once from the local state machine.
 * - **writes**: the same barrier first, so the checks an endpoint makes on
 *   local state (does this token exist?) see every acknowledged write.
 *
 * When etcd is unreachable, a default read is answered from local state
 * like a stale one, and writes fail with 503 (the region log refuses them).
 * Every read answered without the barrier carries
 * `X-Nomad-KnownLeader: false` while etcd is unreachable and
 * `X-Nomad-LastContact` = milliseconds since etcd last answered, as Nomad
 * reports stale reads.
 *
 * Token resolution and `/v1/acl/authorize` stay on local state (their
 * staleness is the watch lag metric) unless the caller sends
 * `X-Tollgate-Min-Index` (see `http/region-hook.ts`). With one agent
 * per region (`ctx.ha` undefined) nothing is registered at all.
 */
export interface HaConsistencyPorts {
  /** HA mode (an `etcd` block): the read barrier, etcd reachability and HA status; `undefined` with one agent per region. */
  readonly ha?: HaContext | undefined;
}

export function registerHaConsistency(app: FastifyInstance, ctx: HaConsistencyPorts): void {
  const ha = ctx.ha;
  if (ha === undefined) return;
  const served = new WeakSet<FastifyRequest>();

  app.addHook('preHandler', (req, reply, done) => {
    const url = req.routeOptions.url;
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (url === undefined || !url.startsWith('/v1/acl/') || NO_BARRIER.has(url) || !(read || WRITES.has(req.method))) {
      done();
      return;
    }
    if (read && isStale(req)) {
      served.add(req);
      done();
      return;
    }
    ha.sync(watchClientGone(reply).signal).then(
      () => done(),
      (err: unknown) => {
        if (!read) return done(err as FastifyError);
        // Reads go on from local state when etcd cannot confirm the index.
        served.add(req);
        done();
      },
    );
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    if (served.has(req)) {
      reply.header('X-Nomad-KnownLeader', ha.reachable() ? 'true' : 'false');
      reply.header('X-Nomad-LastContact', String(Math.max(0, ha.lastContactMs())));
    }
    done(null, payload);
  });

  route(app, '/v1/agent/ha', {
    // Like /v1/agent/health: operational state, no secrets.
    GET: () => ha.status(),
  });
}

/** `?stale`, `?stale=` or `?stale=true` (the handler rejects other values with Nomad's 400). */
function isStale(req: FastifyRequest): boolean {
  const raw = (req.query as Record<string, string | string[] | undefined>).stale;
  const v = Array.isArray(raw) ? raw[0] : raw;
  return v !== undefined && v !== 'false';
}
