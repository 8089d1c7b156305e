// js-hcl-parser is hashicorp/hcl v1 (the parser Nomad reads its agent config
// with) compiled to JavaScript. It ships no types.
declare module 'js-hcl-parser' {
  /** Returns the document as a JSON string, or a non-JSON error text. */
  export function parse(text: string): string;
  const hcl: { parse: typeof parse };
  export default hcl;
}
