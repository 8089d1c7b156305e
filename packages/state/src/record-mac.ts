import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** Which kind of record a MAC covers; part of the MAC input, so a token can never pass as a policy. */
export type RecordKind = 'token' | 'policy' | 'role' | 'auth_method' | 'binding_rule';

/**
 * Authenticates stored token and policy records with HMAC-SHA256 under a key
 * derived (HKDF) from the region key, so an edit of any field at rest — a
 * token's `Type` set to `management`, a policy's `Rules` widened, a record
 * copied to another key — is detected when the record is read back.
 *
 * The MAC covers the record's kind, its identity (AccessorID or policy Name:
 * the storage key) and a canonical JSON of every stored field (keys sorted,
 * so the MAC does not depend on property order). Form: `v1.<base64url>`.
 */
export class RecordMac {
  readonly #key: Buffer;

  /** @param regionKey the 32-byte region key (the MAC key is derived from it, never the key itself) */
  constructor(regionKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', regionKey, Buffer.alloc(0), 'tollgate record mac v1', 32));
  }

  /** The MAC of `record` (every field except `Mac`) stored as `kind` `id`. */
  sign(kind: RecordKind, id: string, record: Readonly<Record<string, unknown>>): string {
    return `v1.${this.#digest(kind, id, record).toString('base64url')}`;
  }

  /** Whether `mac` is the MAC of `record` (every field except `Mac`) as `kind` `id`. Constant time. */
  verify(kind: RecordKind, id: string, record: Readonly<Record<string, unknown>>, mac: unknown): boolean {
    if (typeof mac !== 'string' || !mac.startsWith('v1.')) return false;
    const given = Buffer.from(mac.slice(3), 'base64url');
    const expected = this.#digest(kind, id, record);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #digest(kind: RecordKind, id: string, record: Readonly<Record<string, unknown>>): Buffer {
    const h = createHmac('sha256', this.#key);
    h.update(`${kind}\n${id.length}:${id}\n`);
    h.update(canonicalJson(record, 'Mac'));
    return h.digest();
  }
}

/**
 * JSON with object keys sorted at every level and `skip` left out at the top
 * level; `undefined` fields are dropped as JSON.stringify drops them.
 */
export function canonicalJson(value: unknown, skip?: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  // String building without intermediate arrays: every stored record is
  // MAC'd on each write, and a bulk load writes one per token.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (k === skip || v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}
