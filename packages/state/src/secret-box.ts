import { createCipheriv, createDecipheriv, createHash, randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';
import { RecordMac } from './record-mac.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Version prefix of a sealed value, so the scheme can change without guessing. */
const SEALED_PREFIX = 'v1.';
/** IVs drawn from the CSPRNG at a time: one `randomFillSync` per this many seals instead of one each. */
const IV_POOL = 1024;

/**
 * Encrypts SecretIDs at rest with AES-256-GCM under the agent's 32-byte key.
 *
 * Each value gets a fresh random 12-byte IV. The token's AccessorID is bound
 * in as additional authenticated data, so a sealed secret copied onto another
 * token's record fails to open instead of silently granting that token the
 * other one's secret.
 *
 * Sealed form: `v1.<base64(iv ‖ ciphertext ‖ tag)>`.
 */
export class SecretBox {
  readonly #key: Buffer;
  /** MACs of whole stored records under a key derived from the same region key. */
  readonly records: RecordMac;
  /** Random bytes for the next IVs (each used once, then the pool is refilled). */
  readonly #ivPool = Buffer.alloc(IV_BYTES * IV_POOL);
  #ivNext = IV_POOL;

  /** @param key exactly 32 bytes (AES-256). */
  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== 32) {
      throw new InvalidArgumentError('secretKey must be a Buffer of exactly 32 bytes');
    }
    // Copy: the caller may reuse or zero its buffer.
    this.#key = Buffer.from(key);
    this.records = new RecordMac(key);
  }

  /** Encrypts `plaintext`, bound to `context` (the AccessorID). */
  seal(plaintext: string, context: string): string {
    const iv = this.#nextIv();
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
  }

  /**
   * A fresh random IV. Drawn from a pool filled by the CSPRNG in one call per
   * `IV_POOL` seals (a bulk load seals one secret per token); each IV is a
   * copy of bytes never handed out before, so IVs stay random and unique
   * with the same probability as one `randomBytes` call each.
   */
  #nextIv(): Buffer {
    if (this.#ivNext === IV_POOL) {
      randomFillSync(this.#ivPool);
      this.#ivNext = 0;
    }
    const at = this.#ivNext++ * IV_BYTES;
    return Buffer.from(this.#ivPool.subarray(at, at + IV_BYTES));
  }

  /**
   * Decrypts a value made by `seal` with the same `context`.
   * @throws Error when the value is malformed, was sealed under another key,
   *   or belongs to another context. The message never holds plaintext.
   */
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('unknown sealed-secret format');
    const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed secret is truncated');
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
    const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }
}

/**
 * The key of the secret → accessor index: hex SHA-256 of the secret. A plain
 * hash suffices because SecretIDs are 122+ random bits, not guessable input.
 */
export function secretIndexKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
