/**
 * The shape of the JSON objects a filter runs on. A selector is checked
 * against it when the filter is compiled, so an unknown field, or an
 * operator the field's type does not support, is an error before any
 * object is looked at (go-bexpr finds such mistakes only while
 * evaluating, and only if the list is not empty).
 */
export type FieldType =
  | { readonly kind: 'string' }
  | { readonly kind: 'number' }
  | { readonly kind: 'bool' }
  /** A JSON array; an index (`Policies.0`) selects an element. */
  | { readonly kind: 'list'; readonly of: FieldType }
  /** A JSON object with known field names (a Go struct). */
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, FieldType>> }
  /** A JSON object with arbitrary keys (a Go map, e.g. `Meta`). */
  | { readonly kind: 'map'; readonly of: FieldType };

/** Schema builders: `struct({ Name: string, Policies: list(string) })`. */
export const string: FieldType = Object.freeze({ kind: 'string' });
export const number: FieldType = Object.freeze({ kind: 'number' });
export const bool: FieldType = Object.freeze({ kind: 'bool' });
export const list = (of: FieldType): FieldType => Object.freeze({ kind: 'list', of });
export const map = (of: FieldType): FieldType => Object.freeze({ kind: 'map', of });
export const struct = (fields: Record<string, FieldType>): FieldType =>
  Object.freeze({ kind: 'struct', fields: Object.freeze({ ...fields }) });
