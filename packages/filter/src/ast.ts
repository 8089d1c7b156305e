/** The syntax tree the generated parser builds (src/grammar.peggy). */

/**
 * A comparison operator, normalised: `contains` is `in` with its operands
 * swapped and `not contains` is `not in`, as in go-bexpr.
 */
export type MatchOperator = '==' | '!=' | 'in' | 'not in' | 'is empty' | 'is not empty' | 'matches' | 'not matches';

/** Where a field is looked up: `Meta.team`, `Meta["team"]`, `Policies.0`, or a JSON pointer `"/Meta/team"`. */
export interface Selector {
  readonly kind: 'bexpr' | 'pointer';
  /** Path segments: field names, map keys, or list indexes. */
  readonly path: readonly string[];
  /** The selector as written, for messages. */
  readonly text: string;
}

/** One comparison of a selected field with a value (or an emptiness test). */
export interface MatchExpression {
  readonly type: 'match';
  readonly selector: Selector;
  readonly operator: MatchOperator;
  /** The operator as written (`contains`, `not contains`, …), for messages. */
  readonly written: string;
  /** The raw value text; `null` for `is empty` / `is not empty`. */
  readonly value: string | null;
}

/** A parsed filter expression. */
export type Expression =
  | { readonly type: 'or' | 'and'; readonly left: Expression; readonly right: Expression }
  | { readonly type: 'not'; readonly operand: Expression }
  | MatchExpression;
