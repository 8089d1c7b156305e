import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * What `auth-url` remembers of a login until `complete-auth` (server side:
 * the `State` the provider sees is a random handle, nothing more). The
 * PKCE verifier never leaves the region; the client's nonce is kept as a
 * hash only.
 */
export interface OidcPendingLogin {
  /** The auth method the login was started with. */
  readonly method: string;
  /** The exact `RedirectURI` of the auth-url call. */
  readonly redirectUri: string;
  /** SHA-256 (hex) of the `ClientNonce` of the auth-url call. */
  readonly nonceHash: string;
  /** The PKCE `code_verifier` whose S256 challenge went to the provider. */
  readonly codeVerifier: string;
  /** Epoch milliseconds after which the state is refused. */
  readonly expiresAtMs: number;
}

/** Why a state cannot be used: never issued here (or forgotten), expired, or used already. */
export type OidcStateRefusal = 'unknown' | 'expired' | 'used';

/** The outcome of {@link OidcStateStore.take}. */
export type OidcStateTake = { readonly ok: true; readonly login: OidcPendingLogin } | { readonly ok: false; readonly reason: OidcStateRefusal };

/**
 * Where pending OIDC logins live between `auth-url` and `complete-auth`.
 * Keys are SHA-256 hashes of the `State` values (a dump of the store holds
 * no usable state). `take` is single use: it removes the login whatever
 * the caller does with it next, so a state is spent by its first
 * complete-auth, successful or not.
 */
export interface OidcStateStore {
  /** Remembers `login` under `stateHash` until `login.expiresAtMs`. */
  put(stateHash: string, login: OidcPendingLogin): Promise<void>;
  /** Removes and returns the login of `stateHash`, or why there is none. */
  take(stateHash: string): Promise<OidcStateTake>;
}

/** SHA-256 hex of a `State` or `ClientNonce`: what the store keeps instead of the value. */
export function oidcHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Whether `value` hashes to `hash` (constant time over the hashes). */
export function matchesHash(value: string, hash: string): boolean {
  const a = Buffer.from(oidcHash(value), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Options of {@link MemoryOidcStateStore}. */
export interface MemoryOidcStateStoreOptions {
  /**
   * Pending logins (and spent-state markers) kept at most; past it the
   * oldest is forgotten first.
   * @default 4096
   */
  readonly maxEntries?: number;
  /**
   * How long an expired or spent state is still remembered as such, so a
   * late or replayed complete-auth is told "expired" or "already used"
   * rather than "unknown".
   * @default 600000 (10 minutes)
   */
  readonly retainMs?: number;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

type Entry = { readonly login: OidcPendingLogin; used: boolean };

/**
 * The pending logins of a one-agent region: a `Map` in the agent's memory,
 * bounded in count and in time. Entries go in creation order and all live
 * equally long, so the front of the map is always the oldest: retention
 * and the count bound both drop from the front, O(1) per call amortised.
 * A spent or expired state stays as a marker for `retainMs`, so a replay is
 * told "already used" or "expired" rather than "unknown". An agent restart forgets
 * every pending login (the user starts the login again).
 */
export class MemoryOidcStateStore implements OidcStateStore {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #retainMs: number;
  readonly #now: () => number;

  constructor(opts: MemoryOidcStateStoreOptions = {}) {
    this.#max = opts.maxEntries ?? 4096;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#retainMs = opts.retainMs ?? 600_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Entries held now (pending logins and spent markers). */
  get size(): number {
    return this.#entries.size;
  }

  put(stateHash: string, login: OidcPendingLogin): Promise<void> {
    this.#prune();
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(stateHash, { login, used: false });
    return Promise.resolve();
  }

  take(stateHash: string): Promise<OidcStateTake> {
    const entry = this.#entries.get(stateHash);
    let result: OidcStateTake;
    if (entry === undefined) result = { ok: false, reason: 'unknown' };
    else if (entry.used) result = { ok: false, reason: 'used' };
    else if (entry.login.expiresAtMs <= this.#now()) result = { ok: false, reason: 'expired' };
    else {
      entry.used = true;
      result = { ok: true, login: entry.login };
    }
    this.#prune();
    return Promise.resolve(result);
  }

  /** Drops entries past their retention from the front (the oldest). */
  #prune(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.login.expiresAtMs + this.#retainMs > now) break;
      this.#entries.delete(key);
    }
  }
}
