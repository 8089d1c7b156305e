import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Deadline propagation across a hop that is not a gRPC call. An inbound
 * `Forward.Http` is replayed through Fastify's `inject()`, so grpc-js'
 * `parent` propagation cannot reach the outbound call a route may make (a
 * follower asked by another region to create a global token forwards it on
 * to the authoritative region). The inbound deadline is kept in async
 * context instead, and every outbound call takes the earlier of its own
 * deadline and the inherited one.
 */
const inherited = new AsyncLocalStorage<number>();

/** Runs `fn` with `deadlineMs` (ms since the epoch; Infinity = none) as the inherited deadline. */
export function withInheritedDeadline<T>(deadlineMs: number, fn: () => T): T {
  return inherited.run(deadlineMs, fn);
}

/**
 * The deadline (ms since the epoch) for an outbound call that wants
 * `timeoutMs`: now + timeoutMs, or the inherited deadline when that is
 * earlier.
 */
export function outboundDeadline(timeoutMs: number, now: number = Date.now()): number {
  const own = now + timeoutMs;
  const parent = inherited.getStore();
  return parent !== undefined && parent < own ? parent : own;
}

/** A grpc-js deadline (a Date, or Infinity) as ms since the epoch. */
export function deadlineMs(deadline: Date | number): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}
