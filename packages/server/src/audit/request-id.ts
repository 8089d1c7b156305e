import { randomBytes } from 'node:crypto';

/**
 * Request ids for the audit log and Fastify: a random per-process prefix and
 * a counter (`8f3a1c2d-1f`), unique across restarts and agents without a
 * random draw per request.
 */
export function createRequestIds(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let n = 0;
  return () => `${prefix}-${(++n).toString(36)}`;
}
