import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions as HttpsOptions } from 'node:https';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { StateStore } from '@tollgate/state';
import type { RequestAuditor } from '../audit/request-auditor.js';
import type { ResolvedAgentConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { AgentMetrics } from '../metrics.js';
import type { TokenResolver } from '../token-resolver.js';
import { registerAuditHooks } from './audit-hooks.js';
import { registerAuditRoutes, type AuditRoutePorts } from './audit-routes.js';
import { createRequestIds } from '../audit/request-id.js';
import { ERROR_CODE_HEADER, errorCodeOf, httpStatusFor } from '../errors.js';
import { registerAclRoutes, type AclRoutePorts } from './acl-routes.js';
import { registerOidcRoutes, type OidcRoutePorts } from './oidc-routes.js';
import { registerAgentRoutes, type AgentRoutePorts } from './agent-routes.js';
import { createAuthorizer, registerAuthorizeRoute, type AuthorizerPorts } from './authorize-route.js';
import { createAuthorizeFastPath, type AuthorizeFastPathPorts } from './fast-path.js';
import { registerHaConsistency, type HaConsistencyPorts } from './ha-consistency.js';
import { applyConnectionLimits } from './connection-limits.js';
import { jsonTooDeep, tooDeepError } from './json-body.js';
import { RequestLimiter } from './request-limiter.js';
import { registerRequestGuard } from './request-guard.js';
import { registerUiRoutes, type UiRoutePorts } from './ui-routes.js';
import { registerValidateRoutes, type ValidateRoutePorts } from './validate-routes.js';
import type { AgentTls } from '../tls/agent-tls.js';
import type { TlsMaterial } from '../tls/tls-material.js';

/** Node's HTTPS options for `tls { http = true }` (a reload calls `setSecureContext` with new ones). */
export function httpsOptions(tls: AgentTls, m: TlsMaterial): HttpsOptions {
  const verify = tls.config.verifyHttpsClient;
  return { ca: m.ca, cert: m.cert, key: m.key, minVersion: tls.config.tlsMinVersion, requestCert: verify, rejectUnauthorized: verify };
}

/**
 * What the HTTP server needs: the union of its route modules' ports (each
 * declared next to its module), which the agent provides (agent.ts). The
 * shared members are named here at their widest.
 */
export interface HttpServerPorts
  extends AclRoutePorts,
    OidcRoutePorts,
    AgentRoutePorts,
    AuditRoutePorts,
    ValidateRoutePorts,
    UiRoutePorts,
    HaConsistencyPorts,
    AuthorizerPorts,
    AuthorizeFastPathPorts {
  readonly config: ResolvedAgentConfig;
  readonly store: StateStore;
  readonly resolver: TokenResolver;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  /** The audit log (`audit { enabled = true }`); `undefined` when it is off. */
  readonly audit?: RequestAuditor | undefined;
}

/**
 * Builds the agent's HTTP server (Fastify). Bodies are read as JSON whatever
 * their content type (curl's `--data` sends form encoding; Nomad ignores the
 * header), limited to `limits.http_max_body_bytes`. Errors are plain text
 * with Nomad's status codes; 5xx details go to the log, not the client.
 */
export function createHttpServer(ctx: HttpServerPorts, tls?: AgentTls): FastifyInstance {
  const authorize = createAuthorizer(ctx);
  const requestId = createRequestIds();
  const limits = ctx.config.limits;
  const httpLog = ctx.log.child({ component: 'http' });
  const limiter = new RequestLimiter(limits.requestLimits, ctx.metrics.protection, httpLog);
  const fastPath = createAuthorizeFastPath(ctx, authorize, limiter, requestId);
  const app = Fastify({
    // The authorize hot path is answered before Fastify (see fast-path.ts).
    serverFactory: (handler) => {
      const serve = (req: IncomingMessage, res: ServerResponse): void => {
        if (!fastPath(req, res)) handler(req, res);
      };
      // Node enforces the read timeout on this period: fine enough for short timeouts.
      const checking = { connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.httpReadTimeoutMs / 4))) };
      const secure = tls !== undefined && tls.config.http;
      let server: ReturnType<typeof createServer>;
      if (!secure) server = createServer(checking, serve);
      else {
        const https = createHttpsServer({ ...httpsOptions(tls, tls.material), ...checking, handshakeTimeout: limits.httpsHandshakeTimeoutMs }, serve);
        // Rotation: the next connection gets the new certificate.
        tls.onReload((m) => https.setSecureContext(httpsOptions(tls, m)));
        server = https as unknown as ReturnType<typeof createServer>;
      }
      applyConnectionLimits(server, limits, ctx.metrics.protection, httpLog, secure);
      return server;
    },
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance type plain.
    loggerInstance: httpLog as FastifyBaseLogger,
    // No access log per request: the hot path stays lean and metrics count
    // requests instead; writes and failures log themselves.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify would build a child logger (with redaction paths) per request;
    // the agent's http logger serves every request instead.
    childLoggerFactory: (logger) => logger,
    bodyLimit: ctx.config.limits.httpMaxBodyBytes,
    // Nomad's API is case sensitive and has no trailing-slash aliases.
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: false, maxParamLength: 256 },
    return503OnClosing: true,
    // Request ids name requests in the audit log (the fast path draws from the same source).
    genReqId: () => requestId(),
    // On close, drop idle keep-alive connections only; in-flight requests
    // finish (drain's grace timer cuts the rest).
    forceCloseConnections: 'idle',
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (jsonTooDeep(text)) return done(tooDeepError(), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = new Error('Request decode failed: body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const status = httpStatusFor(err);
    if (status >= 500) {
      // A client that hung up (e.g. during a forward) is not a server fault:
      // one info line, no stack.
      if (req.raw.destroyed || req.raw.socket.destroyed) {
        req.log.info({ route: req.routeOptions.url, method: req.method, code: (err as { code?: unknown }).code }, 'client went away before the answer');
      } else {
        req.log.error({ err, route: req.routeOptions.url, method: req.method }, 'request failed');
      }
    }
    let message = err instanceof Error ? err.message : String(err);
    if (status === 413) message = `Request body too large (limit ${ctx.config.limits.httpMaxBodyBytes} bytes)`;
    // Internal errors are logged in full; the client gets a generic text.
    if (status === 500) message = 'Internal error';
    const code = errorCodeOf(err);
    if (code !== undefined) void reply.header(ERROR_CODE_HEADER, code);
    void reply.code(status).type('text/plain; charset=utf-8').send(message);
  });

  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).type('text/plain; charset=utf-8').send('Not found');
  });

  const { httpRequests, httpDuration } = ctx.metrics;
  app.addHook('onResponse', (req, reply, done) => {
    const routeUrl = req.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route: routeUrl, code: reply.statusCode });
    httpDuration.observe({ route: routeUrl }, reply.elapsedTime / 1000);
    done();
  });

  // Before every route and the cross-region hook: a refused request goes nowhere.
  registerRequestGuard(app, {
    limiter,
    allowedOrigins: ctx.config.httpAllowedOrigins,
    knownToken: (secret) => secret !== '' && ctx.store.tokenBySecret(secret) !== undefined,
  });
  app.addHook('onClose', (_app, done) => {
    limiter.close();
    done();
  });
  if (ctx.audit !== undefined) registerAuditHooks(app, ctx.audit);
  registerAuthorizeRoute(app, authorize);
  registerAuditRoutes(app, ctx);
  registerAclRoutes(app, ctx);
  registerOidcRoutes(app, ctx);
  registerAgentRoutes(app, ctx);
  registerValidateRoutes(app, ctx);
  registerUiRoutes(app, ctx);
  // After the cross-region hook: a request for another region must not wait on this region's etcd.
  registerHaConsistency(app, ctx);
  return app;
}
