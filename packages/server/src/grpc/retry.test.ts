import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  PeerConnectError,
  RETRY_INITIAL_BACKOFF_MS,
  RETRY_MAX_BACKOFF_MS,
  RETRY_NOT_RETRYABLE_BACKOFF_MS,
  backoffDelayMs,
  isRetryable,
} from './retry.js';

const grpcErr = (code: status): Error => Object.assign(new Error(status[code]), { code, details: 'x' });

describe('isRetryable', () => {
  it('retries transport failures: unavailable, deadline, reset streams', () => {
    for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.INTERNAL, status.RESOURCE_EXHAUSTED, status.CANCELLED]) {
      expect(isRetryable(grpcErr(code)), status[code]).toBe(true);
    }
  });

  it('does not retry answers another try would repeat: refused token, wrong region, bad input', () => {
    for (const code of [status.PERMISSION_DENIED, status.UNAUTHENTICATED, status.FAILED_PRECONDITION, status.INVALID_ARGUMENT, status.UNIMPLEMENTED]) {
      expect(isRetryable(grpcErr(code)), status[code]).toBe(false);
    }
  });

  it('retries a non-idempotent request only when it never reached a peer', () => {
    expect(isRetryable(new PeerConnectError('10.0.0.1:4647', 'connection refused'), { idempotent: false })).toBe(true);
    expect(isRetryable(grpcErr(status.UNAVAILABLE), { idempotent: false })).toBe(false);
    expect(isRetryable(grpcErr(status.UNAVAILABLE), { idempotent: true })).toBe(true);
  });

  it('lets an error that carries its own verdict decide', () => {
    expect(isRetryable(Object.assign(new Error('no token configured'), { retryable: false }))).toBe(false);
    expect(isRetryable(Object.assign(grpcErr(status.PERMISSION_DENIED), { retryable: true }))).toBe(true);
  });

  it('treats a local failure without a gRPC status as worth another try', () => {
    expect(isRetryable(new Error('store busy'))).toBe(true);
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially from the initial delay and is capped', () => {
    const top = () => 1; // the upper end of the jitter range
    expect(backoffDelayMs(0, new Error('x'), top)).toBe(RETRY_INITIAL_BACKOFF_MS);
    expect(backoffDelayMs(1, new Error('x'), top)).toBe(RETRY_INITIAL_BACKOFF_MS * 2);
    expect(backoffDelayMs(3, new Error('x'), top)).toBe(RETRY_INITIAL_BACKOFF_MS * 8);
    expect(backoffDelayMs(50, new Error('x'), top)).toBe(RETRY_MAX_BACKOFF_MS);
  });

  it('jitters between half and all of the ceiling so followers do not reconnect in lock-step', () => {
    expect(backoffDelayMs(4, new Error('x'), () => 0)).toBe((RETRY_INITIAL_BACKOFF_MS * 16) / 2);
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, new Error('x'))));
    expect(seen.size).toBeGreaterThan(1);
    for (const v of seen) {
      expect(v).toBeGreaterThanOrEqual(800);
      expect(v).toBeLessThanOrEqual(1600);
    }
  });

  it('waits long after a failure that will not heal by itself', () => {
    expect(backoffDelayMs(0, grpcErr(status.PERMISSION_DENIED))).toBe(RETRY_NOT_RETRYABLE_BACKOFF_MS);
  });

  it('rejects a negative or fractional attempt', () => {
    expect(() => backoffDelayMs(-1, new Error('x'))).toThrow(RangeError);
    expect(() => backoffDelayMs(1.5, new Error('x'))).toThrow(/attempt must be a non-negative integer/);
  });
});
