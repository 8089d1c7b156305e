import { RE2JS } from 're2js';
import type { Expression, MatchExpression, MatchOperator } from './ast.js';
import { FilterError } from './errors.js';
import { parseFilter } from './parse-filter.js';
import type { FieldType } from './schema.js';

/** A compiled filter: true when a JSON value matches. Never throws. */
export type FilterPredicate = (value: unknown) => boolean;

type Scalar = string | number | boolean;

/**
 * Parses `expression` (go-bexpr syntax, as in Nomad's `?filter=`), checks
 * every selector and operator against `schema`, and returns a predicate
 * over JSON values of that shape (field names as the API answers them).
 *
 * Semantics follow go-bexpr:
 * - `==`, `!=`: on strings, numbers and booleans; the value is converted
 *   to the field's type (`CreateIndex == 5`, `Global == true`).
 * - `in` / `contains` (and their `not` forms): substring of a string,
 *   element of a list of scalars, key of a map.
 * - `is empty` / `is not empty`: a string, list or map of length 0.
 * - `matches` / `not matches`: an RE2 regular expression (unanchored) on a
 *   string; RE2 runs in linear time, so a hostile pattern cannot stall.
 * - A field that is `null`, or a map key or list index that is absent,
 *   is "not present": `==`, `in`, `is not empty` and `matches` are false
 *   there, their negations true (go-bexpr's NotPresentDisposition).
 *
 * Throws {@link FilterError} naming the problem: a syntax error with its
 * column, `unknown field "X" in selector "A.X"`, `operator "matches" is
 * not supported on number field "CreateIndex"`, a value that is not a
 * number or boolean for such a field, or a bad regular expression.
 *
 * @example compileFilter('Name contains "ci" and "ops" in Policies', TOKEN_SCHEMA)
 */
export function compileFilter(expression: string, schema: FieldType): FilterPredicate {
  return build(parseFilter(expression), schema);
}

function build(e: Expression, schema: FieldType): FilterPredicate {
  switch (e.type) {
    case 'and': {
      const l = build(e.left, schema);
      const r = build(e.right, schema);
      return (v) => l(v) && r(v);
    }
    case 'or': {
      const l = build(e.left, schema);
      const r = build(e.right, schema);
      return (v) => l(v) || r(v);
    }
    case 'not': {
      const inner = build(e.operand, schema);
      return (v) => !inner(v);
    }
    case 'match':
      return buildMatch(e, schema);
  }
}

const NOT_PRESENT: Readonly<Record<MatchOperator, boolean>> = {
  '==': false,
  '!=': true,
  in: false,
  'not in': true,
  'is empty': true,
  'is not empty': false,
  matches: false,
  'not matches': true,
};

const MISSING = Symbol('missing');

function buildMatch(m: MatchExpression, schema: FieldType): FilterPredicate {
  const path = m.selector.path;
  const type = resolve(schema, path, m.selector.text);
  const test = buildTest(m, type);
  const absent = NOT_PRESENT[m.operator];
  return (value) => {
    const field = select(value, path);
    return field === MISSING ? absent : test(field);
  };
}

/** Walks the schema along a selector; unknown struct fields are errors. */
function resolve(schema: FieldType, path: readonly string[], text: string): FieldType {
  let t = schema;
  for (const seg of path) {
    switch (t.kind) {
      case 'struct': {
        const next = Object.hasOwn(t.fields, seg) ? t.fields[seg] : undefined;
        if (next === undefined) throw new FilterError(`unknown field ${JSON.stringify(seg)} in selector ${text}`);
        t = next;
        break;
      }
      case 'map':
        t = t.of;
        break;
      case 'list':
        if (!/^\d+$/.test(seg)) throw new FilterError(`selector ${text}: ${JSON.stringify(seg)} is not a list index`);
        t = t.of;
        break;
      default:
        throw new FilterError(`selector ${text}: cannot select ${JSON.stringify(seg)} inside a ${t.kind} field`);
    }
  }
  return t;
}

/** Follows a checked path through a JSON value; null or absent = MISSING. */
function select(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return MISSING;
    if (Array.isArray(v)) {
      const i = Number(seg);
      v = i < v.length ? v[i] : undefined;
    } else {
      v = Object.hasOwn(v, seg) ? (v as Record<string, unknown>)[seg] : undefined;
    }
    if (v === undefined) return MISSING;
  }
  return v === null ? MISSING : v;
}

function describe(m: MatchExpression, t: FieldType): string {
  return `operator ${JSON.stringify(m.written)} is not supported on ${t.kind} field ${m.selector.text}`;
}

function buildTest(m: MatchExpression, t: FieldType): (field: unknown) => boolean {
  const raw = m.value ?? '';
  switch (m.operator) {
    case '==':
    case '!=': {
      if (t.kind !== 'string' && t.kind !== 'number' && t.kind !== 'bool') throw new FilterError(describe(m, t));
      const want = coerce(raw, t.kind, m.selector.text);
      return m.operator === '==' ? (f) => f === want : (f) => f !== want;
    }
    case 'in':
    case 'not in': {
      let has: (f: unknown) => boolean;
      if (t.kind === 'string') has = (f) => typeof f === 'string' && f.includes(raw);
      else if (t.kind === 'map') has = (f) => typeof f === 'object' && f !== null && Object.hasOwn(f, raw);
      else if (t.kind === 'list' && (t.of.kind === 'string' || t.of.kind === 'number' || t.of.kind === 'bool')) {
        const want = coerce(raw, t.of.kind, m.selector.text);
        has = (f) => Array.isArray(f) && f.includes(want);
      } else throw new FilterError(describe(m, t));
      return m.operator === 'in' ? has : (f) => !has(f);
    }
    case 'is empty':
    case 'is not empty': {
      if (t.kind !== 'string' && t.kind !== 'list' && t.kind !== 'map') throw new FilterError(describe(m, t));
      const empty = (f: unknown): boolean =>
        typeof f === 'string' || Array.isArray(f) ? f.length === 0 : typeof f === 'object' && f !== null && Object.keys(f).length === 0;
      return m.operator === 'is empty' ? empty : (f) => !empty(f);
    }
    case 'matches':
    case 'not matches': {
      if (t.kind !== 'string') throw new FilterError(describe(m, t));
      let re: RE2JS;
      try {
        re = RE2JS.compile(raw);
      } catch (err) {
        throw new FilterError(`invalid regular expression ${JSON.stringify(raw)}: ${(err as Error).message}`, { cause: err });
      }
      const found = (f: unknown): boolean => typeof f === 'string' && re.test(f);
      return m.operator === 'matches' ? found : (f) => !found(f);
    }
  }
}

/** go-bexpr's Coerce* functions: the raw value text as the field's type. */
function coerce(raw: string, kind: 'string' | 'number' | 'bool', selector: string): Scalar {
  if (kind === 'string') return raw;
  if (kind === 'bool') {
    // strconv.ParseBool
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
    throw new FilterError(`value ${JSON.stringify(raw)} is not a boolean (field ${selector})`);
  }
  if (!/^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(raw)) {
    throw new FilterError(`value ${JSON.stringify(raw)} is not a number (field ${selector})`);
  }
  return Number(raw);
}
