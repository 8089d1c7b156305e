import type { Expression } from './ast.js';
import { FilterError } from './errors.js';
import { SyntaxError as PeggySyntaxError, parse } from './generated/parser.js';
import { unquoteGoString } from './go-string.js';

/**
 * Longest accepted expression, in characters. Long enough for any
 * hand-written filter; it bounds parse time and nesting depth.
 */
export const MAX_FILTER_LENGTH = 4096;

/**
 * Parses a go-bexpr expression into its syntax tree, without checking
 * field names (see {@link compileFilter} for that). Throws
 * {@link FilterError}: `syntax error at column 7: expected …`.
 */
export function parseFilter(expression: string): Expression {
  if (typeof expression !== 'string') throw new TypeError('filter expression must be a string');
  if (expression.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`filter expression is longer than ${MAX_FILTER_LENGTH} characters`);
  }
  if (expression.trim() === '') throw new FilterError('filter expression is empty');
  try {
    return parse(expression, { unquote: unquoteGoString }) as Expression;
  } catch (err) {
    if (err instanceof FilterError) throw err;
    if (err instanceof PeggySyntaxError) {
      const e = err as PeggySyntaxError & { location?: { start: { column: number } } };
      const column = e.location?.start.column;
      throw new FilterError(`syntax error${column === undefined ? '' : ` at column ${column}`}: ${e.message}`, { cause: err });
    }
    // Deep nesting within the length bound can still exhaust the stack.
    if (err instanceof RangeError) throw new FilterError('filter expression is nested too deeply', { cause: err });
    throw err;
  }
}
