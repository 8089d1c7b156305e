import { secretIndexKey } from './secret-box.js';
import type { ACLToken, ACLTokenRoleLink, TokenType } from './types.js';

/** A stored token record, parsed and authenticated: its fields (normalized, without SecretID) and its sealed SecretID. */
export interface SettledRecord {
  /** The token's fields as checked (its `SecretID` is a placeholder, never read). */
  readonly fields: ACLToken;
  readonly sealed: string;
  readonly secretHash: string;
}

/**
 * What a token loaded from disk needs from the store, shared by every record
 * of one store: reading and authenticating its record, opening its secret.
 */
export interface TokenKeeper {
  /**
   * Reads the stored record of token `accessor` (synchronously, from the
   * store's database) and checks its MAC and shape: the record, or why it
   * is refused.
   */
  settle(accessor: string): SettledRecord | string;
  /** The SecretID sealed as `sealed` for `accessor`; throws when it does not open. */
  open(sealed: string, accessor: string): string;
}

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
let SECRET_PROPERTY: PropertyDescriptor | undefined;

/**
 * The store's in-memory form of a token: once settled, the `ACLToken`
 * fields as own properties in their stored order (so JSON and spreads see a
 * plain token); kept privately, the hex SHA-256 of the SecretID (token
 * resolution looks tokens up by it) and the SecretID itself — sealed as on
 * disk until an answer needs it.
 *
 * A token loaded from disk starts *pending*: it holds only its accessor and
 * the secret hash found in its record — parsing, authenticating (MAC) and
 * indexing a million records is what made start-up slow, and keeping their
 * text is what made it big. `settle()` reads the record again from the
 * store (one LevelDB point read, from its cache or the page cache) and
 * parses and authenticates it; the store settles a pending
 * token before any read hands it out (a point read settles that one, a
 * bulk read all of them), and a background sweep settles the rest after
 * start. A record that fails is *refused*: the store drops it. Until settled
 * a record has no own fields: only `accessor` and `secretHash` may be read.
 *
 * New token fields need nothing here: every field the keeper returns is
 * copied as it is.
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
  declare readonly ParentAccessorID?: string;
  declare readonly Orphan?: boolean;
  declare readonly Meta?: Readonly<Record<string, string>>;
  declare readonly ExplicitMaxTTL?: number;
  declare readonly Period?: number;

  readonly #accessor: string;
  /** Hex SHA-256 of the SecretID (the key of the on-disk `s:` index too). */
  readonly #secretHash: string;
  /** The SecretID: plaintext once `#keeper` is undefined, else its sealed form (once settled). */
  #secret = '';
  /** Set while the record is pending or its secret sealed. */
  #keeper: TokenKeeper | undefined;
  /** True until the stored record is read and checked. */
  #pending = false;
  /** Why the record was refused, once it was. */
  #refused: string | undefined;

  private constructor(accessor: string, secretHash: string) {
    this.#accessor = accessor;
    this.#secretHash = secretHash;
  }

  /**
   * A token written in this process, or opened while loading (its SecretID in hand, nothing to check).
   * @param secretHash `secretIndexKey(token.SecretID)` when the caller computed it already
   */
  static fromToken(token: ACLToken, secretHash?: string): TokenRecord {
    if (token instanceof TokenRecord) return token;
    const secret = token.SecretID;
    const t = new TokenRecord(token.AccessorID, secretHash ?? secretIndexKey(secret));
    t.#secret = secret;
    t.#assign(token as unknown as Record<string, unknown>);
    return t;
  }

  /** A pending token: its stored record is read by `keeper` when settled; `secretHash` was found in it (trusted only once settled). */
  static fromStore(accessor: string, secretHash: string, keeper: TokenKeeper): TokenRecord {
    const t = new TokenRecord(accessor, secretHash);
    t.#pending = true;
    t.#keeper = keeper;
    return t;
  }

  /** The AccessorID, also while pending. */
  get accessor(): string {
    return this.#accessor;
  }

  /** Hex SHA-256 of the SecretID, also while pending. */
  get secretHash(): string {
    return this.#secretHash;
  }

  /** True once the fields are there and authentic (always for tokens written in this process). */
  get settled(): boolean {
    return !this.#pending && this.#refused === undefined;
  }

  /** Why the record was refused, or `undefined`. */
  get refusedWhy(): string | undefined {
    return this.#refused;
  }

  /**
   * Reads, parses and authenticates a pending record (no-op once settled).
   * True when the token is good; false when its record is refused (edited
   * at rest, or not a token): the caller must drop it. Throws, and stays
   * pending, when the store's database cannot be read now.
   */
  settle(): boolean {
    if (!this.#pending) return this.#refused === undefined;
    // Throws, leaving the record pending, when the store cannot be read now.
    const out = this.#keeper!.settle(this.#accessor);
    this.#pending = false;
    if (typeof out === 'string') {
      this.#refused = out;
      return false;
    }
    if (out.secretHash !== this.#secretHash) {
      this.#refused = 'its secret hash is not the one its record was found under';
      return false;
    }
    this.#secret = out.sealed;
    this.#assign(out.fields as unknown as Record<string, unknown>);
    return true;
  }

  #assign(fields: Readonly<Record<string, unknown>>): void {
    const self = this as unknown as Record<string, unknown>;
    for (const key in fields) {
      if (key === 'SecretID') continue;
      const value = fields[key];
      self[key] = key === 'AccessorID' ? this.#accessor : key === 'Policies' && Array.isArray(value) ? internPolicies(value as string[]) : value;
      // SecretID right after AccessorID, where a plain token has it.
      if (key === 'AccessorID') Object.defineProperty(this, 'SecretID', SECRET_PROPERTY!);
    }
    Object.freeze(this);
  }

  /** The SecretID, opened (and kept open) on first use. */
  #openSecret(): string {
    if (!this.settle()) throw new Error(`token ${this.#accessor} was refused: ${this.#refused}`);
    const keeper = this.#keeper;
    if (keeper === undefined) return this.#secret;
    const secret = keeper.open(this.#secret, this.#accessor);
    if (secretIndexKey(secret) !== this.#secretHash) throw new Error(`token ${this.#accessor} has a SecretID that does not match its hash`);
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
    // Also on the prototype: a pending or refused record (no own fields yet)
    // settles on a SecretID read, or throws — never reads as undefined.
    Object.defineProperty(TokenRecord.prototype, 'SecretID', { ...SECRET_PROPERTY, enumerable: false });
  }
}

/** The hex SHA-256 of a token's SecretID, without opening a sealed one. */
export function secretHashOf(token: ACLToken): string {
  return token instanceof TokenRecord ? token.secretHash : secretIndexKey(token.SecretID);
}
