import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * How a request replayed from another region (`Forward.Http` → `inject`)
 * tells the audit log where it came from. The forward service adds
 * {@link ORIGIN_HEADER} to the injected request; it carries a random
 * per-process nonce, so a client sending the same header over the network
 * cannot pass a request off as forwarded.
 */
export const ORIGIN_HEADER = 'x-tollgate-audit-origin';

/** Header a forwarded request carries its origin request id in (gRPC `HttpRequest.headers`). */
export const REQUEST_ID_HEADER = 'x-tollgate-request-id';

const NONCE = randomBytes(16).toString('hex');

/** Where a forwarded request came from, as the receiving agent knows it. */
export interface ForwardedOrigin {
  /** The region the forwarding agent names (`HttpRequest.origin_region`). */
  readonly region: string;
  /** The gRPC peer address that sent it. */
  readonly peer: string;
  /** The forwarding agent's request id, when it sent one. */
  readonly requestId: string;
}

/** The header value to inject with a forwarded request. */
export function originHeaderValue(origin: ForwardedOrigin): string {
  return `${NONCE} ${JSON.stringify(origin)}`;
}

/** The origin of an injected request, or `undefined` for anything else (a forged header included). */
export function forwardedOriginOf(headers: IncomingHttpHeaders): ForwardedOrigin | undefined {
  const v = headers[ORIGIN_HEADER];
  if (typeof v !== 'string' || !v.startsWith(NONCE + ' ')) return undefined;
  try {
    const o = JSON.parse(v.slice(NONCE.length + 1)) as Partial<ForwardedOrigin>;
    return { region: String(o.region ?? ''), peer: String(o.peer ?? ''), requestId: String(o.requestId ?? '') };
  } catch {
    return undefined;
  }
}
