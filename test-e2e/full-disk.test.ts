/**
 * Disk trouble: an agent whose data dir fills up (a small tmpfs the test
 * mounts) refuses writes with 503 and reports `degraded` health while reads
 * and checks go on, takes writes again by itself once space is freed (no
 * restart), and loses no acknowledged write — not even across kill -9.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, startAgent } from './testkit.js';

let mountPoint: string | undefined;
let skipReason: string | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    skipReason = 'needs root to mount a tmpfs';
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir]);
    mountPoint = dir;
  } catch (err) {
    await rmdir(dir);
    skipReason = `cannot mount a tmpfs here: ${String(err)}`;
  }
});

afterAll(async () => {
  if (mountPoint === undefined) return;
  execFileSync('umount', ['-l', mountPoint]);
  await rmdir(mountPoint);
});

/** Writes zeros into `file` until the file system is full. */
async function fill(file: string): Promise<void> {
  const fh = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close().catch(() => {});
  }
}

describe('a full disk', () => {
  it('turns health degraded and writes 503, then recovers without restart and loses no acknowledged write', async (ctx) => {
    if (mountPoint === undefined) {
      console.warn(`full-disk test skipped: ${skipReason}`);
      ctx.skip();
      return;
    }
    const agent = await startAgent({ dataDir: await mkdtemp(join(mountPoint, 'agent-')) });
    let current = agent;
    try {
      const mgmt = (await api(agent.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
      const acked: string[] = [];
      const create = async (name: string): Promise<number> => {
        const r = await api(current.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Name: name, Type: 'client', Policies: ['p'] } });
        if (r.status === 200) acked.push(r.body.AccessorID as string);
        return r.status;
      };
      for (let i = 0; i < 10; i++) expect(await create(`before-${i}`)).toBe(200);

      const filler = join(mountPoint, 'filler');
      await fill(filler);
      // Writes fail once LevelDB cannot sync its log: every status is 200 or 503, and 503 comes.
      let refusedStatus = 0;
      for (let i = 0; i < 2000 && refusedStatus === 0; i++) {
        const status = await create(`full-${i}`);
        expect([200, 503]).toContain(status);
        if (status === 503) refusedStatus = status;
      }
      expect(refusedStatus).toBe(503);

      const health = await api(agent.addr, 'GET', '/v1/agent/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.server.message).toMatch(/commit failed/);
      // Still refused while full; reads and checks go on.
      const refused = await api(agent.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Name: 'refused', Type: 'client', Policies: ['p'] } });
      expect(refused.status).toBe(503);
      expect(refused.text).toMatch(/commit failed/);
      expect((await api(agent.addr, 'GET', '/v1/acl/tokens', { token: mgmt })).status).toBe(200);
      const check = await api(agent.addr, 'POST', '/v1/acl/authorize', { token: mgmt, body: { Checks: [{ Resource: 'node', Capability: 'read' }] } });
      expect(check.status).toBe(200);
      expect(check.body.Results[0].Allowed).toBe(true);
      const metrics = await api(agent.addr, 'GET', '/v1/metrics?format=prometheus');
      expect(metrics.text).toMatch(/tollgate_state_degraded\{[^}]*\} 1/);

      // Free the space: the same agent process takes writes again.
      await rm(filler);
      await eventually(async () => (await create(`after-${Date.now()}`)) === 200, 20_000, 200);
      expect((await api(agent.addr, 'GET', '/v1/agent/health')).body.status).toBe('serving');
      for (let i = 0; i < 5; i++) expect(await create(`after-${i}`)).toBe(200);

      const listed = new Set(((await api(agent.addr, 'GET', '/v1/acl/tokens', { token: mgmt })).body as Array<{ AccessorID: string }>).map((t) => t.AccessorID));
      expect(acked.filter((a) => !listed.has(a))).toEqual([]);

      // And every acknowledged write is on disk: kill -9, start again, all there.
      await agent.kill();
      current = await startAgent({ dataDir: agent.dataDir });
      const after = new Set(((await api(current.addr, 'GET', '/v1/acl/tokens', { token: mgmt })).body as Array<{ AccessorID: string }>).map((t) => t.AccessorID));
      expect(acked.filter((a) => !after.has(a))).toEqual([]);
    } finally {
      await current.stop();
      await agent.stop();
    }
  }, 60_000);
});
