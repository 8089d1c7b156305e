import { FilterError } from './errors.js';

const SIMPLE: Readonly<Record<string, string>> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/**
 * The body of a double-quoted filter string with Go's escapes resolved, as
 * go-bexpr's `strconv.Unquote` does: `\n`, `\t`, `\\`, `\x41`, `\101`,
 * `\u00e9`, `\U0001F600`. A `"` cannot appear inside (go-bexpr's grammar
 * ends the string at the first `"`; use a `raw` string for quotes).
 * Throws {@link FilterError} for an unknown or incomplete escape, for a
 * surrogate code point, and for a raw newline, as Go does.
 */
export function unquoteGoString(body: string): string {
  if (!body.includes('\\')) {
    if (body.includes('\n')) throw new FilterError('invalid string literal: newline in string');
    return body;
  }
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\n') throw new FilterError('invalid string literal: newline in string');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new FilterError('invalid string literal: trailing backslash');
    const simple = SIMPLE[e];
    if (simple !== undefined) {
      out += simple;
      i += 1;
      continue;
    }
    let digits: number;
    let radix: number;
    let max: number;
    switch (e) {
      case 'x':
        [digits, radix, max] = [2, 16, 0xff];
        break;
      case 'u':
        [digits, radix, max] = [4, 16, 0x10ffff];
        break;
      case 'U':
        [digits, radix, max] = [8, 16, 0x10ffff];
        break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        [digits, radix, max] = [3, 8, 0xff];
        break;
      default:
        throw new FilterError(`invalid string literal: unknown escape \\${e}`);
    }
    const start = radix === 8 ? i + 1 : i + 2;
    const text = body.slice(start, start + digits);
    const valid = radix === 8 ? /^[0-7]{3}$/ : /^[0-9a-fA-F]+$/;
    if (text.length !== digits || !valid.test(text)) throw new FilterError(`invalid string literal: bad escape \\${body.slice(i + 1, start + digits)}`);
    const code = Number.parseInt(text, radix);
    if (code > max || (code >= 0xd800 && code <= 0xdfff)) throw new FilterError(`invalid string literal: escape \\${body.slice(i + 1, start + digits)} is out of range`);
    // \x and octal escapes are bytes in Go; bytes above 0x7f would form
    // UTF-8 sequences, which a JavaScript string cannot hold as such.
    if (max === 0xff && code > 0x7f) throw new FilterError(`invalid string literal: byte escape \\${body.slice(i + 1, start + digits)} is not ASCII`);
    out += String.fromCodePoint(code);
    i = start + digits - 1;
  }
  return out;
}
