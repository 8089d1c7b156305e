import parseDuration from 'parse-duration';
import { DurationError } from './errors.js';

// Go's grammar: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, each number needing at
// least one digit, with units ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h.
// A bare "0" (optionally signed) is the only unit-less value allowed.
const GO_DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const BARE_ZERO = /^[-+]?0$/;

/** Go's largest Duration, (2^63 − 1) ns, in milliseconds. */
const MAX_MS = 9_223_372_036_854.775807;

function invalid(s: string): DurationError {
  return new DurationError(`invalid duration ${JSON.stringify(s)}`);
}

/**
 * Parses a Go duration string (`300ms`, `1.5h`, `2h45m`, `-5m`, `0`) into
 * milliseconds, accepting exactly what Go's `time.ParseDuration` accepts.
 * Sub-millisecond parts are kept as fractions, rounded to whole
 * nanoseconds. Throws {@link DurationError} (a `RangeError`) with
 * `invalid duration "<s>"` for anything else, including values beyond Go's
 * ±292-year range.
 */
export function parseGoDuration(s: string): number {
  if (typeof s !== 'string') throw new TypeError(`duration must be a string, got ${typeof s}`);
  if (BARE_ZERO.test(s)) return 0;
  if (!GO_DURATION.test(s)) throw invalid(s);
  // Normalise for parse-duration, which knows "us" but not both micro signs
  // and reads "5.s" as 5 ms (Go: 5 s). It takes the sign from the first
  // character.
  const ms = parseDuration(s.replace(/[µμ]s/g, 'us').replace(/(\d)\.(?!\d)/g, '$1'), 'ms');
  if (ms === null || !Number.isFinite(ms) || Math.abs(ms) > MAX_MS) throw invalid(s);
  const rounded = Math.round(ms * 1e6) / 1e6;
  return rounded === 0 ? 0 : rounded; // no -0
}

// Renders `value` (a whole number of `10^-digits` units) as Go does:
// trailing zeros of the fraction dropped, no point when the fraction is 0.
function fixed(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = value / scale;
  const frac = value % scale;
  if (frac === 0n) return whole.toString();
  return `${whole}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/**
 * Formats milliseconds like Go's `Duration.String()`: `24h0m0s`, `1m0s`,
 * `-5m0s`, `1.5s`, `300ms`, `1.5µs`, `0s`. Fractions of a nanosecond are
 * rounded away. Throws `RangeError` for non-finite input.
 */
export function formatGoDuration(ms: number): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new RangeError(`duration must be a finite number, got ${String(ms)}`);
  return formatGoDurationNs(BigInt(Math.round(ms * 1e6)));
}

/**
 * Formats a whole number of nanoseconds exactly like Go's
 * `Duration.String()`: `1ns`, `1.5µs`, `1.5s`, `1h30m0s`, `0s`. This is how
 * Nomad's JSON answers show `ExpirationTTL`. A `number` must be an integer
 * (token TTLs are stored as integer nanoseconds); a `bigint` covers Go's
 * whole int64 range. Throws `RangeError` otherwise.
 */
export function formatGoDurationNs(value: number | bigint): string {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`nanoseconds must be a safe integer, got ${String(value)}`);
  }
  let ns = BigInt(value);
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;

  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${fixed(ns, 3)}µs`;
  if (ns < 1_000_000_000n) return `${sign}${fixed(ns, 6)}ms`;

  const hours = ns / 3_600_000_000_000n;
  ns %= 3_600_000_000_000n;
  const minutes = ns / 60_000_000_000n;
  ns %= 60_000_000_000n;
  const seconds = `${fixed(ns, 9)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
