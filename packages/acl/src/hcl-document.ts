import type * as HclParser from 'js-hcl-parser';
import { createRequire } from 'node:module';
import { PolicyError } from './errors.js';

/**
 * Generic HCL1 document as decoded by hashicorp/hcl into `interface{}`:
 * blocks are arrays of objects, attributes are scalars or lists.
 */
export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };

/** Largest rules text accepted, in UTF-8 bytes (64 KiB). */
export const MAX_RULES_BYTES = 64 * 1024;

/**
 * Deepest nesting (braces, brackets and block labels) let through to the
 * parser. GopherJS-compiled hcl recurses a few JS frames per level and
 * overflowed Node's default stack at ~400 levels in measurements; real
 * policies need fewer than ten. See {@link nestingExceeds}.
 */
export const MAX_NESTING = 50;

type HclModule = typeof HclParser;

const requireFromHere = createRequire(import.meta.url);
let loaded: HclModule | null = null;

// Loaded lazily: the GopherJS bundle is 1.5 MB and takes ~150 ms to
// evaluate, which processes that only format durations should not pay.
function hclModule(): HclModule {
  if (loaded === null) {
    // The GopherJS prelude sets two process-wide globals as a side effect:
    // Error.stackTraceLimit = Infinity (every Error would then capture its
    // whole stack) and globalThis.require. Put both back; without `require`
    // the runtime's optional "syscall" lookup just recovers and returns null.
    const stackTraceLimit = Error.stackTraceLimit;
    const hadRequire = Object.hasOwn(globalThis, 'require');
    const globalRequire: unknown = Reflect.get(globalThis, 'require');
    try {
      loaded = requireFromHere('js-hcl-parser') as HclModule;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
      if (hadRequire) Reflect.set(globalThis, 'require', globalRequire);
      else Reflect.deleteProperty(globalThis, 'require');
    }
  }
  return loaded;
}

// A JS exception escaping GopherJS (notably a stack overflow) leaves its
// goroutine scheduler wedged: every later call fails the same way. Dropping
// the module from the require cache and loading it again gives a fresh
// runtime (~100 ms), so one hostile input cannot poison the process.
function discardHclModule(): void {
  loaded = null;
  try {
    delete requireFromHere.cache[requireFromHere.resolve('js-hcl-parser')];
  } catch {
    // Not resolvable means nothing is cached either.
  }
}

/**
 * Parses HCL1 or JSON text into a generic document. Throws `PolicyError`
 * with Nomad's `Failed to parse ACL Policy: <hcl error>` text on syntax
 * errors, and never lets any other exception escape.
 */
