import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './errors.js';
import { loadOrCreateKey, loadRegionKey } from './keyring.js';
import type { Logger } from './logger.js';

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

describe('region key sources', () => {
  it('refuses a keyring readable by group or others, naming the file and mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-key-'));
    const file = join(dir, 'keyring');
    await writeFile(file, `${Buffer.alloc(32, 1).toString('base64')}\n`, { mode: 0o644 });
    await chmod(file, 0o644);
    await expect(loadOrCreateKey(file, undefined)).rejects.toThrow(new RegExp(`${file} has mode 0644`));
    await chmod(file, 0o600);
    expect((await loadOrCreateKey(file, undefined)).equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it('reads acl.encryption_key_file outside the data dir without a warning, and warns for one inside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-key-'));
    const warn = vi.fn();
    const file = join(dir, 'region.key');
    await writeFile(file, Buffer.alloc(32, 9).toString('base64'), { mode: 0o600 });
    const base = { configured: undefined, defaultKeyring: join(dir, 'data', 'keyring'), storeDir: join(dir, 'data', 'state'), log: { warn } as unknown as Logger };
    const a = await loadRegionKey({ ...base, keyFile: file, dataDir: join(dir, 'data') });
    expect(a.source).toBe('key-file');
    expect(a.key.equals(Buffer.alloc(32, 9))).toBe(true);
    expect(warn).not.toHaveBeenCalled();
    await loadRegionKey({ ...base, keyFile: file, dataDir: dir });
    expect(warn).toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/inside data_dir/));
  });

  it('warns that the default keyring sits in the data dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-key-'));
    const warn = vi.fn();
    const r = await loadRegionKey({
      configured: undefined,
      keyFile: undefined,
      defaultKeyring: join(dir, 'keyring'),
      dataDir: dir,
      storeDir: join(dir, 'state'),
      log: { warn } as unknown as Logger,
    });
    expect(r.source).toBe('data-dir-keyring');
    expect(warn).toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/acl.encryption_key_file/));
  });
});
