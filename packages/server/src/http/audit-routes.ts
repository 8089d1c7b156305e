import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PermissionDeniedError } from '../errors.js';
import { field, requestBody } from '../request-body.js';
import type { TokenResolver } from '../token-resolver.js';
import { secretOf } from './request.js';
import { route } from './route.js';

/**
 * `POST /v1/audit/hash` (management): `{"Input":"<secret>"}` →
 * `{"Hash":"hmac-sha256:<hex>"}`, the form the secret takes in this region's
 * audit lines (Vault's `/sys/audit-hash`). Answered whether or not the log
 * is enabled; the input is never logged.
 */
const INPUT_ERROR = 'Input must be a non-empty string';
/** `POST /v1/audit/hash`'s body. */
const HASH_BODY = requestBody({ Input: field(Type.String(), { message: INPUT_ERROR }) }, { notObject: INPUT_ERROR });

export interface AuditRoutePorts {
  readonly resolver: Pick<TokenResolver, 'resolve'>;
  /** `hmac-sha256:<hex>` of a secret under this region's audit key. */
  auditHash(input: string): string;
}

export function registerAuditRoutes(app: FastifyInstance, ctx: AuditRoutePorts): void {
  route(app, '/v1/audit/hash', {
    POST: (req) => {
      if (!ctx.resolver.resolve(secretOf(req)).acl.isManagement) throw new PermissionDeniedError();
      const input = HASH_BODY.decode(req.body).Input;
      if (input === undefined || input === null || input === '') throw HASH_BODY.fieldError('Input');
      return { Hash: ctx.auditHash(input) };
    },
  });
}
