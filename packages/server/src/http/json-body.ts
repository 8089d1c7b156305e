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
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** The 400 for a body nested too deep; names the limit. */
export function tooDeepError(): BadRequestError {
  return new BadRequestError(`Request decode failed: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
}
