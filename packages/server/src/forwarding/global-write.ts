import type { AclWriteOp, AclWriteResult } from '../acl-write.js';
import { REQUEST_ID_HEADER } from '../audit/forwarded-origin.js';
import { RegionUnavailableError } from '../errors.js';
import { FORWARD_CALL_TIMEOUT_MS } from '../grpc/retry.js';
import { writeRequestFor, writeResultOf } from './forwarded-http.js';
import { NoPathToRegionError } from './forwarder.js';
import type { Forwarder } from './forwarder.js';
import { awaitAuthoritativeIndex } from './min-index.js';
import type { MinIndexContext } from './min-index.js';

/**
 * A follower's global write (bootstrap, policy write, global token write):
 * forwarded with the caller's secret to the authoritative region, whose ACLs
 * decide; on success the follower answers only once its own replica has
 * applied the returned index (read-your-writes), so the new token works
 * here at once. The answer is the authoritative one: its body, and its index
 * in X-Nomad-Index — an authoritative index, usable as
 * `X-Tollgate-Min-Index` in any region.
 *
 * @throws RegionUnavailableError (503, names the region) when the
 *   authoritative region has no peers or none answers; the authoritative
 *   region's own 4xx/5xx as the same status and text; WaitTimeoutError (504)
 *   when the replica does not catch up within `server.replication_wait`
 *   (the write itself did happen).
 */
export async function forwardGlobalWrite(
  ctx: MinIndexContext & { readonly config: { readonly server: { readonly replicationWaitMs: number } } },
  forwarder: Forwarder,
  w: AclWriteOp,
  secret: string,
  requestId?: string,
): Promise<AclWriteResult> {
  const target = ctx.config.server.authoritativeRegion;
  const { method, path, body, idempotent } = writeRequestFor(w);
  let res;
  try {
    res = await forwarder.forward(target, {
      method,
      path,
      body,
      headers: {
        ...(body.length > 0 ? { 'content-type': 'application/json' } : {}),
        // The authoritative region's audit line names the request it came from.
        ...(requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId }),
      },
      secret,
      idempotent,
      timeoutMs: FORWARD_CALL_TIMEOUT_MS,
    });
  } catch (err) {
    if (err instanceof NoPathToRegionError) {
      throw new RegionUnavailableError(`authoritative region "${target}" unreachable: no server.region_peers entry for it in region "${ctx.config.region}"`);
    }
    throw err;
  }
  const result = writeResultOf(res);
  await awaitAuthoritativeIndex(ctx, result.index, ctx.config.server.replicationWaitMs);
  return result;
}
