/**
 * Integrity at rest across a restart: a token record edited in the agent's
 * LevelDB (its `Type` set to `management`, no key needed to do so) is
 * refused when the agent starts — the token is unknown (403), the agent logs
 * it by AccessorID and counts it — and every other token works as before.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { api, startAgent } from './testkit.js';

describe('tampering at rest', () => {
  it('refuses a token record edited to management after restart, naming it, and grants nothing', async () => {
    const first = await startAgent();
    let second: Awaited<ReturnType<typeof startAgent>> | undefined;
    try {
      const mgmt = (await api(first.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
      const client = (await api(first.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Name: 'c', Type: 'client', Policies: ['none'] } })).body;
      expect((await api(first.addr, 'GET', '/v1/acl/tokens', { token: client.SecretID })).status).toBe(403);
      await first.stop();

      const db = new Level<string, Record<string, unknown>>(join(first.dataDir, 'server', 'state'), { valueEncoding: 'json', createIfMissing: false });
      await db.open();
      const key = `t:${client.AccessorID}`;
      await db.put(key, { ...(await db.get(key)), Type: 'management', Policies: [] });
      await db.close();

      second = await startAgent({ dataDir: first.dataDir });
      expect((await api(second.addr, 'GET', '/v1/acl/tokens', { token: client.SecretID })).status).toBe(403);
      expect((await api(second.addr, 'GET', '/v1/acl/token/self', { token: client.SecretID })).status).toBe(403);
      expect((await api(second.addr, 'GET', '/v1/acl/tokens', { token: mgmt })).status).toBe(200);
      const line = second.logs.find((l) => l.level === 50 && l.id === client.AccessorID);
      expect(line?.msg).toMatch(/refused: its integrity check \(MAC\) failed/);
      const metrics = await api(second.addr, 'GET', '/v1/metrics?format=prometheus');
      expect(metrics.text).toMatch(/tollgate_state_records_refused_total\{[^}]*table="acl_token"[^}]*\} 1/);
    } finally {
      await second?.stop();
      await first.stop();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });
});
