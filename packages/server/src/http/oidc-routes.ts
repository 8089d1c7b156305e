import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ACLAuthMethod, StateStore } from '@tollgate/state';
import type { RequestAuditor } from '../audit/request-auditor.js';
import type { OidcFlow } from '../auth/oidc-flow.js';
import type { ResolvedAgentConfig } from '../config.js';
import type { ForwardRequest, ForwardResponse } from '../forwarding/forwarded-http.js';
import { requireAclEnabled } from '../acl-enabled.js';
import { REQUEST_ID_HEADER } from '../audit/forwarded-origin.js';
import { loginWithVerifiedClaims, type LoginPorts } from '../auth/login.js';
import { RegionUnavailableError } from '../errors.js';
import { writeResultOf } from '../forwarding/forwarded-http.js';
import { NoPathToRegionError } from '../forwarding/forwarder.js';
import { FORWARD_CALL_TIMEOUT_MS } from '../grpc/retry.js';
import { watchClientGone } from './client-gone.js';
import { secretOf } from './request.js';
import { route } from './route.js';

/**
 * Nomad's OIDC login routes (no ACL required, as in Nomad):
 * - `POST /v1/acl/oidc/auth-url` `{AuthMethodName, RedirectURI, ClientNonce}`
 *   → `{AuthURL}`;
 * - `POST /v1/acl/oidc/complete-auth` `{AuthMethodName, RedirectURI,
 *   ClientNonce, State, Code[, Iss]}` → the new token (as `POST
 *   /v1/acl/login` answers), `X-Nomad-Index` its index.
 *
 * Where they run, as in Nomad: a method whose `TokenLocality` is `global`
 * makes global tokens, written in the authoritative region, so a follower
 * forwards both calls there (the pending login lives where the token is
 * made; in etcd for an HA region, so any of its agents completes it) and
 * answers complete-auth once its own replica has the token
 * (read-your-writes: the token works here on the next request). A `local`
 * method runs both calls in the region asked.
 */
export interface OidcRoutePorts extends LoginPorts {
  readonly config: Pick<ResolvedAgentConfig, 'acl' | 'region' | 'server'>;
  readonly store: LoginPorts['store'] & Pick<StateStore, 'authMethod'>;
  readonly audit?: Pick<RequestAuditor, 'noteForwarded' | 'noteTarget'> | undefined;
  /** The provider side of the OIDC login. */
  readonly oidc: Pick<OidcFlow<ACLAuthMethod>, 'authUrl' | 'completeAuth'>;
  /** Whether this agent's region is the authoritative one. */
  readonly isAuthoritative: boolean;
  /** Runs an HTTP API request in another region over gRPC (here: the authoritative one). */
  forwardToRegion(region: string, req: ForwardRequest): Promise<ForwardResponse>;
  /** Resolves once this region has applied the authoritative index `minIndex` (bounded). */
  awaitAuthoritativeIndex(minIndex: number, signal?: AbortSignal): Promise<void>;
}

export function registerOidcRoutes(app: FastifyInstance, ctx: OidcRoutePorts): void {
  route(app, '/v1/acl/oidc/auth-url', {
    POST: async (req, reply) => {
      requireAclEnabled(ctx.config);
      if (forwardsToAuthoritative(ctx, req.body)) return (await inAuthoritativeRegion(ctx, req, reply)).body;
      const answer = await ctx.oidc.authUrl(req.body);
      // Nothing was written; forwarding reads an index from every answer.
      reply.header('X-Nomad-Index', '0');
      return answer;
    },
  });
  route(app, '/v1/acl/oidc/complete-auth', {
    POST: async (req, reply) => {
      requireAclEnabled(ctx.config);
      if (forwardsToAuthoritative(ctx, req.body)) {
        const result = await inAuthoritativeRegion(ctx, req, reply);
        reply.header('X-Nomad-Index', String(result.index));
        return result.body;
      }
      const login = await ctx.oidc.completeAuth(req.body);
      const result = await loginWithVerifiedClaims(ctx, login.method, login.claims);
      ctx.audit?.noteTarget(req.raw, { ...result.audit });
      reply.header('X-Nomad-Index', String(result.index));
      return result.body;
    },
  });
}

/** Whether the body names a global method and this region is a follower. */
function forwardsToAuthoritative(ctx: OidcRoutePorts, body: unknown): boolean {
  if (ctx.isAuthoritative) return false;
  const name = (body as { AuthMethodName?: unknown } | null)?.AuthMethodName;
  return typeof name === 'string' && ctx.store.authMethod(name)?.TokenLocality === 'global';
}

/**
 * Runs the request in the authoritative region and, once its answer is a
 * success, waits until this region has applied the index it names.
 */
async function inAuthoritativeRegion(ctx: OidcRoutePorts, req: FastifyRequest, reply: FastifyReply): Promise<{ index: number; body?: unknown }> {
  const target = ctx.config.server.authoritativeRegion;
  ctx.audit?.noteForwarded(req.raw, target);
  const gone = watchClientGone(reply);
  try {
    const res = await ctx
      .forwardToRegion(target, {
        method: 'POST',
        path: req.url,
        body: Buffer.from(JSON.stringify(req.body ?? null)),
        headers: { 'content-type': 'application/json', [REQUEST_ID_HEADER]: req.id },
        secret: secretOf(req),
        // complete-auth spends its state and may make a token: never sent twice.
        idempotent: false,
        timeoutMs: FORWARD_CALL_TIMEOUT_MS,
        signal: gone.signal,
      })
      .catch((err: unknown) => {
        if (!(err instanceof NoPathToRegionError)) throw err;
        throw new RegionUnavailableError(`authoritative region "${target}" unreachable: no server.region_peers entry for it in region "${ctx.config.region}"`);
      });
    const result = writeResultOf(res);
    if (result.index > 0) await ctx.awaitAuthoritativeIndex(result.index, gone.signal);
    return result;
  } finally {
    gone.release();
  }
}
