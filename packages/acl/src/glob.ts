import { byteLength } from './byte-order.js';

/**
 * A glob pattern pre-split for matching with ryanuber/go-glob semantics
 * (the matcher Nomad uses for namespace, node pool, host volume and
 * variable-path labels). Build once with {@link compileGlob}.
 */
export interface CompiledGlob {
  readonly pattern: string;
  /** The literal pieces between `*`s. */
  readonly parts: readonly string[];
  readonly leading: boolean;
  readonly trailing: boolean;
  /** Go's `len(pattern)`, in bytes. */
  readonly byteLength: number;
  /** Number of `*` in the pattern. */
  readonly stars: number;
}

/** Pre-splits `pattern` for {@link globMatch}. */
export function compileGlob(pattern: string): CompiledGlob {
  const parts = pattern.split('*');
  return Object.freeze({
    pattern,
    parts: Object.freeze(parts),
    leading: pattern.startsWith('*'),
    trailing: pattern.endsWith('*'),
    byteLength: byteLength(pattern),
    stars: parts.length - 1,
  });
}

/**
 * go-glob's `Glob(pattern, subject)`: `*` matches any run of characters,
 * including `/` and the empty string; literal pieces are found left to
 * right by first occurrence.
 *
 * Mirrors go-glob's "exhausted subject" quirk: once the middle pieces have
 * consumed the whole subject, the final literal piece is not checked, so
 * `a*b` matches `a` (and `prod-*-x` matches `prod-`). In Go a final piece of
 * two or more bytes then makes go-glob slice out of range and panic; there
 * is no sensible equivalent, so it counts as a match here too.
 */
export function globMatch(glob: CompiledGlob, subject: string): boolean {
  const { pattern, parts } = glob;
  if (pattern === '') return subject === '';
  if (parts.length === 1) return subject === pattern;

  const end = parts.length - 1;
  let pos = 0;
  for (let i = 0; i <= end; i++) {
    const part = parts[i] as string;
    if (i === 0) {
      if (glob.leading) continue;
      if (!subject.startsWith(part)) return false;
      pos = part.length;
    } else if (i === end) {
      if (pos < subject.length) {
        return glob.trailing || (subject.endsWith(part) && subject.length - part.length >= pos);
      }
      return true; // the quirk: nothing left, final piece unchecked
    } else {
      const idx = subject.indexOf(part, pos);
      if (idx < 0) return false;
      pos = idx + part.length;
    }
  }
  return true;
}

/**
 * Nomad's closeness score of a matching glob: `len(name) − len(glob) +
 * count("*")`, in bytes. Smaller is closer.
 */
export function globDifference(glob: CompiledGlob, nameByteLength: number): number {
  return nameByteLength - glob.byteLength + glob.stars;
}

/**
 * Picks the closest glob matching `name` among `globs`, which must be in
 * UTF-8 byte order (the order Nomad's radix tree walks them). Returns the
 * index into `globs`, or -1 when none matches.
 *
 * Ties go to the lexicographically *last* glob: Nomad sorts candidates with
 * `sort.SliceStable` and a non-strict `<=` comparator, which reverses equal
 * elements. That holds exactly for up to 20 candidates (Go's insertion-sort
 * block size); beyond 20 globs matching one name Go's merge step may pick a
 * different tied glob — an edge case not reproduced here.
 */
export function closestGlob(globs: readonly CompiledGlob[], name: string): number {
  let best = -1;
  let bestDifference = 0;
  let nameBytes = -1;
  for (let i = 0; i < globs.length; i++) {
    const glob = globs[i] as CompiledGlob;
    if (!globMatch(glob, name)) continue;
    if (nameBytes < 0) nameBytes = byteLength(name);
    const difference = globDifference(glob, nameBytes);
    if (best < 0 || difference <= bestDifference) {
      best = i;
      bestDifference = difference;
    }
  }
  return best;
}
