import { describe, expect, it } from 'vitest';
import { compileGlob, globMatch } from '@tollgate/acl';
import { closestGlob, globDifference } from './glob.js';

const match = (pattern: string, subject: string): boolean => globMatch(compileGlob(pattern), subject);

describe('globMatch (go-glob semantics)', () => {
  it('matches an empty pattern only against an empty subject', () => {
    expect(match('', '')).toBe(true);
    expect(match('', 'test')).toBe(false);
  });

  it('lets any number of stars match the empty subject, but not a leading literal', () => {
    for (const p of ['*', '**', '***', '*'.repeat(1000)]) expect(match(p, '')).toBe(true);
    expect(match('test', '')).toBe(false);
    expect(match(`x${'*'.repeat(100)}`, '')).toBe(false);
    expect(match(`x${'*'.repeat(100)}x`, '')).toBe(false);
    // The exhausted-subject quirk: a trailing literal after stars is never checked against "".
    expect(match(`${'*'.repeat(100)}x`, '')).toBe(true);
  });

  it('compares patterns without stars for equality', () => {
    expect(match('test', 'test')).toBe(true);
    expect(match('test', 'tests')).toBe(false);
  });

  it.each(['*test', 'this*', '*is *', '*is*a*', '**test**', '**is**a***test*'])('matches %s against "this is a test"', (p) => {
    expect(match(p, 'this is a test')).toBe(true);
  });

  it.each(['test*', '*is', '*no*'])('does not match %s against "this is a test"', (p) => {
    expect(match(p, 'this is a test')).toBe(false);
  });

  it('lets * cross slashes and match nothing', () => {
    expect(match('secrets/*', 'secrets/a/b/c')).toBe(true);
    expect(match('prod-*', 'prod-')).toBe(true);
    expect(match('a*b', 'ab')).toBe(true);
  });

  it('has the exhausted-subject quirk: the final literal is not checked once the subject is used up', () => {
    expect(match('a*b', 'a')).toBe(true);
    expect(match('prod-*-x', 'prod-')).toBe(true);
    expect(match('a*bc', 'a')).toBe(true); // Go panics here; treated as a match
    expect(match('a*b', 'ac')).toBe(false); // something left, so the suffix is checked
  });

  it('does not let the final literal overlap text already consumed', () => {
    expect(match('ab*b', 'ab')).toBe(true); // quirk: exhausted
    expect(match('ab*ba', 'aba')).toBe(false);
  });

  it('finds middle literals by first occurrence', () => {
    expect(match('*a*b', 'xaxb')).toBe(true);
    expect(match('a*b*c', 'abxc')).toBe(true);
    expect(match('a*b*c', 'axbd')).toBe(false);
    expect(match('a*b*c', 'axcb')).toBe(true); // "b" consumed the rest: quirk
  });
});

describe('closestGlob', () => {
  const sorted = (patterns: string[]) => patterns.sort().map(compileGlob);

  it('scores difference as len(name) - len(glob) + stars', () => {
    expect(globDifference(compileGlob('prod-*'), 'prod-api'.length)).toBe(3);
    expect(globDifference(compileGlob('*'), 'prod-api'.length)).toBe(8);
  });

  it('prefers the glob with the smallest difference', () => {
    const globs = sorted(['*', 'prod-*', 'prod-a*']);
    expect(globs[closestGlob(globs, 'prod-api')]?.pattern).toBe('prod-a*');
    expect(globs[closestGlob(globs, 'prod-bff')]?.pattern).toBe('prod-*');
    expect(globs[closestGlob(globs, 'dev')]?.pattern).toBe('*');
  });

  it('breaks ties toward the lexicographically last glob', () => {
    // Both score 7 - 5 + 1 = 3 for "prod-ab".
    const globs = sorted(['*d-ab', 'prod*']);
    expect(globs[closestGlob(globs, 'prod-ab')]?.pattern).toBe('prod*');
    const three = sorted(['a*', '*c', 'b*']); // "ac" only matches a* and *c; tie 2-2+1
    expect(three[closestGlob(three, 'ac')]?.pattern).toBe('a*');
    const threeWay = sorted(['ab*', '*bc', 'a*c']); // all score 3-3+1 = 1 for "abc"
    expect(threeWay[closestGlob(threeWay, 'abc')]?.pattern).toBe('ab*');
  });

  it('returns -1 when no glob matches', () => {
    expect(closestGlob(sorted(['prod-*']), 'dev')).toBe(-1);
    expect(closestGlob([], 'dev')).toBe(-1);
  });

  it('measures length in UTF-8 bytes, like Go', () => {
    // "é" is 2 bytes: "é-x" scores 4 - 2 + 1 = 3 against "*-x" and 4 - 3 + 1 = 2 against "é*".
    const globs = sorted(['*-x', 'é*']);
    expect(globs[closestGlob(globs, 'é-x')]?.pattern).toBe('é*');
  });
});
