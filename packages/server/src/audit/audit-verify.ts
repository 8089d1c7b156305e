import { GENESIS_PREV, HEADER_TYPE, headerSignatureValid, lineHash } from './audit-chain.js';
import { auditKeyId } from './audit-key.js';

/** One file to verify: its name (for messages) and its text. */
export interface AuditFile {
  readonly name: string;
  readonly text: string;
}

/** What `verifyAuditLog` found. */
export type AuditVerifyResult =
  | { readonly ok: true; readonly lines: number; readonly headers: number; readonly signaturesChecked: boolean; readonly skipped: number }
  | { readonly ok: false; readonly file: string; readonly line: number; readonly problem: string };

/** Options of `verifyAuditLog`. */
export interface AuditVerifyOptions {
  /** The region's audit key: header signatures are checked only when it is given. */
  readonly auditKey?: Buffer | undefined;
  /**
   * Lines that are not audit lines (the agent's own log, in stdout mode) are
   * skipped instead of reported. Removing or editing an audit line is still
   * found: the next audit line's `prev` no longer matches.
   */
  readonly mixed?: boolean;
}

interface Parsed {
  readonly type: string;
  readonly seq: number;
  readonly prev: string;
}

function parse(line: string): Parsed | undefined {
  if (!line.startsWith('{"type":"audit')) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = o as { type?: unknown; seq?: unknown; prev?: unknown };
  if (typeof r.type !== 'string' || typeof r.seq !== 'number' || typeof r.prev !== 'string') return undefined;
  // seq and prev must be the last fields as written (a header's sig after them).
  if (!/,"seq":\d+,"prev":"[0-9a-f]{64}"(,"sig":"[^"]*")?\}$/.test(line)) return undefined;
  return { type: r.type, seq: r.seq, prev: r.prev };
}

/**
 * Verifies an audit log: one file, or a rotated set given oldest first
 * (`audit.log.3 audit.log.2 audit.log.1 audit.log`), as one chain.
 *
 * Reports the first problem: a line that is not an audit record (edited
 * beyond parsing), a file that does not start with a header (lines removed
 * from its start), a `seq` that skips (lines removed) or goes back or repeats
 * (lines reordered), a `prev` that is not the hash of the line before it
 * (that line was edited), or a header whose signature is wrong (forged).
 * The very last line has no successor to vouch for it: an edit there is only
 * found once another line follows.
 */
export function verifyAuditLog(files: readonly AuditFile[], opts: AuditVerifyOptions = {}): AuditVerifyResult {
  const keyId = opts.auditKey === undefined ? undefined : auditKeyId(opts.auditKey);
  let prevLine: string | undefined;
  let prevSeq: number | undefined;
  let prevAt: { file: string; line: number } | undefined;
  let lines = 0;
  let headers = 0;
  let skipped = 0;
  for (const f of files) {
    const all = f.text.split('\n');
    if (all.at(-1) === '') all.pop();
    const records: { raw: string; p: Parsed; no: number }[] = [];
    for (let i = 0; i < all.length; i++) {
      const raw = all[i] as string;
      const p = parse(raw);
      if (p === undefined) {
        if (opts.mixed === true) {
          skipped++;
          continue;
        }
        return { ok: false, file: f.name, line: i + 1, problem: 'not an audit line (edited, or not an audit log)' };
      }
      records.push({ raw, p, no: i + 1 });
    }
    if (records.length === 0) continue;
    const first = records[0] as (typeof records)[number];
    if (first.p.type !== HEADER_TYPE && opts.mixed !== true && prevLine === undefined) {
      return { ok: false, file: f.name, line: first.no, problem: 'the file does not start with a header: lines were removed from its start' };
    }
    const seqAt = new Map<number, number>();
    for (const r of records) if (!seqAt.has(r.p.seq)) seqAt.set(r.p.seq, r.no);
    for (const r of records) {
      const fail = (problem: string): AuditVerifyResult => ({ ok: false, file: f.name, line: r.no, problem });
      if (r.p.type === HEADER_TYPE) {
        headers++;
        if (opts.auditKey !== undefined && !headerSignatureValid(r.raw, opts.auditKey)) {
          const kid = /"key_id":"([0-9a-f]+)"/.exec(r.raw)?.[1];
          return fail(kid !== undefined && kid !== keyId ? `header signed with another key (key_id ${kid}, given key ${keyId})` : 'header signature does not match: the header was edited or forged');
        }
      }
      // A first header (seq 1, genesis prev) starts a new chain: the agent
      // started on an empty path (e.g. the old file was moved while it was
      // down). Its signature is what vouches for it.
      const restart = r.p.type === HEADER_TYPE && r.p.seq === 1 && r.p.prev === GENESIS_PREV;
      if (prevSeq !== undefined && prevLine !== undefined && !restart) {
        const want = prevSeq + 1;
        if (r.p.seq !== want) {
          const later = seqAt.get(want);
          if (later !== undefined && later > r.no) return fail(`out of order: seq ${r.p.seq} where ${want} was due (seq ${want} is at line ${later}): lines were reordered`);
          if (r.p.seq > want) return fail(`seq jumps from ${prevSeq} to ${r.p.seq}: ${r.p.seq - want} line(s) removed before this one`);
          return fail(`seq ${r.p.seq} after ${prevSeq}: lines were reordered or repeated`);
        }
        if (r.p.prev !== lineHash(prevLine)) {
          const at = prevAt as { file: string; line: number };
          return {
            ok: false,
            file: at.file,
            line: at.line,
            problem: `edited: its SHA-256 does not match the prev recorded by the next line (${f.name}:${r.no})`,
          };
        }
      }
      prevLine = r.raw;
      prevSeq = r.p.seq;
      prevAt = { file: f.name, line: r.no };
      lines++;
    }
  }
  return { ok: true, lines, headers, signaturesChecked: opts.auditKey !== undefined, skipped };
}
