import type { FastifyInstance } from 'fastify';
import type { TokenResolver } from '../token-resolver.js';
import { BadRequestError, PermissionDeniedError } from '../errors.js';
import { secretOf } from './request.js';
import { route } from './route.js';

/**
 * `POST /v1/audit/hash` (management): `{"Input":"<secret>"}` →
 * `{"Hash":"hmac-sha256:<hex>"}`, the form the secret takes in this region's
 * audit lines (Vault's `/sys/audit-hash`). Answered whether or not the log
 * is enabled; the input is never logged.
 */
export interface AuditRoutePorts {
  readonly resolver: Pick<TokenResolver, 'resolve'>;
  /** `hmac-sha256:<hex>` of a secret under this region's audit key. */
  auditHash(input: string): string;
}

export function registerAuditRoutes(app: FastifyInstance, ctx: AuditRoutePorts): void {
  route(app, '/v1/audit/hash', {
    POST: (req) => {
      if (!ctx.resolver.resolve(secretOf(req)).acl.isManagement) throw new PermissionDeniedError();
      const body = req.body as { Input?: unknown } | undefined;
      if (typeof body !== 'object' || body === null || typeof body.Input !== 'string' || body.Input === '') {
        throw new BadRequestError('Input must be a non-empty string');
      }
      return { Hash: ctx.auditHash(body.Input) };
    },
  });
}
