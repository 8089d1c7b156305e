import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

let t: TestAgent;
let root: string;
const secrets: string[] = [];

beforeAll(async () => {
  t = await startTestAgent();
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
  secrets.push(root);
});

afterAll(async () => {
  await t.close();
});

/** A small deterministic PRNG so a failing case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 8));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 2 ** 40) * (r() < 0.5 ? -1 : 1);
    case 3:
      return ['', 'client', 'management', 'default', '*', '🤞', 'a'.repeat(300), '../../etc', '\u0000'][Math.floor(r() * 9)];
    case 4:
      return r() * 1e300;
    case 5:
      return randomBytes(8).toString('hex');
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const keys = ['Name', 'Type', 'Policies', 'Global', 'ExpirationTTL', 'ExpirationTime', 'AccessorID', 'Rules', 'Description', 'Checks', 'Resource', 'Capability', 'Namespace', 'SecretID', 'BootstrapSecret', '__proto__', 'constructor'];
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(r() * 5); i++) o[keys[Math.floor(r() * keys.length)]!] = randomValue(r, depth + 1);
      return o;
    }
  }
}

describe('robustness', () => {
  it('answers every malformed request with a 2xx/4xx, never a 5xx, and stays healthy', async () => {
    const r = rng(42);
    const paths = [
      '/v1/acl/bootstrap',
      '/v1/acl/token',
      '/v1/acl/tokens',
      '/v1/acl/token/self',
      '/v1/acl/token/00000000-0000-0000-0000-000000000000',
      '/v1/acl/token/not-a-uuid',
      '/v1/acl/policy/p1',
      '/v1/acl/policy/%00',
      '/v1/acl/policies',
      '/v1/acl/authorize',
      '/v1/acl/tokens?index=5&wait=1ms',
      '/v1/acl/tokens?per_page=-1',
      '/v1/acl/tokens?next_token=zz',
      '/v1/metrics?format=xml',
      '/v1/nothing',
    ];
    const methods = ['GET', 'POST', 'PUT', 'DELETE'];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const path = paths[Math.floor(r() * paths.length)]!;
      const method = methods[Math.floor(r() * methods.length)]!;
      const token = [undefined, root, 'garbage', ''][Math.floor(r() * 4)];
      let raw: string | undefined;
      if (method !== 'GET') {
        const body = JSON.stringify(randomValue(r));
        // Sometimes corrupt the JSON or send bare bytes.
        raw = r() < 0.15 ? body.slice(0, Math.floor(body.length / 2)) : r() < 0.05 ? randomBytes(64).toString('latin1') : body;
      }
      const res = await t.call(method, path, { token, raw });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${method} ${path} ${raw ?? ''} → ${res.text}`).toBeLessThan(500);
    }
    // The fuzz really exercised both success and refusal paths.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect((await t.call('GET', '/v1/agent/health')).status).toBe(200);
  });

  it('never writes a SecretID into logs, metrics, lists, error texts or the LevelDB files', async () => {
    const tok = (await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['x'], Name: 'leak-check' } })).body;
    secrets.push(tok.SecretID);
    // Paths that log or fail with the secret in hand.
    await t.call('GET', '/v1/acl/token/self', { token: tok.SecretID });
    await t.call('POST', '/v1/acl/authorize', { token: tok.SecretID, body: { Checks: [{ Resource: 'bogus' }] } });
    await t.call('POST', '/v1/acl/authorize', { token: root, body: { Checks: [{ Resource: 'node', Capability: 'read' }], SecretID: tok.SecretID } });
    await t.call('DELETE', `/v1/acl/token/${tok.AccessorID}`, { token: root });
    const forged = '11111111-2222-3333-4444-555555555555';
    const denied = await t.call('GET', '/v1/acl/tokens', { token: forged });
    expect(denied.text).not.toContain(forged);
    secrets.push(forged);
    const lists = (await t.call('GET', '/v1/acl/tokens', { token: root })).text;
    const metrics = (await t.call('GET', '/v1/metrics?format=prometheus')).text;
    await t.agent.store.close().catch(() => undefined);
    const files = await readdir(join(t.dataDir, 'server', 'state'));
    let disk = '';
    for (const f of files) disk += (await readFile(join(t.dataDir, 'server', 'state', f))).toString('latin1');
    expect(t.logText().length).toBeGreaterThan(0);
    for (const s of secrets) {
      expect(t.logText()).not.toContain(s);
      expect(metrics).not.toContain(s);
      expect(lists).not.toContain(s);
      expect(disk).not.toContain(s);
    }
  });
});
