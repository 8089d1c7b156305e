// Typed surface of `js-hcl-parser` (hashicorp/hcl v1 compiled to JavaScript
// with GopherJS). Both functions report failures in-band: instead of
// throwing, they return a non-JSON string such as
// `unable to parse JSON: At 1:27: object expected closing RBRACE got: EOF`.
declare module 'js-hcl-parser' {
  /**
   * Decodes HCL1 (or JSON) text into a generic document and returns it as an
   * indented JSON string. Every block becomes an array, so repeated blocks
   * stay visible; object keys come back sorted (Go map order).
   */
  export function parse(text: string): string;
  /** Re-prints HCL text in canonical form. */
  export function stringify(text: string): string;
}
