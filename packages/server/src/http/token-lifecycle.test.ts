import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../config.js';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

/**
 * The token lifecycle over HTTP (issue 13): leases and renewal, parents,
 * children and orphans, Meta. One agent per test; the multi-region rules
 * run two regions in this process.
 */

const HOUR = 3_600_000;
type Tok = { AccessorID: string; SecretID: string; ExpirationTime: string | null; [k: string]: any };

let t: TestAgent;
let root: string;
let rootAccessor: string;

async function start(acl: AgentConfigInput['acl'] = {}): Promise<void> {
  t = await startTestAgent({ acl });
  const boot = await t.call('POST', '/v1/acl/bootstrap');
  expect(boot.status).toBe(200);
  root = boot.body.SecretID;
  rootAccessor = boot.body.AccessorID;
  expect((await t.call('POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Rules: 'namespace "default" { policy = "read" }' } })).status).toBe(200);
}

async function create(body: Record<string, unknown>, token = root): Promise<Tok> {
  const r = await t.call('POST', '/v1/acl/token', { token, body: { Type: 'client', Policies: ['app'], ...body } });
  expect(r.status, r.text).toBe(200);
  return r.body as Tok;
}

async function renew(accessor: string | undefined, token: string, body?: unknown) {
  return t.call('POST', accessor === undefined ? '/v1/acl/token/self/renew' : `/v1/acl/token/${accessor}/renew`, { token, ...(body === undefined ? {} : { body }) });
}

const expiry = (tok: { ExpirationTime: string | null }): number => Date.parse(tok.ExpirationTime ?? 'x');
/** Within a second of `ms` (the request's own `now` lies between the test's before and after). */
function near(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThan(5_000);
}

afterEach(async () => {
  await t?.close();
});

describe('leases', () => {
  it('gives a new client token acl.default_token_ttl when it names no lease; management tokens and explicit TTLs keep theirs', async () => {
    await start({ default_token_ttl: '2h' });
    const c = await create({});
    expect(c.ExpirationTTL).toBe('2h0m0s');
    near(expiry(c), Date.now() + 2 * HOUR);
    const given = await create({ ExpirationTTL: '30m' });
    expect(given.ExpirationTTL).toBe('30m0s');
    const m = await create({ Type: 'management', Policies: [] });
    expect(m.ExpirationTime).toBeNull();
  });

  it('leaves tokens without a lease by default (Nomad), and refuses a default outside the TTL bounds at start', async () => {
    await start();
    expect((await create({})).ExpirationTime).toBeNull();
    await expect(startTestAgent({ acl: { default_token_ttl: '48h' } })).rejects.toThrow(/acl.default_token_ttl/);
  });

  it('answers ExplicitMaxTTL and Period as Go durations, and caps the first lease at the explicit max', async () => {
    await start();
    const capped = await create({ ExpirationTTL: '2h', ExplicitMaxTTL: '90m' });
    expect(capped).toMatchObject({ ExpirationTTL: '2h0m0s', ExplicitMaxTTL: '1h30m0s', Period: '' });
    near(expiry(capped), Date.parse(capped.CreateTime) + 90 * 60_000);
    const onlyMax = await create({ ExplicitMaxTTL: '3h' });
    near(expiry(onlyMax), Date.now() + 3 * HOUR);
    const periodic = await create({ Period: '30m' });
    expect(periodic.Period).toBe('30m0s');
    near(expiry(periodic), Date.now() + 30 * 60_000);
    const both = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'], Period: '30m', ExpirationTTL: '1h' } });
    expect(both.status).toBe(400);
    expect(both.text).toMatch(/periodic token/);
    const bad = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'], Period: 'soon' } });
    expect(bad).toMatchObject({ status: 400 });
    expect(bad.text).toMatch(/Period: invalid duration/);
  });
});

describe('renewal', () => {
  beforeEach(async () => {
    await start({ child_tokens: true });
  });

  it('sets now + increment, defaulting to the token\'s TTL; a token renews itself; the answer is the updated token', async () => {
    const c = await create({ ExpirationTTL: '1h' });
    const r = await renew(undefined, c.SecretID, { Increment: '3h' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.AccessorID).toBe(c.AccessorID);
    near(expiry(r.body), Date.now() + 3 * HOUR);
    expect(r.body.ModifyIndex).toBeGreaterThan(c.ModifyIndex);
    expect(Number(r.headers.get('x-nomad-index'))).toBe(r.body.ModifyIndex);
    // Without an increment: the token's TTL, but never shorter than the lease it has.
    const again = await renew(c.AccessorID, root);
    expect(again.status).toBe(200);
    expect(expiry(again.body)).toBe(expiry(r.body));
    const d = await create({ ExpirationTTL: '1h' });
    await sleep(20);
    const dflt = await renew(undefined, d.SecretID);
    expect(expiry(dflt.body)).toBeGreaterThan(expiry(d));
    near(expiry(dflt.body), Date.now() + HOUR);
    expect((await t.call('GET', `/v1/acl/token/${c.AccessorID}`, { token: root })).body.ExpirationTime).toBe(r.body.ExpirationTime);
  });

  it('never passes the max TTL, the explicit max or the parent\'s expiry', async () => {
    const c = await create({ ExpirationTTL: '1h' });
    near(expiry((await renew(c.AccessorID, root, { Increment: '100h' })).body), Date.now() + 24 * HOUR);
    const capped = await create({ ExpirationTTL: '1h', ExplicitMaxTTL: '2h' });
    const atMax = await renew(capped.AccessorID, root, { Increment: '10h' });
    expect(expiry(atMax.body)).toBe(Date.parse(capped.CreateTime) + 2 * HOUR);
    const parent = await create({ Type: 'management', Policies: [], ExpirationTTL: '2h' });
    const child = await create({ ExpirationTTL: '1h' }, parent.SecretID);
    expect(child.ParentAccessorID).toBe(parent.AccessorID);
    const r = await renew(child.AccessorID, root, { Increment: '10h' });
    expect(expiry(r.body)).toBe(expiry(parent));
  });

  it('renews a periodic token to now + Period, whatever the increment, with no overall max', async () => {
    const p = await create({ Period: '1h' });
    await sleep(20);
    const r = await renew(undefined, p.SecretID, { Increment: '20h' });
    expect(r.status).toBe(200);
    near(expiry(r.body), Date.now() + HOUR);
    expect(expiry(r.body)).toBeGreaterThan(expiry(p));
  });

  it('refuses a token without a lease (400 naming why), a bad increment, and other callers\' tokens unless management', async () => {
    const eternal = await create({});
    const r = await renew(undefined, eternal.SecretID);
    expect(r.status).toBe(400);
    expect(r.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_TOKEN_NOT_RENEWABLE');
    expect(r.text).toBe(`token ${eternal.AccessorID} has no lease (no ExpirationTime): there is nothing to renew`);
    const leased = await create({ ExpirationTTL: '1h' });
    expect((await renew(undefined, leased.SecretID, { Increment: '1s' })).status).toBe(400);
    expect((await renew(undefined, leased.SecretID, { Increment: 'never' })).status).toBe(400);
    const other = await create({ ExpirationTTL: '1h' });
    expect((await renew(other.AccessorID, leased.SecretID)).status).toBe(403);
    expect((await renew(other.AccessorID, other.SecretID)).status).toBe(200);
    expect((await renew('6b6d4b47-0d3e-4f0c-9c1c-1f0a8a1d2e3f', root)).status).toBe(400);
    expect((await renew(undefined, '', {})).status).toBe(400);
  });

  it('refuses an expired token with 403 ACL token expired, by itself or by management', async () => {
    await t.close();
    await start({ token_min_expiration_ttl: '1ms' });
    const c = await create({ ExpirationTTL: '30ms' });
    await sleep(60);
    const self = await renew(undefined, c.SecretID);
    expect(self).toMatchObject({ status: 403, text: 'ACL token expired' });
    const byRoot = await renew(c.AccessorID, root);
    expect(byRoot).toMatchObject({ status: 403, text: 'ACL token expired' });
  });
});

describe('parents, children and orphans', () => {
  it('with child_tokens = true: a token is its creator\'s child, capped at its expiry, and revoked with it, recursively', async () => {
    await start({ child_tokens: true });
    const a = await create({ Type: 'management', Policies: [], ExpirationTTL: '2h' });
    expect(a).toMatchObject({ ParentAccessorID: rootAccessor, Orphan: false });
    const b = await create({ Type: 'management', Policies: [], ExpirationTTL: '10h' }, a.SecretID);
    expect(expiry(b)).toBe(expiry(a));
    const c = await create({}, b.SecretID);
    expect(expiry(c)).toBe(expiry(a));
    const keep = await create({ Orphan: true }, a.SecretID);
    expect(keep).toMatchObject({ ParentAccessorID: a.AccessorID, Orphan: true });
    const kids = await t.call('GET', `/v1/acl/token/${a.AccessorID}/children`, { token: root });
    expect(kids.status).toBe(200);
    expect((kids.body as Tok[]).map((k) => k.AccessorID)).toEqual([b.AccessorID]);
    expect(JSON.stringify(kids.body)).not.toContain(b.SecretID);
    const del = await t.call('DELETE', `/v1/acl/token/${a.AccessorID}`, { token: root });
    expect(del.status).toBe(200);
    for (const gone of [a, b, c]) {
      expect((await t.call('GET', '/v1/acl/token/self', { token: gone.SecretID })).status).toBe(403);
      expect((await t.call('GET', `/v1/acl/token/${gone.AccessorID}`, { token: root })).status).toBe(404);
    }
    expect((await t.call('GET', '/v1/acl/token/self', { token: keep.SecretID })).status).toBe(200);
  });

  it('revoke-orphan revokes the token and keeps its children, as orphans', async () => {
    await start({ child_tokens: true });
    const a = await create({ Type: 'management', Policies: [] });
    const b = await create({ Type: 'management', Policies: [] }, a.SecretID);
    const c = await create({}, b.SecretID);
    const r = await t.call('POST', `/v1/acl/token/${a.AccessorID}/revoke-orphan`, { token: root });
    expect(r.status, r.text).toBe(200);
    expect((await t.call('GET', '/v1/acl/token/self', { token: a.SecretID })).status).toBe(403);
    const nb = await t.call('GET', '/v1/acl/token/self', { token: b.SecretID });
    expect(nb.body).toMatchObject({ ParentAccessorID: a.AccessorID, Orphan: true });
    expect((await t.call('GET', `/v1/acl/token/${b.AccessorID}/children`, { token: root })).body).toHaveLength(1);
    // b is its own root now: deleting it still takes c.
    await t.call('DELETE', `/v1/acl/token/${b.AccessorID}`, { token: root });
    expect((await t.call('GET', '/v1/acl/token/self', { token: c.SecretID })).status).toBe(403);
    expect((await t.call('POST', `/v1/acl/token/${a.AccessorID}/revoke-orphan`, { token: root })).status).toBe(400);
    const client = await create({});
    expect((await t.call('POST', `/v1/acl/token/${b.AccessorID}/revoke-orphan`, { token: client.SecretID })).status).toBe(403);
  });

  it('with child_tokens = false (Nomad): tokens are orphans, deleting the bootstrap token revokes nothing else; Child asks for a child', async () => {
    await start();
    const plain = await create({});
    expect(plain).toMatchObject({ ParentAccessorID: rootAccessor, Orphan: true });
    const m = await create({ Type: 'management', Policies: [] });
    const kid = await create({ Child: true }, m.SecretID);
    expect(kid).toMatchObject({ ParentAccessorID: m.AccessorID, Orphan: false });
    await t.call('DELETE', `/v1/acl/token/${m.AccessorID}`, { token: root });
    expect((await t.call('GET', '/v1/acl/token/self', { token: kid.SecretID })).status).toBe(403);
    const m2 = await create({ Type: 'management', Policies: [] });
    expect((await t.call('DELETE', `/v1/acl/token/${rootAccessor}`, { token: m2.SecretID })).status).toBe(200);
    expect((await t.call('GET', '/v1/acl/token/self', { token: plain.SecretID })).status).toBe(200);
    expect((await t.call('GET', '/v1/acl/token/self', { token: m2.SecretID })).status).toBe(200);
  });

  it('orphan rules by token type: management may ask for Orphan, other tokens cannot create at all; Orphan with Child is a 400', async () => {
    await start({ child_tokens: true });
    const m = await create({ Type: 'management', Policies: [] });
    expect(await create({ Orphan: true, Type: 'management', Policies: [] }, m.SecretID)).toMatchObject({ Orphan: true, ParentAccessorID: m.AccessorID });
    const c = await create({});
    const byClient = await t.call('POST', '/v1/acl/token', { token: c.SecretID, body: { Type: 'client', Policies: ['app'], Orphan: true } });
    expect(byClient.status).toBe(403);
    const both = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'], Orphan: true, Child: true } });
    expect(both).toMatchObject({ status: 400, text: 'Orphan and Child cannot both be true' });
    const badType = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'], Orphan: 'yes' } });
    expect(badType.status).toBe(400);
  });

  it('an expired parent\'s tree is collected with it by the GC', async () => {
    await start({ child_tokens: true });
    const a = await create({ Type: 'management', Policies: [], ExpirationTTL: '1h' });
    const b = await create({ Type: 'management', Policies: [] }, a.SecretID);
    const c = await create({}, b.SecretID);
    expect(await t.agent.collectExpiredTokens(new Date(Date.now() + 3 * HOUR))).toBe(3);
    for (const gone of [a, b, c]) expect((await t.call('GET', `/v1/acl/token/${gone.AccessorID}`, { token: root })).status).toBe(404);
  });
});

describe('Meta', () => {
  beforeEach(async () => {
    await start();
  });

  const meta = (n: number, k = (i: number) => `k${i}`, v = () => 'v'): Record<string, string> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [k(i), v()]));

  it('accepts 64 keys, 128-byte keys and 512-byte values, and refuses one more of each with a 400 naming it', async () => {
    expect((await create({ Meta: meta(64) })).Meta).toEqual(meta(64));
    await create({ Meta: { ['k'.repeat(128)]: 'v'.repeat(512) } });
    await create({ Meta: { ['é'.repeat(64)]: 'x' } });
    const cases: [unknown, RegExp][] = [
      [meta(65), /65 keys; at most 64/],
      [{ ['k'.repeat(129)]: 'v' }, /129 bytes; at most 128/],
      [{ ['é'.repeat(65)]: 'v' }, /130 bytes; at most 128/],
      [{ k: 'v'.repeat(513) }, /513 bytes; at most 512/],
      [{ k: 1 }, /must be a string/],
      [{ '': 'v' }, /must not be empty/],
      [['a'], /must be an object/],
    ];
    for (const [m, text] of cases) {
      const r = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['app'], Meta: m } });
      expect(r.status).toBe(400);
      expect(r.headers.get('x-tollgate-error-code')).toBe('TOLLGATE_TOKEN_META_INVALID');
      expect(r.text).toMatch(text);
    }
    expect((await t.call('GET', '/v1/acl/tokens', { token: root })).body).toHaveLength(4);
  });

  it('is shown in info and list stubs, kept by an update that omits it (Nomad\'s client), replaced by one that sends it, and filterable', async () => {
    const a = await create({ Name: 'pay', Meta: { team: 'payments', env: 'prod' } });
    await create({ Name: 'ops', Meta: { team: 'ops' } });
    const upd = await t.call('POST', `/v1/acl/token/${a.AccessorID}`, { token: root, body: { AccessorID: a.AccessorID, Name: 'pay2', Type: 'client', Policies: ['app'] } });
    expect(upd.body.Meta).toEqual({ env: 'prod', team: 'payments' });
    const stubs = (await t.call('GET', '/v1/acl/tokens', { token: root })).body as Tok[];
    expect(stubs.find((s) => s.AccessorID === a.AccessorID)?.Meta).toEqual({ env: 'prod', team: 'payments' });
    const f = await t.call('GET', `/v1/acl/tokens?filter=${encodeURIComponent('Meta.team == "payments"')}`, { token: root });
    expect((f.body as Tok[]).map((s) => s.Name)).toEqual(['pay2']);
    const g = await t.call('GET', `/v1/acl/tokens?filter=${encodeURIComponent('Orphan == true and ParentAccessorID == "' + rootAccessor + '"')}`, { token: root });
    expect(g.body).toHaveLength(2);
    const replaced = await t.call('POST', `/v1/acl/token/${a.AccessorID}`, { token: root, body: { AccessorID: a.AccessorID, Name: 'pay2', Type: 'client', Policies: ['app'], Meta: { team: 'core' } } });
    expect(replaced.body.Meta).toEqual({ team: 'core' });
    expect(replaced.body.Hash).not.toBe(upd.body.Hash);
    const cleared = await t.call('POST', `/v1/acl/token/${a.AccessorID}`, { token: root, body: { AccessorID: a.AccessorID, Name: 'pay2', Type: 'client', Policies: ['app'], Meta: null } });
    expect(cleared.body.Meta).toEqual({});
  });

  it('survives a restart (stored with its MAC) and a key named __proto__ stays data', async () => {
    const a = await create({ Meta: { __proto__: 'x', team: 'p' } as unknown as Record<string, string> });
    const parsed = JSON.parse('{"__proto__":"x","team":"p"}') as Record<string, string>;
    const b = await create({ Meta: parsed });
    expect(Object.keys(b.Meta as object).sort()).toEqual(['__proto__', 'team']);
    const dir = t.dataDir;
    await t.agent.close();
    const again = await startTestAgent({}, { dataDir: dir });
    try {
      const r = await again.call('GET', `/v1/acl/token/${b.AccessorID}`, { token: root });
      expect(r.body.Meta).toEqual(parsed);
      expect((await again.call('GET', `/v1/acl/token/${a.AccessorID}`, { token: root })).status).toBe(200);
    } finally {
      await again.close();
    }
  });
});

