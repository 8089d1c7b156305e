import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, isBlank, jsonTooDeep } from './json-body.js';

// The plain scan jsonTooDeep replaced: character by character.
function reference(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

// Deterministic pseudo-random numbers in [0, 1) (an LCG): a failure is reproducible.
function rng(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('jsonTooDeep', () => {
  it('agrees with a character-by-character scan on random bracket, quote and backslash soup', () => {
    const r = rng(3);
    const alphabet = ['{', '}', '[', ']', '"', '\\', 'a', ',', ':', ' '];
    for (let n = 0; n < 5000; n++) {
      let text = '';
      const len = Math.floor(r() * 40);
      for (let i = 0; i < len; i++) text += alphabet[Math.floor(r() * alphabet.length)];
      const max = 1 + Math.floor(r() * 4);
      expect(jsonTooDeep(text, max), JSON.stringify(text)).toBe(reference(text, max));
    }
  });

  it('scans when a body has more opening brackets than the limit, however flat', () => {
    // The count settles bodies with at most `max` openings; past it the scan decides.
    expect(jsonTooDeep('{"a":[{}]}', 3)).toBe(false);
    expect(jsonTooDeep('{"a":[{}],"b":[]}', 3)).toBe(false);
    expect(jsonTooDeep('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(jsonTooDeep(`[${'[],'.repeat(500)}[]]`)).toBe(false);
    expect(jsonTooDeep(`["${'{'.repeat(500)}"]`)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const inString = JSON.stringify({ a: `\\"${'['.repeat(200)}` });
    expect(jsonTooDeep(inString)).toBe(false);
    expect(jsonTooDeep('['.repeat(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonTooDeep('['.repeat(MAX_JSON_DEPTH))).toBe(false);
  });
});

describe('isBlank', () => {
  it('is true for empty and whitespace-only bodies, as trim() would say', () => {
    for (const s of ['', ' ', '\n\t \r', '\u00a0\ufeff']) expect(isBlank(s)).toBe(s.trim() === '');
    expect(isBlank(' {} ')).toBe(false);
  });
});
