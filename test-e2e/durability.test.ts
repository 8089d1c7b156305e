/**
 * No acknowledged write is lost: an agent killed with SIGKILL in the middle
 * of concurrent token creates has every token it acknowledged after restart.
 */
import { describe, expect, it } from 'vitest';
import { api, startAgent } from './testkit.js';

describe('durability', () => {
  it('keeps every acknowledged token across kill -9 during 32 concurrent writers', async () => {
    const first = await startAgent();
    const mgmt = (await api(first.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const acked: Array<{ AccessorID: string; SecretID: string; CreateIndex: number }> = [];
    let failures = 0;
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await api(first.addr, 'POST', '/v1/acl/token', {
            token: mgmt,
            body: { Name: `w${w}-${i}`, Type: 'client', Policies: ['p'] },
          });
          if (r.status === 200) acked.push(r.body);
        } catch {
          failures++;
          return; // connection refused/reset once the agent is gone
        }
      }
    };
    const writers = Array.from({ length: 32 }, (_, w) => writer(w));
    // Let real load build up, then kill without warning.
    while (acked.length < 300) await new Promise((r) => setTimeout(r, 10));
    await first.kill();
    stop = true;
    await Promise.all(writers);
    expect(failures).toBeGreaterThan(0); // some requests really were cut off

    const second = await startAgent({ dataDir: first.dataDir });
    try {
      const list = await api(second.addr, 'GET', '/v1/acl/tokens', { token: mgmt });
      expect(list.status).toBe(200);
      const stored = new Map<string, { CreateIndex: number }>(list.body.map((t: { AccessorID: string; CreateIndex: number }) => [t.AccessorID, t]));
      const lost = acked.filter((t) => !stored.has(t.AccessorID));
      expect(lost).toEqual([]);
      for (const t of acked) expect(stored.get(t.AccessorID)!.CreateIndex).toBe(t.CreateIndex);
      // Secrets still resolve (the secret index survived too).
      for (const t of acked.slice(-20)) {
        const self = await api(second.addr, 'GET', '/v1/acl/token/self', { token: t.SecretID });
        expect(self.status).toBe(200);
      }
      // New writes continue above the old indexes.
      const next = await api(second.addr, 'POST', '/v1/acl/token', { token: mgmt, body: { Type: 'management' } });
      expect(next.body.CreateIndex).toBeGreaterThan(Math.max(...acked.map((t) => t.CreateIndex)));
    } finally {
      await second.stop();
    }
  });
});
