import { describe, expect, it } from 'vitest';
import { CommitClock } from './commit-clock.js';

describe('CommitClock', () => {
  it('dates every index of a group commit with that commit', () => {
    const c = new CommitClock(0, 1000);
    c.record(3, 5000); // indexes 1..3 committed together
    c.record(7, 6000);
    expect(c.timeOf(1)).toBe(5000);
    expect(c.timeOf(3)).toBe(5000);
    expect(c.timeOf(4)).toBe(6000);
    expect(c.timeOf(7)).toBe(6000);
  });

  it('dates indexes from before the process started with the start time', () => {
    const c = new CommitClock(10, 1000);
    c.record(11, 5000);
    expect(c.timeOf(10)).toBe(1000);
    expect(c.timeOf(2)).toBe(1000);
    expect(c.timeOf(11)).toBe(5000);
  });

  it('dates an index newer than every record with now', () => {
    const c = new CommitClock(0, 1000);
    c.record(2, 5000);
    expect(c.timeOf(3, 9999)).toBe(9999);
  });

  it('ignores records that do not move forward', () => {
    const c = new CommitClock(0, 1000);
    c.record(5, 5000);
    c.record(5, 7000);
    c.record(4, 8000);
    expect(c.timeOf(5)).toBe(5000);
  });

  it('keeps only the newest records, dating older indexes no earlier than the oldest kept', () => {
    const c = new CommitClock(0, 0, 3);
    for (let i = 1; i <= 10; i++) c.record(i, i * 100);
    expect(c.timeOf(10)).toBe(1000);
    expect(c.timeOf(8)).toBe(800);
    expect(c.timeOf(2)).toBe(800);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new CommitClock(0, 0, 0)).toThrow(RangeError);
  });
});
