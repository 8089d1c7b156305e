/**
 * @tollgate/filter: Nomad's `?filter=` language (hashicorp/go-bexpr),
 * parsed by a peggy-generated parser and evaluated on JSON values. Pure: no
 * I/O. Used by the server's list endpoints; auth-method binding rules will
 * reuse it.
 */
export type { Expression, MatchExpression, MatchOperator, Selector } from './ast.js';
export { compileFilter, type FilterPredicate } from './compile-filter.js';
export { FilterError, type FilterErrorCode } from './errors.js';
export { unquoteGoString } from './go-string.js';
export { MAX_FILTER_LENGTH, parseFilter } from './parse-filter.js';
export { bool, list, map, number, string, struct, type FieldType } from './schema.js';
