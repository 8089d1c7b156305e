import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

let t: TestAgent;
let root: string;

async function clientToken(policies: string[], extra: Record<string, unknown> = {}): Promise<{ AccessorID: string; SecretID: string }> {
  const r = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: policies, ...extra } });
  expect(r.status).toBe(200);
  return r.body;
}

beforeEach(async () => {
  t = await startTestAgent();
  const boot = await t.call('POST', '/v1/acl/bootstrap');
  expect(boot.status).toBe(200);
  root = boot.body.SecretID;
});

afterEach(async () => {
  await t.close();
});

describe('bootstrap', () => {
  it('returns a global management token named "Bootstrap Token" with null policies', async () => {
    const self = await t.call('GET', '/v1/acl/token/self', { token: root });
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ Name: 'Bootstrap Token', Type: 'management', Global: true, Policies: null, SecretID: root });
    expect(self.body.CreateIndex).toBe(self.body.ModifyIndex);
  });

  it('works once, then answers 400 with the reset index', async () => {
    const again = await t.call('POST', '/v1/acl/bootstrap');
    expect(again.status).toBe(400);
    expect(again.text).toBe('ACL bootstrap already done (reset index: 1)');
  });

  it('allows one more bootstrap with a matching reset file and refuses a stale one', async () => {
    await mkdir(join(t.dataDir, 'server'), { recursive: true });
    await writeFile(join(t.dataDir, 'server', 'acl-bootstrap-reset'), '1\n');
    const second = await t.call('PUT', '/v1/acl/bootstrap');
    expect(second.status).toBe(200);
    expect(second.body.SecretID).not.toBe(root);
    const third = await t.call('POST', '/v1/acl/bootstrap');
    expect(third.status).toBe(400);
    expect(third.text).toBe(`Invalid bootstrap reset index (specified 1, reset index: ${second.body.CreateIndex})`);
    // The earlier management token is not revoked by a reset.
    expect((await t.call('GET', '/v1/acl/token/self', { token: root })).status).toBe(200);
  });

  it('accepts an operator-supplied BootstrapSecret only when it is a UUID', async () => {
    const fresh = await startTestAgent();
    try {
      const bad = await fresh.call('POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: 'not-a-uuid' } });
      expect(bad.status).toBe(400);
      expect(bad.text).toBe('invalid acl token');
      const secret = '4b0a41ca-6d32-1853-e64b-de0d347e4525';
      const ok = await fresh.call('POST', '/v1/acl/bootstrap', { body: { BootstrapSecret: secret } });
      expect(ok.status).toBe(200);
      expect(ok.body.SecretID).toBe(secret);
    } finally {
      await fresh.close();
    }
  });
});

