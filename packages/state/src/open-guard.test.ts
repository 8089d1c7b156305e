import { mkdtemp, readdir, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreRefusedError } from './errors.js';
import { StateStore } from './state-store.js';

const key = Buffer.alloc(32, 3);
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tg-guard-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function snapshot(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of await readdir(dir)) out[f] = (await stat(join(dir, f))).size;
  return out;
}

describe('opening a state directory', () => {
  it('creates a new store in a missing directory and reopens it', async () => {
    const path = join(await tempDir(), 'state');
    const s = await StateStore.open({ path, secretKey: key });
    await s.close();
    const again = await StateStore.open({ path, secretKey: key, create: 'never' });
    await again.close();
  });

  it('refuses files without CURRENT, naming the path, and changes nothing', async () => {
    const path = join(await tempDir(), 'state');
    const s = await StateStore.open({ path, secretKey: key });
    await s.close();
    await unlink(join(path, 'CURRENT'));
    const before = await snapshot(path);
    const err = await StateStore.open({ path, secretKey: key }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreRefusedError);
    expect((err as Error).message).toContain(join(path, 'CURRENT'));
    expect((err as StoreRefusedError).code).toBe('TOLLGATE_STORE_REFUSED');
    expect(await snapshot(path)).toEqual(before);
  });

  it('refuses an empty directory when the caller knows a store existed there', async () => {
    const path = join(await tempDir(), 'state');
    await expect(StateStore.open({ path, secretKey: key, create: 'never' })).rejects.toThrow(
      new RegExp(`state store at ${path} was initialized before`),
    );
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
