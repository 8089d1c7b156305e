import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';

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
