import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadOrCreateKey } from './keyring.js';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tg-key-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('keyring', () => {
  it('creates a 32-byte key once, mode 0600, and reads the same key back', async () => {
    const dir = await tempDir();
    const file = join(dir, 'keyring');
    const a = await loadOrCreateKey(file, undefined, join(dir, 'state'));
    expect(a).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const b = await loadOrCreateKey(file, undefined, join(dir, 'state'));
    expect(b.equals(a)).toBe(true);
    expect((await readFile(file, 'utf8')).trim()).toBe(a.toString('base64'));
  });

  it('prefers the configured key and never writes a file for it', async () => {
    const dir = await tempDir();
    const key = Buffer.alloc(32, 7);
    expect(await loadOrCreateKey(join(dir, 'keyring'), key)).toBe(key);
    await expect(stat(join(dir, 'keyring'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses to make a new key beside an existing store, and a malformed key file', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'state'));
    await writeFile(join(dir, 'state', 'CURRENT'), 'MANIFEST-000001\n');
    await expect(loadOrCreateKey(join(dir, 'keyring'), undefined, join(dir, 'state'))).rejects.toThrow(/keyring is missing but .* holds a state store/);
    await writeFile(join(dir, 'keyring'), 'c2hvcnQ=\n');
    await expect(loadOrCreateKey(join(dir, 'keyring'), undefined)).rejects.toBeInstanceOf(ConfigError);
  });
});
