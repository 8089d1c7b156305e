import { describe, expect, it } from 'vitest';
import { DurationError, formatGoDuration, formatGoDurationNs, parseGoDuration } from '@tollgate/acl';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['-5m', -300_000],
    ['+5m', 300_000],
    ['1h2m3s4ms', 3_723_004],
    ['.5s', 500],
    ['5.s', 5000],
    ['10us', 0.01],
    ['10µs', 0.01],
    ['10μs', 0.01],
    ['1500ns', 0.0015],
    ['24h', 86_400_000],
    ['1m0s', 60_000],
  ])('parses %s as %s ms', (input, ms) => {
    expect(parseGoDuration(input)).toBe(ms);
  });

  it.each(['', '1', '1d', '5 m', 'm', '.s', '-', '1h-5m', '1H', ' 1s', '1s ', '1e3s', 'ms', '1.2.3s', '3000000h'])(
    'rejects %j with invalid duration',
    (input) => {
      const attempt = (): number => parseGoDuration(input);
      expect(attempt).toThrow(DurationError);
      expect(attempt).toThrow(RangeError);
      expect(attempt).toThrow(`invalid duration ${JSON.stringify(input)}`);
    },
  );

  it('throws TypeError for non-strings', () => {
    expect(() => parseGoDuration(5 as unknown as string)).toThrow(TypeError);
  });
});

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [86_400_000, '24h0m0s'],
    [60_000, '1m0s'],
    [-300_000, '-5m0s'],
    [1500, '1.5s'],
    [300, '300ms'],
    [1.5, '1.5ms'],
    [0.0015, '1.5µs'],
    [0.000001, '1ns'],
    [3_723_004, '1h2m3.004s'],
    [3_600_000, '1h0m0s'],
    [59_999, '59.999s'],
    [-0.5, '-500µs'],
  ])('formats %s ms as %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('round-trips through parseGoDuration', () => {
    for (const text of ['24h0m0s', '1m0s', '-5m0s', '1.5s', '300ms', '2h45m0s', '1.5µs']) {
      expect(formatGoDuration(parseGoDuration(text))).toBe(text);
    }
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('rejects %s', (ms) => {
    expect(() => formatGoDuration(ms)).toThrow(RangeError);
  });
});

describe('formatGoDurationNs', () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [999, '999ns'],
    [1_000, '1µs'],
    [1_500, '1.5µs'],
    [1_000_001, '1.000001ms'],
    [1_500_000_000, '1.5s'],
    [5_400_000_000_000, '1h30m0s'],
    [600_000_000_000, '10m0s'],
    [3_600_000_000_000, '1h0m0s'],
    [86_400_000_000_000, '24h0m0s'],
    [61_000_000_001, '1m1.000000001s'],
    [-1, '-1ns'],
    [-90_000_000_000, '-1m30s'],
  ])('formats %s ns as %s', (ns, text) => {
    expect(formatGoDurationNs(ns)).toBe(text);
  });

  it("covers Go's whole int64 range through bigint", () => {
    expect(formatGoDurationNs(9_223_372_036_854_775_807n)).toBe('2562047h47m16.854775807s');
    expect(formatGoDurationNs(-9_223_372_036_854_775_808n)).toBe('-2562047h47m16.854775808s');
  });

  it('rejects fractional and unsafe numbers rather than rounding them silently', () => {
    expect(() => formatGoDurationNs(1.5)).toThrow(RangeError);
    expect(() => formatGoDurationNs(2 ** 60)).toThrow(RangeError);
    expect(() => formatGoDurationNs(Number.NaN)).toThrow(RangeError);
  });
});
