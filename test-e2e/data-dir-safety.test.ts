/**
 * A data dir that held a store is never silently replaced by a new one: a
 * start over a missing LevelDB `CURRENT` (a half-restored backup, an
 * operator's `rm`) or a missing store directory is refused, naming the path,
 * and not one file changes.
 */
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, startAgent } from './testkit.js';

async function files(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of await readdir(dir)) out[f] = (await stat(join(dir, f))).size;
  return out;
}

describe('starting over damaged state', () => {
  it('refuses a store without CURRENT, deletes nothing, and starts again once CURRENT is back', async () => {
    const first = await startAgent();
    const stateDir = join(first.dataDir, 'server', 'state');
    try {
      const mgmt = (await api(first.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
      for (let i = 0; i < 20; i++) {
        expect((await api(first.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Name: `t${i}`, Type: 'management' } })).status).toBe(200);
      }
      await first.stop();
      const current = await import('node:fs/promises').then((fs) => fs.readFile(join(stateDir, 'CURRENT'), 'utf8'));
      await unlink(join(stateDir, 'CURRENT'));
      const before = await files(stateDir);

      const refused = await startAgent({ dataDir: first.dataDir }).then(
        async (a) => {
          await a.stop();
          return undefined;
        },
        (err: Error) => err,
      );
      expect(refused).toBeInstanceOf(Error);
      expect(refused!.message).toContain(join(stateDir, 'CURRENT'));
      expect(refused!.message).toContain('TOLLGATE_STORE_REFUSED');
      expect(refused!.message).not.toContain('initialized a new state store');
      expect(await files(stateDir)).toEqual(before);

      // Put CURRENT back: everything is still there.
      await import('node:fs/promises').then((fs) => fs.writeFile(join(stateDir, 'CURRENT'), current));
      const again = await startAgent({ dataDir: first.dataDir });
      try {
        const list = await api(again.addr, 'GET', '/v1/acl/tokens', { token: mgmt });
        expect(list.status).toBe(200);
        expect(list.body).toHaveLength(21);
        expect((await api(again.addr, 'POST', '/v1/acl/bootstrap')).status).toBe(400);
      } finally {
        await again.stop();
      }

      // The whole store directory gone: refused too (the marker remembers it).
      await rm(stateDir, { recursive: true });
      const gone = await startAgent({ dataDir: first.dataDir }).then(
        async (a) => {
          await a.stop();
          return undefined;
        },
        (err: Error) => err,
      );
      expect(gone?.message).toMatch(/was initialized before but the directory is empty or missing/);
      await expect(stat(stateDir)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await first.stop();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });
});