describe('global and local lineages across regions', () => {
  let g: TestAgent;
  let eu: TestAgent;
  let gRoot: string;

  beforeAll(async () => {
    g = await startTestAgent({ acl: { child_tokens: true } });
    gRoot = (await g.call('POST', '/v1/acl/bootstrap')).body.SecretID;
    await g.call('POST', '/v1/acl/policy/app', { token: gRoot, body: { Name: 'app', Rules: 'namespace "default" { policy = "read" }' } });
    eu = await startTestAgent({
      region: 'eu-west',
      acl: { replication_token: gRoot, child_tokens: true },
      server: { authoritative_region: 'global', region_peers: { global: [g.agent.rpcAddress] }, replication_wait: '5s' },
    });
  });

  afterAll(async () => {
    await eu?.close();
    await g?.close();
  });

  afterEach(() => {
    // Keep these agents across the tests of this block.
    t = undefined as unknown as TestAgent;
  });

  async function replicated(agent: TestAgent, accessor: string, present: boolean): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const s = (await agent.call('GET', `/v1/acl/token/${accessor}`, { token: gRoot })).status;
      if ((s === 200) === present) return;
      await sleep(25);
    }
    throw new Error(`token ${accessor} did not become ${present ? 'present' : 'absent'}`);
  }

  it('a local child of a global parent dies in its region when the parent\'s deletion arrives; a global token\'s parent lives in the authoritative region', async () => {
    const parent = (await g.call('POST', '/v1/acl/token', { token: gRoot, body: { Type: 'management', Global: true } })).body as Tok;
    await replicated(eu, parent.AccessorID, true);
    const local = await eu.call('POST', '/v1/acl/token', { token: parent.SecretID, body: { Type: 'client', Policies: ['app'] } });
    expect(local.body).toMatchObject({ Global: false, ParentAccessorID: parent.AccessorID, Orphan: false });
    const grand = await eu.call('POST', '/v1/acl/token', { token: parent.SecretID, body: { Type: 'management' } });
    const great = await eu.call('POST', '/v1/acl/token', { token: grand.body.SecretID, body: { Type: 'client', Policies: ['app'] } });
    // A global token made from eu-west is created in the authoritative region: its parent lives there.
    const globalKid = await eu.call('POST', '/v1/acl/token', { token: parent.SecretID, body: { Type: 'client', Policies: ['app'], Global: true } });
    expect(globalKid.body).toMatchObject({ Global: true, ParentAccessorID: parent.AccessorID });
    // A local token of eu-west cannot make a global token: the authoritative region does not know it.
    expect((await eu.call('POST', '/v1/acl/token', { token: grand.body.SecretID, body: { Type: 'client', Policies: ['app'], Global: true } })).status).toBe(403);
    expect((await g.call('DELETE', `/v1/acl/token/${parent.AccessorID}`, { token: gRoot })).status).toBe(200);
    await replicated(eu, parent.AccessorID, false);
    for (const gone of [local.body, grand.body, great.body, globalKid.body] as Tok[]) {
      expect((await eu.call('GET', '/v1/acl/token/self', { token: gone.SecretID })).status).toBe(403);
    }
    expect((await g.call('GET', `/v1/acl/token/${globalKid.body.AccessorID}`, { token: gRoot })).status).toBe(404);
  });

  it('an expired global parent collected in the authoritative region takes its children in every region', async () => {
    const parent = (await g.call('POST', '/v1/acl/token', { token: gRoot, body: { Type: 'management', Global: true, ExpirationTTL: '1h' } })).body as Tok;
    await replicated(eu, parent.AccessorID, true);
    const local = (await eu.call('POST', '/v1/acl/token', { token: parent.SecretID, body: { Type: 'client', Policies: ['app'] } })).body as Tok;
    const globalKid = (await g.call('POST', '/v1/acl/token', { token: parent.SecretID, body: { Type: 'client', Policies: ['app'], Global: true } })).body as Tok;
    await replicated(eu, globalKid.AccessorID, true);
    expect(await g.agent.collectExpiredTokens(new Date(Date.now() + 3 * HOUR))).toBeGreaterThanOrEqual(2);
    await replicated(eu, parent.AccessorID, false);
    await replicated(eu, globalKid.AccessorID, false);
    // eu-west's own collector did not run: the replicated deletion took the local child.
    expect((await eu.call('GET', `/v1/acl/token/${local.AccessorID}`, { token: gRoot })).status).toBe(404);
  });

  it('renews a global token from a follower: forwarded, answered with the updated token, readable there at once', async () => {
    const tok = (await eu.call('POST', '/v1/acl/token', { token: gRoot, body: { Type: 'client', Policies: ['app'], Global: true, ExpirationTTL: '1h' } })).body as Tok;
    const r = await eu.call('POST', '/v1/acl/token/self/renew', { token: tok.SecretID, body: { Increment: '5h' } });
    expect(r.status, r.text).toBe(200);
    near(expiry(r.body), Date.now() + 5 * HOUR);
    const here = await eu.call('GET', '/v1/acl/token/self', { token: tok.SecretID });
    expect(here.body.ExpirationTime).toBe(r.body.ExpirationTime);
    const there = await g.call('GET', `/v1/acl/token/${tok.AccessorID}`, { token: gRoot });
    expect(there.body.ExpirationTime).toBe(r.body.ExpirationTime);
  });
});
