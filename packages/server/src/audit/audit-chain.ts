import * as crypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HMAC_PREFIX } from './audit-key.js';

/*
 * The audit log's line format and hash chain.
 *
 * Every line is one JSON object ending in `"seq":N,"prev":"<hex>"}`: `seq`
 * counts lines (headers included) without gaps for the life of a log, and
 * `prev` is the SHA-256 (hex) of the exact bytes of the previous line (without
 * its newline). A file starts with a header line (`"type":"audit-header"`),
 * and a header is written again whenever the agent (re)opens the file: at
 * start, after a size rotation and on SIGHUP. A header's `prev` links it to
 * the last line written before it (in this file or the previous one), and it
 * ends with `"sig":"hmac-sha256:<hex>"`, the HMAC (audit key) of the header
 * line without its `sig` field, so a header cannot be forged without the key.
 */

/** `prev` of the first line ever written. */
export const GENESIS_PREV = '0'.repeat(64);

/** Header `type`. */
export const HEADER_TYPE = 'audit-header';
/** Record `type`. */
export const RECORD_TYPE = 'audit';
/** A marker written when lines had to be dropped (fail-open with a full queue). */
export const GAP_TYPE = 'audit-gap';

// Node ≥ 20.12 has the one-shot `crypto.hash`, about twice as fast on short
// inputs as a Hash object (one per line adds up on the authorize path).
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

/** SHA-256 (hex) of a line's bytes (a string, or its UTF-8 bytes). */
export function lineHash(line: string | Buffer): string {
  if (typeof line !== 'string') return oneShot !== undefined ? oneShot('sha256', line as unknown as string, 'hex') : createHash('sha256').update(line).digest('hex');
  return oneShot !== undefined ? oneShot('sha256', line, 'hex') : createHash('sha256').update(line, 'utf8').digest('hex');
}

/**
 * Closes an open JSON object — `{…` without its closing brace, at least one
 * field, `seq`/`prev` not yet set — into a chained line. Bodies come open so
 * that no line is copied just to cut its brace off.
 */
export function chainLine(open: string, seq: number, prev: string): string {
  return `${open},"seq":${seq},"prev":"${prev}"}`;
}

/** A JSON object's text without its closing brace, as `chainLine` takes it. */
export function openJson(value: object): string {
  const s = JSON.stringify(value);
  return s.slice(0, -1);
}

/** Why a header was written. */
export type HeaderReason = 'start' | 'rotate' | 'reopen';

/** The fields of a header (besides type, seq, prev and sig). */
export interface HeaderFields {
  readonly time: string;
  readonly region: string;
  readonly agent: string;
  readonly reason: HeaderReason;
  /** {@link auditKeyId} of the signing key. */
  readonly key_id: string;
}

/** A signed header line. */
export function headerLine(fields: HeaderFields, seq: number, prev: string, auditKey: Buffer): string {
  const unsigned = chainLine(openJson({ type: HEADER_TYPE, version: 1, ...fields }), seq, prev);
  return `${unsigned.slice(0, -1)},"sig":"${headerSig(unsigned, auditKey)}"}`;
}

function headerSig(unsigned: string, auditKey: Buffer): string {
  return HMAC_PREFIX + createHmac('sha256', auditKey).update(unsigned, 'utf8').digest('hex');
}

const SIG_SUFFIX_RE = /,"sig":"(hmac-sha256:[0-9a-f]{64})"\}$/;

/** Whether a header line's signature is the HMAC of the rest of it under `auditKey`. */
export function headerSignatureValid(line: string, auditKey: Buffer): boolean {
  const m = SIG_SUFFIX_RE.exec(line);
  if (m === null) return false;
  const unsigned = `${line.slice(0, m.index)}}`;
  const want = Buffer.from(headerSig(unsigned, auditKey));
  const got = Buffer.from(m[1] as string);
  return want.length === got.length && timingSafeEqual(want, got);
}
