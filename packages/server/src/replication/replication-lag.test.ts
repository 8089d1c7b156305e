import { describe, expect, it } from 'vitest';
import { replicationIndexLag, replicationLagSeconds } from './replication-lag.js';

const base = { nowMs: 10_000, startedMs: 1_000, lastCaughtUpMs: 9_000 };

describe('replicationLagSeconds', () => {
  it('is 0 while streaming with nothing waiting to be applied', () => {
    expect(replicationLagSeconds({ ...base, connected: true, oldestPendingCommitMs: undefined })).toBe(0);
  });

  it('measures from the source commit of the oldest change not yet applied', () => {
    expect(replicationLagSeconds({ ...base, connected: true, oldestPendingCommitMs: 9_750 })).toBe(0.25);
  });

  it('grows from the last moment the follower knew it was caught up when the stream is down', () => {
    expect(replicationLagSeconds({ ...base, connected: false, oldestPendingCommitMs: undefined })).toBe(1);
    expect(replicationLagSeconds({ ...base, nowMs: 70_000, connected: false, oldestPendingCommitMs: undefined })).toBe(61);
  });

  it('counts from the loop start when the follower was never caught up', () => {
    expect(replicationLagSeconds({ ...base, lastCaughtUpMs: undefined, connected: false, oldestPendingCommitMs: undefined })).toBe(9);
  });

  it('never goes negative when the source clock runs ahead', () => {
    expect(replicationLagSeconds({ ...base, connected: true, oldestPendingCommitMs: 12_000 })).toBe(0);
  });
});

describe('replicationIndexLag', () => {
  it('is the number of source indexes known but not applied, never negative', () => {
    expect(replicationIndexLag(120, 100)).toBe(20);
    expect(replicationIndexLag(100, 120)).toBe(0);
  });
});
