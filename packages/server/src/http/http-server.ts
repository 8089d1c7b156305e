import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { AgentContext } from '../agent-context.js';
import { httpStatusFor } from '../errors.js';
import { registerAclRoutes } from './acl-routes.js';
import { registerAgentRoutes } from './agent-routes.js';
import { registerAuthorizeRoute } from './authorize-route.js';

/** A route handler: returns the JSON body to send, or `undefined` for none. */
export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;

/** Methods handled per path; PUT is an alias of POST, as in Nomad. */
export interface MethodTable {
  GET?: Handler;
  POST?: Handler;
  DELETE?: Handler;
}

/** Every method a client may send; the ones a path lacks get 405. */
const ALL_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** Registers one path with Nomad's method rules (PUT = POST, others 405). */
export function route(app: FastifyInstance, url: string, table: MethodTable): void {
  app.route({
    method: ALL_METHODS,
    url,
    handler: async (req, reply) => {
      const method = req.method === 'PUT' ? 'POST' : req.method;
      const h = table[method as keyof MethodTable];
      if (h === undefined) {
        return reply.code(405).type('text/plain; charset=utf-8').send('Invalid method');
      }
      const body = await h(req, reply);
      if (reply.sent) return reply;
      if (body === undefined) return reply.send();
      return reply.type('application/json').send(JSON.stringify(body));
    },
  });
}

/**
 * Builds the agent's HTTP server (Fastify). Bodies are read as JSON whatever
 * their content type (curl's `--data` sends form encoding; Nomad ignores the
 * header), limited to `limits.http_max_body_bytes`. Errors are plain text
 * with Nomad's status codes; 5xx details go to the log, not the client.
 */
export function createHttpServer(ctx: AgentContext): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance type plain.
    loggerInstance: ctx.log.child({ component: 'http' }) as FastifyBaseLogger,
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
    forceCloseConnections: true,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
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
      req.log.error({ err, route: req.routeOptions.url, method: req.method }, 'request failed');
    }
    let message = err instanceof Error ? err.message : String(err);
    if (status === 413) message = `Request body too large (limit ${ctx.config.limits.httpMaxBodyBytes} bytes)`;
    // Internal errors are logged in full; the client gets a generic text.
    if (status === 500) message = 'Internal error';
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

  registerAuthorizeRoute(app, ctx);
  registerAclRoutes(app, ctx);
  registerAgentRoutes(app, ctx);
  return app;
}