describe('tokens', () => {
  it('creates, reads, updates, lists and deletes a token with indexes in headers', async () => {
    const created = await t.call('POST', '/v1/acl/token', {
      token: root,
      body: { Name: 'Readonly token', Type: 'client', Policies: ['readonly'], Global: false },
    });
    expect(created.status).toBe(200);
    const tok = created.body;
    expect(tok).toMatchObject({ Name: 'Readonly token', Type: 'client', Policies: ['readonly'], Global: false, ExpirationTime: null });
    expect(Number(created.headers.get('x-nomad-index'))).toBe(tok.CreateIndex);

    const read = await t.call('GET', `/v1/acl/token/${tok.AccessorID}`, { token: root });
    expect(read.body).toEqual(tok);
    expect(read.headers.get('x-nomad-knownleader')).toBe('true');

    const upd = await t.call('POST', `/v1/acl/token/${tok.AccessorID}`, {
      token: root,
      body: { AccessorID: tok.AccessorID, Name: 'Read-write token', Type: 'client', Policies: ['readwrite'] },
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ AccessorID: tok.AccessorID, SecretID: tok.SecretID, Name: 'Read-write token', CreateIndex: tok.CreateIndex });
    expect(upd.body.ModifyIndex).toBeGreaterThan(tok.ModifyIndex);

    const list = await t.call('GET', '/v1/acl/tokens', { token: root });
    expect(list.body.map((s: { AccessorID: string }) => s.AccessorID)).toContain(tok.AccessorID);
    expect(list.text).not.toContain(tok.SecretID);
    expect(list.text).not.toContain(root);

    const del = await t.call('DELETE', `/v1/acl/token/${tok.AccessorID}`, { token: root });
    expect(del.status).toBe(200);
    expect(del.text).toBe('');
    expect(Number(del.headers.get('x-nomad-index'))).toBeGreaterThan(upd.body.ModifyIndex);
    expect((await t.call('GET', `/v1/acl/token/${tok.AccessorID}`, { token: root })).status).toBe(404);
    // The deleted token no longer authenticates.
    expect((await t.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status).toBe(403);
  });

  it('accepts the token in Authorization: Bearer as well', async () => {
    const r = await t.call('GET', '/v1/acl/token/self', { headers: { Authorization: `Bearer ${root}` } });
    expect(r.status).toBe(200);
    expect(r.body.SecretID).toBe(root);
  });

  it('requires a management token for writes and lists', async () => {
    const c = await clientToken(['app']);
    for (const [method, path, body] of [
      ['POST', '/v1/acl/token', { Type: 'client', Policies: ['x'] }],
      ['GET', '/v1/acl/tokens', undefined],
      ['POST', '/v1/acl/policy/x', { Name: 'x', Rules: '' }],
      ['DELETE', `/v1/acl/token/${c.AccessorID}`, undefined],
    ] as const) {
      const anon = await t.call(method, path, { body });
      expect(anon.status, `${method} ${path} anonymous`).toBe(403);
      expect(anon.text).toBe('Permission denied');
      const client = await t.call(method, path, { token: c.SecretID, body });
      expect(client.status, `${method} ${path} client`).toBe(403);
    }
  });

  it('lets a token read itself by accessor, but not others; a missing token is 403 for it and 404 for management', async () => {
    const a = await clientToken(['app']);
    const b = await clientToken(['app']);
    expect((await t.call('GET', `/v1/acl/token/${a.AccessorID}`, { token: a.SecretID })).status).toBe(200);
    expect((await t.call('GET', `/v1/acl/token/${b.AccessorID}`, { token: a.SecretID })).status).toBe(403);
    const missing = '00000000-0000-0000-0000-000000000000';
    expect((await t.call('GET', `/v1/acl/token/${missing}`, { token: a.SecretID })).status).toBe(403);
    const m = await t.call('GET', `/v1/acl/token/${missing}`, { token: root });
    expect(m.status).toBe(404);
    expect(m.text).toBe('ACL token not found');
  });

  it('answers an unknown secret with 403, never as anonymous', async () => {
    await t.call('POST', '/v1/acl/policy/anonymous', { token: root, body: { Name: 'anonymous', Rules: 'node { policy = "read" }' } });
    const r = await t.call('GET', '/v1/acl/token/self', { token: '00000000-0000-0000-0000-000000000000' });
    expect(r.status).toBe(403);
    const anon = await t.call('GET', '/v1/acl/token/self');
    expect(anon.status).toBe(200);
    expect(anon.body).toMatchObject({ AccessorID: 'anonymous', Name: 'Anonymous Token', Policies: ['anonymous'] });
  });

  it('rejects an expired token with 403 "ACL token expired"', async () => {
    const fresh = await startTestAgent({ acl: { token_min_expiration_ttl: '0s' } });
    try {
      const boot = (await fresh.call('POST', '/v1/acl/bootstrap')).body;
      const tok = (
        await fresh.call('POST', '/v1/acl/token', { token: boot.SecretID, body: { Type: 'client', Policies: ['a'], ExpirationTTL: '1s' } })
      ).body;
      // Valid until its ExpirationTime (a TTL long enough that a stalled
      // test process does not reach it before this read)…
      expect((await fresh.call('GET', '/v1/acl/token/self', { token: tok.SecretID })).status).toBe(200);
      // …and refused once that time has passed.
      await new Promise((r) => setTimeout(r, Date.parse(tok.ExpirationTime) - Date.now() + 20));
      const r = await fresh.call('GET', '/v1/acl/token/self', { token: tok.SecretID });
      expect(r.status).toBe(403);
      expect(r.text).toBe('ACL token expired');
      // The GC removes it once its CreateTime is past the threshold.
      expect(await fresh.agent.collectExpiredTokens(new Date(Date.now() + 2 * 3_600_000))).toBe(1);
      expect(fresh.agent.store.tokenByAccessor(tok.AccessorID)).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });

  it.each([
    ['', 400, 'Request body is empty'],
    ['{not json', 400, 'Request decode failed: body is not valid JSON'],
    ['[1]', 400, 'Request decode failed: expected a JSON object'],
    ['{"Type":"client","Policies":"a"}', 400, 'Request decode failed: Policies must be a list of strings'],
    ['{"Type":"client"}', 400, 'token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles\n\n'],
    ['{"Type":"client","Policies":["a"],"AccessorID":"11111111-1111-1111-1111-111111111111"}', 400, 'cannot find token 11111111-1111-1111-1111-111111111111'],
  ])('refuses create body %j with %i and changes nothing', async (raw, status, text) => {
    const before = t.agent.store.index();
    const r = await t.call('POST', '/v1/acl/token', { token: root, raw });
    expect(r.status).toBe(status);
    expect(r.text).toBe(text);
    expect(t.agent.store.index()).toBe(before);
  });

  it('ignores unknown fields and any client-sent Hash or indexes', async () => {
    const r = await t.call('POST', '/v1/acl/token', {
      token: root,
      body: { Type: 'management', Bogus: 1, Hash: 'AAAA', CreateIndex: 999, ModifyIndex: 999 },
    });
    expect(r.status).toBe(200);
    expect(r.body.Hash).not.toBe('AAAA');
    expect(r.body.CreateIndex).not.toBe(999);
    expect(r.body).not.toHaveProperty('Bogus');
  });

  it('refuses a body over the size limit with 413', async () => {
    const r = await t.call('POST', '/v1/acl/token', { token: root, raw: JSON.stringify({ Type: 'client', Policies: ['a'], Name: 'x'.repeat(2_000_000) }) });
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/Request body too large/);
  });

  it('checks the update path: accessor mismatch, unknown accessor, global toggle', async () => {
    const tok = await clientToken(['a']);
    const mismatch = await t.call('POST', `/v1/acl/token/${tok.AccessorID}`, {
      token: root,
      body: { AccessorID: '22222222-2222-2222-2222-222222222222', Type: 'client', Policies: ['a'] },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toBe('ACL token accessor does not match request path');
    const unknown = await t.call('POST', '/v1/acl/token/22222222-2222-2222-2222-222222222222', {
      token: root,
      body: { Type: 'client', Policies: ['a'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toBe('cannot find token 22222222-2222-2222-2222-222222222222');
    const toggle = await t.call('POST', `/v1/acl/token/${tok.AccessorID}`, { token: root, body: { Type: 'client', Policies: ['a'], Global: true } });
    expect(toggle.status).toBe(400);
    expect(toggle.text).toContain('cannot toggle global mode');
  });

  it('refuses to delete a token that does not exist, with Nomad\'s message', async () => {
    const r = await t.call('DELETE', '/v1/acl/token/33333333-3333-3333-3333-333333333333', { token: root });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Cannot delete nonexistent tokens: 33333333-3333-3333-3333-333333333333');
  });

  it('answers "Missing Token Accessor" for /v1/acl/token/ and 405 for unknown methods', async () => {
    const r = await t.call('GET', '/v1/acl/token/', { token: root });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Missing Token Accessor');
    const p = await t.call('PATCH', '/v1/acl/tokens', { token: root });
    expect(p.status).toBe(405);
    expect(p.text).toBe('Invalid method');
  });

  it('filters by accessor prefix and pages with X-Nomad-NextToken', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await clientToken(['a']));
    const page1 = await t.call('GET', '/v1/acl/tokens?per_page=2', { token: root });
    expect(page1.body).toHaveLength(2);
    const next = page1.headers.get('x-nomad-nexttoken');
    expect(next).toMatch(/^\d+\.[0-9a-f-]{36}$/);
    const page2 = await t.call('GET', `/v1/acl/tokens?per_page=2&next_token=${next}`, { token: root });
    expect(page2.body).toHaveLength(2);
    expect(page2.body[0].AccessorID).toBe(next!.split('.')[1]);
    const all = [...page1.body, ...page2.body].map((s: { AccessorID: string }) => s.AccessorID);
    expect(new Set(all).size).toBe(4);
    const target = made[3]!.AccessorID;
    const byPrefix = await t.call('GET', `/v1/acl/tokens?prefix=${target.slice(0, 8)}`, { token: root });
    expect(byPrefix.body.map((s: { AccessorID: string }) => s.AccessorID)).toContain(target);
    expect(byPrefix.body.every((s: { AccessorID: string }) => s.AccessorID.startsWith(target.slice(0, 8)))).toBe(true);
  });

  it.each([
    ['index=abc', 'Invalid index'],
    ['index=1&wait=forever', 'Invalid wait time'],
    ['stale=maybe', 'Expect `true` or `false` for `stale` query string parameter'],
    ['per_page=x', 'Expect a number for `per_page` query string parameter'],
  ])('rejects bad query %s with Nomad\'s message', async (query, text) => {
    const r = await t.call('GET', `/v1/acl/tokens?${query}`, { token: root });
    expect(r.status).toBe(400);
    expect(r.text).toBe(text);
  });
});

describe('blocking queries', () => {
  it('holds a list until the token table moves past index, then answers with the new index', async () => {
    const idx = Number((await t.call('GET', '/v1/acl/tokens', { token: root })).headers.get('x-nomad-index'));
    const started = Date.now();
    const pending = t.call('GET', `/v1/acl/tokens?index=${idx}&wait=10s`, { token: root });
    await new Promise((r) => setTimeout(r, 200));
    const created = await clientToken(['a']);
    const r = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(Number(r.headers.get('x-nomad-index'))).toBeGreaterThan(idx);
    expect(r.body.map((s: { AccessorID: string }) => s.AccessorID)).toContain(created.AccessorID);
  });

  it('answers 200 with current data when the wait runs out', async () => {
    const idx = Number((await t.call('GET', '/v1/acl/policies', { token: root })).headers.get('x-nomad-index'));
    const started = Date.now();
    const r = await t.call('GET', `/v1/acl/policies?index=${idx}&wait=300ms`, { token: root });
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Number(r.headers.get('x-nomad-index'))).toBe(idx);
  });
});

describe('policies', () => {
  const RULES = 'namespace "default" {\n  policy = "read"\n}\nnode {\n  policy = "write"\n}\n';

  it('writes, reads (with RulesJSON), lists and deletes a policy', async () => {
    const w = await t.call('POST', '/v1/acl/policy/readonly', { token: root, body: { Name: 'readonly', Description: 'ro', Rules: RULES } });
    expect(w.status).toBe(200);
    expect(w.text).toBe('');
    const idx = Number(w.headers.get('x-nomad-index'));
    expect(idx).toBeGreaterThan(0);
    const r = await t.call('GET', '/v1/acl/policy/readonly', { token: root });
    expect(r.body).toMatchObject({ Name: 'readonly', Description: 'ro', Rules: RULES, CreateIndex: idx, ModifyIndex: idx });
    expect(r.body.RulesJSON.Namespaces[0]).toMatchObject({ Name: 'default', Policy: 'read' });
    expect(r.body.RulesJSON.Namespaces[0].Capabilities).toContain('read-job');
    const list = await t.call('GET', '/v1/acl/policies', { token: root });
    expect(list.body).toEqual([expect.objectContaining({ Name: 'readonly', Description: 'ro' })]);
    expect(list.body[0]).not.toHaveProperty('Rules');
    const d = await t.call('DELETE', '/v1/acl/policy/readonly', { token: root });
    expect(d.status).toBe(200);
    expect((await t.call('GET', '/v1/acl/policy/readonly', { token: root })).status).toBe(404);
    // Deleting a missing policy is not an error (Nomad).
    expect((await t.call('DELETE', '/v1/acl/policy/readonly', { token: root })).status).toBe(200);
  });

  it('keeps CreateIndex on update and bumps ModifyIndex', async () => {
    await t.call('POST', '/v1/acl/policy/p', { token: root, body: { Name: 'p', Rules: RULES } });
    const first = (await t.call('GET', '/v1/acl/policy/p', { token: root })).body;
    await t.call('POST', '/v1/acl/policy/p', { token: root, body: { Name: 'p', Rules: 'agent { policy = "read" }' } });
    const second = (await t.call('GET', '/v1/acl/policy/p', { token: root })).body;
    expect(second.CreateIndex).toBe(first.CreateIndex);
    expect(second.ModifyIndex).toBeGreaterThan(first.ModifyIndex);
  });

  it.each([
    [{ Name: 'other', Rules: '' }, 'ACL policy name does not match request path'],
    [{ Name: 'p', Rules: 'namespace "default" { policy = "root" }' }, 'policy 0 invalid: 1 error occurred:\n\t* failed to parse rules: '],
    [{ Name: 'p', Rules: 'bogus { }' }, 'failed to parse rules: '],
    [{ Name: 'p', Rules: '', Description: 'd'.repeat(257) }, 'description longer than 256'],
    [{ Name: 'p', Rules: 5 }, 'Request decode failed: Rules must be a string'],
  ])('refuses policy body %j with a 400 naming the problem', async (body, text) => {
    const r = await t.call('POST', '/v1/acl/policy/p', { token: root, body });
    expect(r.status).toBe(400);
    expect(r.text).toContain(text);
    expect((await t.call('GET', '/v1/acl/policy/p', { token: root })).status).toBe(404);
  });

  it('refuses an invalid policy name', async () => {
    const r = await t.call('POST', '/v1/acl/policy/bad_name', { token: root, body: { Name: 'bad_name', Rules: '' } });
    expect(r.status).toBe(400);
    expect(r.text).toContain("invalid name 'bad_name'");
  });

  it('shows a client token only its own policies, and lets anyone read "anonymous"', async () => {
    for (const name of ['a', 'b', 'anonymous']) {
      await t.call('POST', `/v1/acl/policy/${name}`, { token: root, body: { Name: name, Rules: RULES } });
    }
    const c = await clientToken(['a']);
    const list = await t.call('GET', '/v1/acl/policies', { token: c.SecretID });
    expect(list.body.map((p: { Name: string }) => p.Name)).toEqual(['a']);
    expect((await t.call('GET', '/v1/acl/policy/a', { token: c.SecretID })).status).toBe(200);
    expect((await t.call('GET', '/v1/acl/policy/b', { token: c.SecretID })).status).toBe(403);
    expect((await t.call('GET', '/v1/acl/policy/anonymous', { token: c.SecretID })).status).toBe(200);
  });

  it('answers "Missing Policy Name" for /v1/acl/policy/', async () => {
    const r = await t.call('GET', '/v1/acl/policy/', { token: root });
    expect(r.status).toBe(400);
    expect(r.text).toBe('Missing Policy Name');
  });
});

describe('metrics and health', () => {
  it('serves Prometheus text with request counters, and health', async () => {
    await t.call('GET', '/v1/acl/token/self', { token: root });
    const m = await t.call('GET', '/v1/metrics?format=prometheus');
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/tollgate_http_requests_total\{[^}]*route="\/v1\/acl\/token\/self"[^}]*\} \d+/);
    expect(m.text).toMatch(/tollgate_tokens\{region="global"\} 1/);
    expect(m.text).not.toContain(root);
    const h = await t.call('GET', '/v1/agent/health');
    expect(h.status).toBe(200);
    expect(h.body.server).toEqual({ ok: true, message: 'ok' });
  });
});
