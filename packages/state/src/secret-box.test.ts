import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox, secretIndexKey } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips a secret and never repeats a ciphertext (fresh IV each time)', () => {
    const a = box.seal('s3cret-value', 'acc-1');
    const b = box.seal('s3cret-value', 'acc-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\./);
    expect(a).not.toContain('s3cret-value');
    expect(box.open(a, 'acc-1')).toBe('s3cret-value');
    expect(box.open(b, 'acc-1')).toBe('s3cret-value');
  });

  it('refuses a value opened for another accessor, under another key, or tampered with', () => {
    const sealed = box.seal('s3cret-value', 'acc-1');
    expect(() => box.open(sealed, 'acc-2')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'acc-1')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[14] = raw[14]! ^ 1;
    expect(() => box.open(`v1.${raw.toString('base64')}`, 'acc-1')).toThrow();
    expect(() => box.open('v0.abc', 'acc-1')).toThrow(/format/);
  });

  it('gives every seal its own IV, also across refills of the IV pool', () => {
    const ivs = new Set<string>();
    // More seals than one pool holds (1,024 IVs), so the pool is refilled twice.
    for (let i = 0; i < 2_500; i++) {
      const sealed = box.seal(`secret-${i}`, `acc-${i}`);
      ivs.add(Buffer.from(sealed.slice(3), 'base64').subarray(0, 12).toString('hex'));
      if (i % 500 === 0) expect(box.open(sealed, `acc-${i}`)).toBe(`secret-${i}`);
    }
    expect(ivs.size).toBe(2_500);
  });

  it('requires a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(31))).toThrow(TypeError);
    expect(() => new SecretBox('x'.repeat(32) as unknown as Buffer)).toThrow(/secretKey/);
  });

  it('indexes secrets by hex SHA-256', () => {
    expect(secretIndexKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
