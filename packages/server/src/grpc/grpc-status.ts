import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServiceError, StatusObject } from '@grpc/grpc-js';
import { errorStatusOf } from '../errors.js';

/** A gRPC status error as grpc-js handlers pass it to a callback or `destroy`. */
export function grpcError(code: GrpcStatus, details: string): Partial<StatusObject> & Error {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/**
 * Turns any error thrown by handler code into the status the caller sees, by
 * the gRPC column of `ERROR_CATALOGUE` (errors.ts). INTERNAL, and anything
 * that is not a catalogued Tollgate error, is sent without its message (it
 * may describe internals).
 */
export function toGrpcError(err: unknown): Partial<StatusObject> & Error {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const mapped = errorStatusOf(code)?.grpc;
    if (mapped !== undefined && mapped !== GrpcStatus.INTERNAL) return grpcError(mapped, err instanceof Error ? err.message : String(err));
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