export function decodeHcl(text: string): { [key: string]: HclValue } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RULES_BYTES) {
    throw new PolicyError(`Policy rules are too large: ${bytes} bytes (limit ${MAX_RULES_BYTES})`);
  }
  if (nestingExceeds(text, MAX_NESTING)) {
    throw new PolicyError(`Failed to parse ACL Policy: nesting deeper than ${MAX_NESTING} levels`);
  }

  let out: string;
  try {
    out = hclModule().parse(text);
  } catch (err) {
    discardHclModule();
    const detail = err instanceof Error ? err.message : String(err);
    throw new PolicyError(`Failed to parse ACL Policy: ${detail}`, { cause: err });
  }

  if (typeof out !== 'string' || !out.startsWith('{')) {
    // In-band error text from the Go side, e.g.
    // "unable to parse JSON: At 1:27: object expected closing RBRACE got: EOF".
    const detail = String(out).replace(/^unable to (?:parse|print) JSON: /, '');
    throw new PolicyError(`Failed to parse ACL Policy: ${detail}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(out);
  } catch (err) {
    throw new PolicyError('Failed to parse ACL Policy: parser returned malformed output', { cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PolicyError('Failed to parse ACL Policy: root should be an object');
  }
  return doc as { [key: string]: HclValue };
}

const enum Ch {
  Tab = 9,
  Newline = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Hash = 35,
  Dollar = 36,
  Comma = 44,
  Slash = 47,
  Colon = 58,
  Lt = 60,
  Eq = 61,
  Backslash = 92,
  LBracket = 91,
  RBracket = 93,
  Star = 42,
  LBrace = 123,
  RBrace = 125,
  Minus = 45,
}

function isWordChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || // 0-9
    (c >= 65 && c <= 90) || // A-Z
    (c >= 97 && c <= 122) || // a-z
    c === 95 || // _
    c === 45 || // -
    c === 46 || // .
    c > 127
  );
}

/**
 * Cheap scan, before the real parser runs, for nesting deeper than `max`.
 * It understands just enough HCL/JSON lexing (strings with `${}`, comments,
 * heredocs) not to count brackets inside them. In HCL every block label is
 * one more level of object nesting, so `a "b" "c" {` counts as three.
 * Being approximate is fine: a miss is still caught (and the parser reset)
 * by {@link decodeHcl}.
 */
export function nestingExceeds(text: string, max: number): boolean {
  const pushed: number[] = [];
  let depth = 0;
  let keyRun = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.Space || c === Ch.Tab || c === Ch.Cr || c === Ch.Newline) {
      i++;
    } else if (c === Ch.Hash || (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Slash)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === Ch.Quote) {
      i = skipString(text, i + 1);
      keyRun++;
    } else if (c === Ch.Lt && text.charCodeAt(i + 1) === Ch.Lt) {
      i = skipHeredoc(text, i + 2);
      keyRun = 0;
    } else if (c === Ch.LBrace || c === Ch.LBracket) {
      const levels = c === Ch.LBrace ? Math.max(1, keyRun) : 1;
      pushed.push(levels);
      depth += levels;
      if (depth > max) return true;
      keyRun = 0;
      i++;
    } else if (c === Ch.RBrace || c === Ch.RBracket) {
      depth -= pushed.pop() ?? 0;
      keyRun = 0;
      i++;
    } else if (c === Ch.Eq || c === Ch.Comma || c === Ch.Colon) {
      keyRun = 0;
      i++;
    } else if (isWordChar(c)) {
      while (i < n && isWordChar(text.charCodeAt(i))) i++;
      keyRun++;
    } else {
      i++;
    }
  }
  return false;
}

// Skips a double-quoted string starting after its opening quote, honouring
// backslash escapes and `${ ... }` interpolations (whose inner quotes do not
// end the string, as in the HCL1 scanner). Returns the index after it.
function skipString(text: string, start: number): number {
  let braces = 0;
  let i = start;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.Backslash) {
      i += 2;
      continue;
    }
    if (c === Ch.Newline && braces === 0) return i; // unterminated: the parser reports it
    if (c === Ch.Dollar && text.charCodeAt(i + 1) === Ch.LBrace) {
      braces++;
      i += 2;
      continue;
    }
    if (braces > 0 && c === Ch.LBrace) braces++;
    else if (braces > 0 && c === Ch.RBrace) braces--;
    else if (c === Ch.Quote && braces === 0) return i + 1;
    i++;
  }
  return n;
}

// Skips `<<EOF` / `<<-EOF` heredoc text up to the line holding only the
// anchor. Returns the index after that line.
function skipHeredoc(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === Ch.Minus) i++;
  const eol = text.indexOf('\n', i);
  if (eol < 0) return text.length;
  const anchor = text.slice(i, eol).trim();
  if (anchor === '') return eol + 1;
  let lineStart = eol + 1;
  while (lineStart < text.length) {
    const next = text.indexOf('\n', lineStart);
    const lineEnd = next < 0 ? text.length : next;
    if (text.slice(lineStart, lineEnd).trim() === anchor) return lineEnd;
    lineStart = lineEnd + 1;
  }
  return text.length;
}
