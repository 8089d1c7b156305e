/**
 * Orders strings by their UTF-8 bytes, as Go compares strings (and as
 * Nomad's radix trees iterate keys). JavaScript's `<` compares UTF-16 code
 * units, which differs for characters beyond the Basic Multilingual Plane.
 */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Length of `s` in UTF-8 bytes, i.e. Go's `len(s)`. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
