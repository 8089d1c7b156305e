import { randomBytes, randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { SecretBox } from '@tollgate/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdClient } from '../ha/etcd-client.js';
import { etcdSkipReason, startEtcd } from '@tollgate/testkit';
import type { EtcdProcess } from '@tollgate/testkit';
import { EtcdOidcStateStore } from './etcd-oidc-state-store.js';
import { MemoryOidcStateStore, matchesHash, oidcHash, type OidcPendingLogin, type OidcStateStore } from './oidc-state-store.js';

const login = (expiresAtMs: number, method = 'corp'): OidcPendingLogin => ({
  method,
  redirectUri: 'http://localhost:4649/oidc/callback',
  nonceHash: oidcHash('nonce-0123456789abcdef'),
  codeVerifier: 'v'.repeat(43),
  expiresAtMs,
});

/** What every store must do; `clock` moves the store's time. */
function describeStateStore(name: string, make: () => Promise<{ store: OidcStateStore; clock: { now: number } }>): void {
  describe(`${name} OIDC state store`, () => {
    it('returns a login once, then refuses the state', async () => {
      const { store, clock } = await make();
      const h = oidcHash(`state-${randomUUID()}`);
      await store.put(h, login(clock.now + 60_000));
      const first = await store.take(h);
      expect(first.ok && first.login.method).toBe('corp');
      expect(first.ok && first.login.codeVerifier).toBe('v'.repeat(43));
      const second = await store.take(h);
      expect(second.ok).toBe(false);
    });

    it('refuses a state it never stored', async () => {
      const { store } = await make();
      expect(await store.take(oidcHash('never'))).toEqual({ ok: false, reason: 'unknown' });
    });

    it('refuses an expired state as expired', async () => {
      const { store, clock } = await make();
      const h = oidcHash(`state-${randomUUID()}`);
      await store.put(h, login(clock.now + 2_000));
      clock.now += 2_001;
      expect(await store.take(h)).toEqual({ ok: false, reason: 'expired' });
    });

    it('of concurrent takes of one state exactly one wins', async () => {
      const { store, clock } = await make();
      const h = oidcHash(`state-${randomUUID()}`);
      await store.put(h, login(clock.now + 60_000));
      const results = await Promise.all([store.take(h), store.take(h), store.take(h)]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });
  });
}

describeStateStore('memory', () => {
  const clock = { now: 1_000_000 };
  return Promise.resolve({ store: new MemoryOidcStateStore({ now: () => clock.now }), clock });
});

describe('MemoryOidcStateStore bounds', () => {
  it('says "used" for a replay of a spent state', async () => {
    const store = new MemoryOidcStateStore();
    await store.put('h', login(Date.now() + 60_000));
    await store.take('h');
    expect(await store.take('h')).toEqual({ ok: false, reason: 'used' });
  });

  it('keeps at most maxEntries, forgetting the oldest first', async () => {
    const store = new MemoryOidcStateStore({ maxEntries: 3 });
    for (const h of ['a', 'b', 'c', 'd']) await store.put(h, login(Date.now() + 60_000));
    expect(store.size).toBe(3);
    expect(await store.take('a')).toEqual({ ok: false, reason: 'unknown' });
    expect((await store.take('d')).ok).toBe(true);
  });

  it('forgets entries once past expiry plus retention', async () => {
    const clock = { now: 0 };
    const store = new MemoryOidcStateStore({ now: () => clock.now, retainMs: 1_000 });
    await store.put('a', login(5_000));
    clock.now = 6_001;
    await store.put('b', login(20_000));
    expect(store.size).toBe(1);
    expect(await store.take('a')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses a non-positive bound', () => {
    expect(() => new MemoryOidcStateStore({ maxEntries: 0 })).toThrow(RangeError);
  });

  it('compares nonces by hash', () => {
    expect(matchesHash('abc', oidcHash('abc'))).toBe(true);
    expect(matchesHash('abd', oidcHash('abc'))).toBe(false);
    expect(matchesHash('abc', 'not-hex')).toBe(false);
  });
});

const SKIP = etcdSkipReason('EtcdOidcStateStore');
if (SKIP !== undefined) {
  describe.skip(`EtcdOidcStateStore: ${SKIP}`, () => {
    it('needs /usr/bin/etcd', () => undefined);
  });
} else {
  let etcd: EtcdProcess;
  let client: Etcd3;
  const box = new SecretBox(randomBytes(32));
  beforeAll(async () => {
    etcd = await startEtcd();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
  }, 30_000);
  afterAll(async () => {
    client?.close();
    await etcd?.close();
  });

  describeStateStore('etcd', () => {
    const clock = { now: Date.now() };
    const prefix = `/tollgate/t-${randomUUID()}/`;
    return Promise.resolve({ store: new EtcdOidcStateStore({ client, prefix, box, now: () => clock.now }), clock });
  });

  describe('EtcdOidcStateStore', () => {
    it('keeps the login sealed in etcd, on a lease, outside data/', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const store = new EtcdOidcStateStore({ client, prefix, box });
      await store.put('abc', login(Date.now() + 60_000));
      const kv = await client.get(`${prefix}oidc/state/abc`).exec();
      const raw = kv.kvs[0]!;
      expect(raw.value.toString()).not.toContain('v'.repeat(43));
      expect(raw.value.toString()).not.toContain('corp');
      expect(Number(raw.lease)).toBeGreaterThan(0);
    });

    it('an agent with another region key cannot use the state', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      await new EtcdOidcStateStore({ client, prefix, box }).put('abc', login(Date.now() + 60_000));
      const other = new EtcdOidcStateStore({ client, prefix, box: new SecretBox(randomBytes(32)) });
      expect(await other.take('abc')).toEqual({ ok: false, reason: 'unknown' });
    });
  });
}
