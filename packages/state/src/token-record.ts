import { secretIndexKey } from './secret-box.js';
import type { ACLToken, ACLTokenRoleLink, TokenType } from './types.js';

/**
 * What a token loaded from disk needs from the store's key, shared by every
 * record of one store: opening its sealed SecretID and checking its MAC.
 */
export interface TokenKeeper {
  /** The SecretID sealed as `sealed` for `accessor`; throws when it does not open. */
  open(sealed: string, accessor: string): string;
  /** Whether `mac` authenticates `record` (the stored fields, `Mac` left out) as token `accessor`. */
  verify(accessor: string, record: Readonly<Record<string, unknown>>, mac: string): boolean;
}

/** Fields a stored token record holds besides the token's own (see `StoredToken`). */
const STORAGE_FIELDS = new Set(['SealedSecretID', 'SecretHash', 'Mac']);

/** Interned frozen policy lists: a million tokens name a handful of distinct sets. */
const policyLists = new Map<string, readonly string[]>();
const POLICY_LISTS_MAX = 10_000;

function internPolicies(names: readonly string[]): readonly string[] {
  const key = names.join('\u0000');
  const found = policyLists.get(key);
  if (found !== undefined && found.length === names.length) return found;
  const list = Object.freeze([...names]);
  if (policyLists.size < POLICY_LISTS_MAX) policyLists.set(key, list);
  return list;
}

// The SecretID accessor every record shares; assigned in the class's static
// block, where the getter can reach the private fields.
// eslint-disable-next-line prefer-const
let SECRET_PROPERTY: PropertyDescriptor | undefined;

/**
 * The store's in-memory form of a token: the `ACLToken` fields as own
 * properties in their stored order (so JSON and spreads see a plain token),
 * plus, kept privately, the SHA-256 of the SecretID (token resolution looks
 * tokens up by it) and the SecretID itself — sealed as on disk until an
 * answer needs it.
 *
 * A token loaded from disk is *pending*: its SecretID is not opened and its
 * MAC not checked at start (both cost more than the rest of loading it).
 * `verify()` checks the MAC over the fields as loaded; the store calls it
 * before any read hands the token out, and a background sweep calls it for
 * every pending token after start. Reading `SecretID` of a pending token
 * verifies it first and throws if the record was edited at rest.
 *
 * New token fields need nothing here: every field of the stored record is
 * copied as it is (only `STORAGE_FIELDS` are kept aside).
 */
export class TokenRecord implements ACLToken {
  declare readonly AccessorID: string;
  declare readonly SecretID: string;
  declare readonly Name: string;
  declare readonly Type: TokenType;
  declare readonly Policies: readonly string[] | null;
  declare readonly Roles?: readonly ACLTokenRoleLink[] | null;
  declare readonly Global: boolean;
  declare readonly Hash: string;
  declare readonly CreateTime: string;
  declare readonly ExpirationTime: string | null;
  declare readonly ExpirationTTL: number;
  declare readonly CreateIndex: number;
  declare readonly ModifyIndex: number;
  declare readonly SourceIndex?: number;

  /** Hex SHA-256 of the SecretID (the key of the on-disk `s:` index too). */
  readonly #secretHash: string;
  /** The SecretID: plaintext once `#keeper` is undefined, else its sealed form. */
  #secret: string;
  /** Set while the secret is sealed. */
  #keeper: TokenKeeper | undefined;
  /** The stored MAC, kept until the record is verified; undefined = verified. */
  #mac: string | undefined;

  private constructor(fields: Readonly<Record<string, unknown>>, secretHash: string, secret: string, keeper: TokenKeeper | undefined, mac: string | undefined) {
    this.#secretHash = secretHash;
    this.#secret = secret;
    this.#keeper = keeper;
    this.#mac = mac;
    const self = this as unknown as Record<string, unknown>;
    for (const key in fields) {
      if (key === 'SecretID' || STORAGE_FIELDS.has(key)) continue;
      const value = fields[key];
      self[key] = key === 'Policies' && Array.isArray(value) ? internPolicies(value as string[]) : value;
      // SecretID right after AccessorID, where a plain token has it.
      if (key === 'AccessorID') Object.defineProperty(this, 'SecretID', SECRET_PROPERTY!);
    }
    Object.freeze(this);
  }

  /** A token written in this process, or verified and opened while loading (its SecretID in hand, nothing to verify). */
  static fromToken(token: ACLToken): TokenRecord {
    if (token instanceof TokenRecord) return token;
    const secret = token.SecretID;
    return new TokenRecord(token as unknown as Record<string, unknown>, secretIndexKey(secret), secret, undefined, undefined);
  }

  /**
   * A token as loaded from disk, pending (see the class doc). The caller has
   * checked the shape of the fields the indexes use and that `SecretHash`,
   * `SealedSecretID` and `Mac` are strings.
   */
  static fromStored(record: Readonly<Record<string, unknown>>, keeper: TokenKeeper): TokenRecord {
    return new TokenRecord(record, record['SecretHash'] as string, record['SealedSecretID'] as string, keeper, record['Mac'] as string);
  }

  /** Hex SHA-256 of the SecretID. */
  get secretHash(): string {
    return this.#secretHash;
  }

  /** True once the record's MAC was checked (always for tokens written in this process). */
  get verified(): boolean {
    return this.#mac === undefined;
  }

  /**
   * Checks a pending record's MAC over its fields as loaded. True when the
   * record is authentic (from then on `verified`); false when it was edited
   * at rest: the caller must drop the token.
   */
  verify(): boolean {
    const mac = this.#mac;
    if (mac === undefined) return true;
    const keeper = this.#keeper;
    if (keeper === undefined) return false;
    const record: Record<string, unknown> = {};
    const self = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(this)) if (key !== 'SecretID') record[key] = self[key];
    record['SealedSecretID'] = this.#secret;
    record['SecretHash'] = this.#secretHash;
    if (!keeper.verify(this.AccessorID, record, mac)) return false;
    this.#mac = undefined;
    return true;
  }

  /** The SecretID, opened (and kept open) on first use. */
  #openSecret(): string {
    const keeper = this.#keeper;
    if (keeper === undefined) return this.#secret;
    if (!this.verify()) throw new Error(`token ${this.AccessorID} failed its integrity check`);
    const secret = keeper.open(this.#secret, this.AccessorID);
    if (secretIndexKey(secret) !== this.#secretHash) throw new Error(`token ${this.AccessorID} has a SecretID that does not match its hash`);
    this.#secret = secret;
    this.#keeper = undefined;
    return secret;
  }

  static {
    SECRET_PROPERTY = {
      get(this: TokenRecord): string {
        return this.#openSecret();
      },
      enumerable: true,
      configurable: false,
    };
  }
}

/** The hex SHA-256 of a token's SecretID, without opening a pending one. */
export function secretHashOf(token: ACLToken): string {
  return token instanceof TokenRecord ? token.secretHash : secretIndexKey(token.SecretID);
}
