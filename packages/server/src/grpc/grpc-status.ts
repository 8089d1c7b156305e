import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceError, StatusObject } from '@grpc/grpc-js';

/**
 * Tollgate error code → gRPC status, the gRPC twin of `httpStatusFor` in
 * errors.ts: one table, read by every gRPC handler. Codes not listed are
 * INTERNAL, and their message is not sent (it may describe internals).
 */
const GRPC_STATUS: Readonly<Record<string, GrpcStatus>> = {
  TOLLGATE_PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  TOLLGATE_TOKEN_EXPIRED: GrpcStatus.PERMISSION_DENIED,
  TOLLGATE_ACL_DISABLED: GrpcStatus.FAILED_PRECONDITION,
  TOLLGATE_NOT_AUTHORITATIVE: GrpcStatus.FAILED_PRECONDITION,
  TOLLGATE_WRONG_REGION: GrpcStatus.FAILED_PRECONDITION,
  TOLLGATE_FEED_HORIZON: GrpcStatus.FAILED_PRECONDITION,
  TOLLGATE_BAD_REQUEST: GrpcStatus.INVALID_ARGUMENT,
  TOLLGATE_INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  TOLLGATE_STORE_CLOSED: GrpcStatus.UNAVAILABLE,
  TOLLGATE_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  TOLLGATE_AGENT_DRAINING: GrpcStatus.UNAVAILABLE,
};

/** A gRPC status error as grpc-js handlers pass it to a callback or `destroy`. */
export function grpcError(code: GrpcStatus, details: string): Partial<StatusObject> & Error {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/** Turns any error thrown by handler code into the status the caller sees. */
export function toGrpcError(err: unknown): Partial<StatusObject> & Error {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const mapped = GRPC_STATUS[code];
    if (mapped !== undefined) return grpcError(mapped, err instanceof Error ? err.message : String(err));
  }
  return grpcError(GrpcStatus.INTERNAL, 'internal error');
}

/** Whether `err` is a gRPC status error from a call (has a numeric `code`). */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number';
}

/** The readable name of a gRPC status code (`UNAVAILABLE`), for logs and metric labels. */
export function statusName(code: number): string {
  return GrpcStatus[code] ?? `STATUS_${code}`;
}
