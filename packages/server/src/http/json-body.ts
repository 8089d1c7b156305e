import { BadRequestError } from '../errors.js';

/**
 * Deepest nesting of arrays and objects a request body may have. Real
 * bodies (tokens, policies, checks) nest three or four levels; a body nested
 * 100,000 levels deep parses, but every later recursive walk of it (the
 * JSON.stringify of a forwarded write) overflows the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` nests arrays/objects deeper than `max`: one linear scan,
 * run before `JSON.parse` so a deep body costs no more than reading it.
 * String contents are skipped with `indexOf` (most of a body is strings).
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  // A body with at most `max` opening brackets (strings included) cannot nest
  // deeper: counted with indexOf, this settles most bodies without the scan.
  if (fewOpenings(text, '{', fewOpenings(text, '[', max)) >= 0) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = stringEnd(text, i + 1);
      if (i < 0) return false; // unterminated: JSON.parse refuses it
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

// Whether `text` has at most `budget` of `c`; returns what is left of the budget, or -1.
function fewOpenings(text: string, c: string, budget: number): number {
  if (budget < 0) return -1;
  for (let i = text.indexOf(c); i >= 0; i = text.indexOf(c, i + 1)) {
    if (--budget < 0) return -1;
  }
  return budget;
}

// Index of the quote that closes a string whose contents start at `from`
// (one not escaped by an odd run of backslashes), or -1.
function stringEnd(text: string, from: number): number {
  let j = from;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) return -1;
    let k = j - 1;
    while (k >= from && text.charCodeAt(k) === 0x5c /* \ */) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j++;
  }
}

// What String.prototype.trim() removes is \s in a RegExp.
const NON_BLANK = /\S/;

/** Whether a body holds nothing but whitespace (an empty body means "no body"), without `trim()`'s copy. */
export function isBlank(text: string): boolean {
  return !NON_BLANK.test(text);
}

/** The 400 for a body nested too deep; names the limit. */
export function tooDeepError(): BadRequestError {
  return new BadRequestError(`Request decode failed: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
}
