import type { Logger } from '../logger.js';
import type { ProtectionMetrics } from '../protection-metrics.js';
import { TokenBuckets } from './token-buckets.js';

/** `limits.request_limits`, resolved. */
export interface RequestLimitsConfig {
  /** `enforcing` answers 429; `permissive` only counts and logs; `disabled` does nothing. */
  readonly mode: 'enforcing' | 'permissive' | 'disabled';
  /** Writes per second per client address, and the burst. */
  readonly writeRate: number;
  readonly writeBurst: number;
  /** Authorization checks (cost units, see `requestCost`) per second per client address, and the burst. */
  readonly checkRate: number;
  readonly checkBurst: number;
  /** The same per token (SecretID; the anonymous caller is one token). */
  readonly tokenWriteRate: number;
  readonly tokenCheckRate: number;
  /**
   * Cost units per second per client address for callers without a known
   * token (anonymous, or an unknown secret), writes and checks each: such
   * callers are where floods come from, and they get a far smaller budget
   * than a service with a token.
   */
  readonly anonymousRate: number;
}

/** What a request is charged as. */
export type RequestKind = 'write' | 'check';

/** Bytes per extra cost unit: a big body costs like many small requests, because parsing it does. */
const BYTES_PER_UNIT = 1024;
/** How often fully refilled buckets are dropped. */
const SWEEP_MS = 10_000;

/**
 * What one request costs: 1, plus 1 per KiB of body, so an anonymous
 * client sending near-megabyte check bodies spends its budget hundreds of
 * times faster than one sending ordinary checks.
 */
export function requestCost(bodyBytes: number): number {
  return 1 + Math.floor(bodyBytes / BYTES_PER_UNIT);
}

/**
 * Request rate limits per client address and per token, separately for
 * writes and for authorization checks (reads are bounded by the connection
 * limit and page sizes instead). O(1) per request: two bucket lookups.
 */
export class RequestLimiter {
  readonly #cfg: RequestLimitsConfig;
  readonly #metrics: ProtectionMetrics;
  readonly #log: Logger;
  readonly #client: Record<RequestKind, TokenBuckets>;
  readonly #token: Record<RequestKind, TokenBuckets>;
  readonly #anonymous: Record<RequestKind, TokenBuckets>;
  readonly #timer: NodeJS.Timeout | undefined;
  #lastLogMs = 0;

  constructor(cfg: RequestLimitsConfig, metrics: ProtectionMetrics, log: Logger) {
    this.#cfg = cfg;
    this.#metrics = metrics;
    this.#log = log;
    this.#client = { write: new TokenBuckets(cfg.writeRate, cfg.writeBurst), check: new TokenBuckets(cfg.checkRate, cfg.checkBurst) };
    this.#token = { write: new TokenBuckets(cfg.tokenWriteRate, cfg.writeBurst), check: new TokenBuckets(cfg.tokenCheckRate, cfg.checkBurst) };
    this.#anonymous = { write: new TokenBuckets(cfg.anonymousRate, cfg.anonymousRate), check: new TokenBuckets(cfg.anonymousRate, cfg.anonymousRate) };
    if (cfg.mode !== 'disabled') {
      this.#timer = setInterval(() => {
        const now = Date.now();
        for (const b of [this.#client.write, this.#client.check, this.#token.write, this.#token.check, this.#anonymous.write, this.#anonymous.check]) {
          b.sweep(now);
        }
      }, SWEEP_MS);
      this.#timer.unref();
    }
  }

  /** Whether any limit is applied at all. */
  get enabled(): boolean {
    return this.#cfg.mode !== 'disabled';
  }

  /**
   * Charges one request. Returns 0 to serve it, else the `Retry-After`
   * seconds of a 429 (only in `enforcing` mode; `permissive` counts and
   * serves). `secret` is only a map key here: never logged or exported.
   * `knownToken`: the secret resolves to a stored token; otherwise the
   * caller is charged to the (smaller) anonymous budget of its address.
   */
  admit(kind: RequestKind, address: string, secret: string, cost: number, knownToken: boolean): number {
    if (this.#cfg.mode === 'disabled') return 0;
    const now = Date.now();
    let wait: number;
    let scope: 'client' | 'token' | 'anonymous';
    if (!knownToken) {
      wait = this.#anonymous[kind].take(address, cost, now);
      scope = 'anonymous';
    } else {
      wait = this.#client[kind].take(address, cost, now);
      scope = 'client';
      if (wait === 0) {
        wait = this.#token[kind].take(secret, cost, now);
        scope = 'token';
      }
    }
    if (wait === 0) return 0;
    this.#metrics.rateLimited.inc({ kind, scope });
    // At most one line a second: a flood must not turn into a log flood.
    if (now - this.#lastLogMs >= 1000) {
      this.#lastLogMs = now;
      this.#log.info({ kind, scope, client: address, mode: this.#cfg.mode }, 'request rate limit reached');
    }
    return this.#cfg.mode === 'enforcing' ? wait : 0;
  }

  /** Stops the background sweep. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }
}

/** The text of a 429 answer. */
export function rateLimitedText(kind: RequestKind): string {
  return `Too many requests: ${kind === 'write' ? 'write' : 'authorization check'} rate limit reached (limits.request_limits); retry later`;
}
