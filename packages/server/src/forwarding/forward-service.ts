import type { ForwardHandlers } from '../generated/tollgate/v1/Forward.js';
import { ORIGIN_HEADER, REQUEST_ID_HEADER, originHeaderValue } from '../audit/forwarded-origin.js';
import { TollgateError } from '../errors.js';
import { secretFromMetadata } from '../grpc/call-auth.js';
import { deadlineMs, withInheritedDeadline } from '../grpc/call-deadline.js';
import { toGrpcError } from '../grpc/grpc-status.js';
import type { Logger } from '../logger.js';
import { FORWARDED_REQUEST_HEADERS, isForwardedResponseHeader, stripRegionParam } from './forwarded-http.js';

/** A request as Fastify's `inject()` takes it. */
export interface InjectRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: Buffer;
}

/** The part of Fastify's `inject()` answer the service reads. */
export interface InjectResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly rawPayload: Buffer;
}

/** Runs one request through the agent's own HTTP app (`app.inject`). */
export type InjectFn = (req: InjectRequest) => Promise<InjectResponse>;

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

/**
 * The receiving side of `tollgate.v1.Forward`: replays a forwarded request
 * through this agent's HTTP app, token included, so the request meets
 * exactly the checks (ACLs, validation, limits) a direct request would, and
 * the answer goes back as it is. The inbound deadline becomes the inherited
 * deadline of any call the route makes in turn (a follower forwarding a
 * global write on to the authoritative region).
 */
export function forwardHandlers(opts: { region: string; inject: InjectFn; log: Logger }): ForwardHandlers {
  const { region, inject, log } = opts;
  return {
    Http: (call, callback) => {
      const req = call.request;
      const method = req.method.toUpperCase();
      if (req.region !== '' && req.region !== region) {
        callback(
          toGrpcError(
            new TollgateError('TOLLGATE_WRONG_REGION', `peer ${call.getPeer()} asked region "${req.region}" but this agent is in region "${region}"`),
          ),
        );
        return;
      }
      if (!METHODS.has(method) || !req.path.startsWith('/v1/')) {
        callback(toGrpcError(new TollgateError('TOLLGATE_INVALID_ARGUMENT', `cannot forward ${method} ${req.path.slice(0, 80)}`)));
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const v = req.headers[name];
        if (v !== undefined) headers[name] = v;
      }
      headers[ORIGIN_HEADER] = originHeaderValue({ region: req.origin_region, peer: call.getPeer(), requestId: req.headers[REQUEST_ID_HEADER] ?? '' });
      const secret = secretFromMetadata(call.metadata);
      if (secret !== '') headers['x-nomad-token'] = secret;
      const deadline = deadlineMs(call.getDeadline());
      withInheritedDeadline(deadline, () =>
        inject({
          method: method as InjectRequest['method'],
          // A second `region` would send the request on again: this agent serves it.
          url: stripRegionParam(req.path),
          headers,
          ...(req.body.length > 0 ? { payload: req.body } : {}),
        }),
      ).then(
        (res) => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined && isForwardedResponseHeader(name)) out[name.toLowerCase()] = String(value);
          }
          log.debug({ from: req.origin_region, method, status: res.statusCode }, 'served forwarded request');
          callback(null, { status: res.statusCode, headers: out, body: res.rawPayload });
        },
        (err: unknown) => {
          log.error({ err, from: req.origin_region, method }, 'forwarded request failed');
          callback(toGrpcError(err));
        },
      );
    },
  };
}
