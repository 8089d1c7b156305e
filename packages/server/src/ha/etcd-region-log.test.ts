import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StateStore } from '@tollgate/state';
import type { Etcd3 } from 'etcd3';
import { describeRegionLog, suiteToken } from '@tollgate/testkit/region-log';
import { etcdSkipReason, startEtcd } from '@tollgate/testkit';
import type { EtcdProcess } from '@tollgate/testkit';
import { createEtcdClient } from './etcd-client.js';
import { EtcdLayout } from './etcd-layout.js';
import { EtcdRegionLog, type EtcdRegionLogOptions } from './etcd-region-log.js';
import { LeaderElection, type LeaderFence } from './leader-election.js';

const KEY = randomBytes(32);
const silent = pino({ level: process.env.HA_TEST_LOG ?? 'silent' });
const empty = { upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] };

interface Agent {
  readonly log: EtcdRegionLog;
  readonly store: StateStore;
  readonly client: Etcd3;
  readonly election: LeaderElection;
  readonly dir: string;
  readonly relists: number[];
  close(opts?: { keepDir?: boolean }): Promise<void>;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One HA agent's region log on `etcd` under `prefix`, with its own store and election. */
async function agent(
  etcd: EtcdProcess,
  prefix: string,
  opts: { dir?: string; key?: Buffer; lead?: boolean; fence?: () => LeaderFence | undefined; extra?: Partial<EtcdRegionLogOptions> } = {},
): Promise<Agent> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'tollgate-ha-log-')));
  const store = await StateStore.open({ path: dir, secretKey: KEY });
  const client = createEtcdClient({ endpoints: [etcd.endpoint] });
  const election = new LeaderElection({
    client,
    layout: new EtcdLayout(prefix),
    candidate: { id: randomUUID(), http: 'http://127.0.0.1:0' },
    log: silent,
    ttlSeconds: 2,
  });
  const relists: number[] = [];
  let log: EtcdRegionLog;
  try {
    log = await EtcdRegionLog.open({
      client,
      prefix,
      store,
      secretKey: opts.key ?? KEY,
      agentId: randomUUID(),
      log: silent,
      fence: opts.fence ?? (() => election.fence()),
      observer: { relist: () => relists.push(store.index()) },
      ...opts.extra,
    });
  } catch (err) {
    client.close();
    await store.close();
    throw err;
  }
  election.start();
  if (opts.lead === true) await until(() => election.state.isLeader);
  return {
    log,
    store,
    client,
    election,
    dir,
    relists,
    async close({ keepDir = false } = {}) {
      await election.close();
      await log.close();
      await store.close();
      client.close();
      if (!keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

const SKIP = etcdSkipReason('EtcdRegionLog');

if (SKIP !== undefined) {
  describe.skip(`EtcdRegionLog: ${SKIP}`, () => {
    it('needs /usr/bin/etcd', () => undefined);
  });
} else {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    // Room for a 1,000-token tree revocation in one transaction (2 ops per token).
    etcd = await startEtcd({ maxTxnOps: 4096 });
  }, 30_000);
  afterAll(async () => {
    await etcd?.close();
  });

  describeRegionLog('etcd', {
    async create() {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix, { lead: true });
      return Object.assign(a, { prefix });
    },
    async peer(first) {
      return agent(etcd, (first as unknown as { prefix: string }).prefix);
    },
  });

  describe('EtcdRegionLog', () => {
    it("uses etcd revisions as indexes: a token's CreateIndex and ModifyIndex are its key's revisions", async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix);
      try {
        const t = suiteToken();
        const { index } = await a.log.apply({ type: 'token-upsert', tokens: [t] });
        const kv = (await a.client.get(`${prefix}data/t/${t.AccessorID}`).exec()).kvs[0]!;
        expect(Number(kv.create_revision)).toBe(index);
        expect(Number(kv.mod_revision)).toBe(index);
        // The SecretID is sealed before it goes to etcd.
        expect(kv.value.toString()).not.toContain(t.SecretID);
        expect(JSON.parse(kv.value.toString())).toMatchObject({ AccessorID: t.AccessorID, SealedSecretID: expect.stringMatching(/^v1\./) });
      } finally {
        await a.close();
      }
    });

    it('stores roles in etcd: another agent follows them, a fresh agent lists them, names stay unique across racing agents', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix);
      const b = await agent(etcd, prefix);
      const role = (name: string) => ({ ID: randomUUID(), Name: name, Description: '', Policies: [{ Name: 'p' }], Hash: 'h', CreateIndex: 0, ModifyIndex: 0 });
      const synced = async (x: Agent): Promise<void> => {
        await x.store.waitForIndex(await x.log.readIndex(), AbortSignal.timeout(5000));
      };
      try {
        await a.log.apply({ type: 'policy-upsert', policies: [{ Name: 'p', Description: '', Rules: '', Hash: 'h', CreateIndex: 0, ModifyIndex: 0 }] });
        const r = role('deployers');
        const { index } = await a.log.apply({ type: 'role-upsert', roles: [r], mode: 'create' });
        const kv = (await a.client.get(`${prefix}data/r/${r.ID}`).exec()).kvs[0]!;
        expect(Number(kv.create_revision)).toBe(index);
        expect((await a.client.get(`${prefix}data/rn/deployers`).string())).toBe(r.ID);
        await synced(b);
        expect(b.store.roleByName('deployers')).toMatchObject({ ID: r.ID, CreateIndex: index, ModifyIndex: index });

        // Two agents create the same name at once: etcd's compare on the name key lets one win.
        await synced(a);
        const results = await Promise.allSettled([
          a.log.apply({ type: 'role-upsert', roles: [role('twice')], mode: 'create' }),
          b.log.apply({ type: 'role-upsert', roles: [role('twice')], mode: 'create' }),
        ]);
        expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
        await synced(a);
        await synced(b);
        expect(a.store.listRoles().filter((x) => x.Name === 'twice')).toHaveLength(1);
        expect(b.store.listRoles().filter((x) => x.Name === 'twice')).toHaveLength(1);

        // A rename frees the old name for the other agent; a delete goes everywhere.
        await a.log.apply({ type: 'role-upsert', roles: [{ ...r, Name: 'shippers' }], mode: 'update' });
        await synced(b);
        const reuse = role('deployers');
        await b.log.apply({ type: 'role-upsert', roles: [reuse], mode: 'create' });
        await b.log.apply({ type: 'role-delete', ids: [r.ID] });
        await synced(a);
        expect(a.store.role(r.ID)).toBeUndefined();
        expect(a.store.roleByName('deployers')?.ID).toBe(reuse.ID);
        expect(await a.client.get(`${prefix}data/rn/shippers`).string()).toBeNull();

        // A fresh agent lists the region: the roles come from the snapshot, the name keys are not objects.
        const c = await agent(etcd, prefix);
        try {
          await synced(c);
          expect(c.store.listRoles().map((x) => x.Name).sort()).toEqual(['deployers', 'twice']);
          expect(c.store.tableIndex('acl_role')).toBe(a.store.tableIndex('acl_role'));
        } finally {
          await c.close();
        }
      } finally {
        await b.close();
        await a.close();
      }
    });

    it('stores auth methods (client secret sealed) and binding rules in etcd, followed by other agents; one default per type across racing agents', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix);
      const b = await agent(etcd, prefix);
      const secret = `secret-${randomUUID()}`;
      const method = (name: string, Default = false) => ({
        Name: name,
        Type: 'OIDC',
        TokenLocality: 'global',
        MaxTokenTTL: 60_000_000_000,
        TokenNameFormat: '',
        DisplayName: '',
        Default,
        Config: { OIDCDiscoveryURL: 'https://idp.example', OIDCClientID: 'c', OIDCClientSecret: secret } as never,
        Hash: 'h',
        CreateTime: '2026-01-01T00:00:00Z',
        ModifyTime: '2026-01-01T00:00:00Z',
        CreateIndex: 0,
        ModifyIndex: 0,
      });
      const synced = async (x: Agent): Promise<void> => {
        await x.store.waitForIndex(await x.log.readIndex(), AbortSignal.timeout(5000));
      };
      try {
        const { index } = await a.log.apply({ type: 'auth-method-upsert', methods: [method('sso')], mode: 'create' });
        const kv = (await a.client.get(`${prefix}data/a/sso`).exec()).kvs[0]!;
        expect(Number(kv.create_revision)).toBe(index);
        expect(kv.value.toString()).not.toContain(secret);
        expect(JSON.parse(kv.value.toString())).toMatchObject({ SealedOIDCClientSecret: expect.stringMatching(/^v1\./), Mac: expect.any(String) });
        const rule = { ID: randomUUID(), Description: '', AuthMethod: 'sso', Selector: '', BindType: 'management', BindName: '', Hash: 'h', CreateTime: '', ModifyTime: '', CreateIndex: 0, ModifyIndex: 0 };
        await a.log.apply({ type: 'binding-rule-upsert', rules: [rule], mode: 'create' });
        await synced(b);
        expect(b.store.authMethod('sso')?.Config.OIDCClientSecret).toBe(secret);
        expect(b.store.bindingRule(rule.ID)).toMatchObject({ AuthMethod: 'sso' });

        // Two agents make two different methods of one type the default at once: one wins.
        await synced(a);
        const results = await Promise.allSettled([
          a.log.apply({ type: 'auth-method-upsert', methods: [method('one', true)], mode: 'create' }),
          b.log.apply({ type: 'auth-method-upsert', methods: [method('two', true)], mode: 'create' }),
        ]);
        expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
        await synced(a);
        expect(a.store.listAuthMethods().filter((m) => m.Default)).toHaveLength(1);

        // A fresh agent lists the region.
        const c = await agent(etcd, prefix);
        try {
          await synced(c);
          expect(c.store.authMethod('sso')?.Config.OIDCClientSecret).toBe(secret);
          expect(c.store.listBindingRules().map((r) => r.ID)).toEqual([rule.ID]);
        } finally {
          await c.close();
        }
      } finally {
        await b.close();
        await a.close();
      }
    });

    it('refuses a leader-only write from an agent that does not lead, and one whose fence went stale in etcd', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const leader = await agent(etcd, prefix, { lead: true });
      const stale: LeaderFence = leader.election.fence()!;
      const follower = await agent(etcd, prefix);
      try {
        await expect(follower.log.applyReplicated({ ...empty, sourceIndex: 1 })).rejects.toMatchObject({ code: 'TOLLGATE_NOT_LEADER' });
        await expect(
          follower.log.apply({ type: 'token-delete', accessors: ['x'] }, { leaderOnly: true }),
        ).rejects.toMatchObject({ code: 'TOLLGATE_NOT_LEADER' });
        // The old leader resigns; a writer still holding its fence is refused by etcd itself.
        const deposed = await agent(etcd, prefix, { fence: () => stale });
        try {
          await leader.election.close();
          await expect(deposed.log.applyReplicated({ ...empty, sourceIndex: 9, upsertTokens: [suiteToken({ Global: true })] })).rejects.toMatchObject({
            code: 'TOLLGATE_NOT_LEADER',
            message: expect.stringContaining('lost the region leadership'),
          });
          expect(deposed.store.replicationCursor()).toBe(0);
          // The other agent takes over and its fenced writes go through.
          await until(() => follower.election.state.isLeader);
          await follower.log.applyReplicated({ ...empty, sourceIndex: 9 });
          expect(follower.store.replicationCursor()).toBe(9);
        } finally {
          await deposed.close();
        }
      } finally {
        await follower.close();
        await leader.close();
      }
    });

    it('splits a leader-only write too large for one transaction, keeping the cursor for the last part', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix, { lead: true });
      try {
        const tokens = Array.from({ length: 300 }, () => suiteToken({ Global: true, ModifyIndex: 5 }));
        const { index } = await a.log.applyReplicated({ ...empty, sourceIndex: 77, upsertTokens: tokens });
        expect(a.store.tokenCount()).toBe(300);
        expect(a.store.replicationCursor()).toBe(77);
        expect(a.store.index()).toBe(index);
        // A user write of that size is refused instead of being split.
        await expect(
          a.log.apply({ type: 'token-upsert', tokens: Array.from({ length: 100 }, () => suiteToken()) }),
        ).rejects.toMatchObject({ code: 'TOLLGATE_UNAVAILABLE', message: expect.stringContaining('too large for one etcd transaction') });
      } finally {
        await a.close();
      }
    });

    it('revokes a 1,000-descendant tree in one transaction when etcd.max_txn_ops allows it, and refuses it whole when not', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const small = await agent(etcd, prefix);
      const big = await agent(etcd, prefix, { extra: { maxTxnOps: 4096 } });
      try {
        const root = suiteToken();
        const tree = [root];
        // A tree of depth ~10: each token has up to 3 children.
        for (let i = 1; i <= 1000; i++) tree.push(suiteToken({ ParentAccessorID: tree[Math.floor((i - 1) / 3)]!.AccessorID }));
        for (let i = 0; i < tree.length; i += 40) await big.log.apply({ type: 'token-upsert', tokens: tree.slice(i, i + 40) });
        await until(() => small.store.tokenCount() === 1001);
        expect(small.store.tokenDescendants(root.AccessorID)).toHaveLength(1000);
        await expect(small.log.apply({ type: 'token-delete', accessors: [root.AccessorID] })).rejects.toMatchObject({
          code: 'TOLLGATE_UNAVAILABLE',
          message: expect.stringContaining('etcd.max_txn_ops'),
        });
        expect(small.store.tokenCount()).toBe(1001);
        const { index } = await big.log.apply({ type: 'token-delete', accessors: [root.AccessorID] });
        // One revision: the other agent sees the whole tree go at once.
        await until(() => small.store.index() >= index);
        expect(small.store.tokenCount()).toBe(0);
        const deletes = small.store.changesSince(index - 1).filter((c) => c.op === 'delete');
        expect(deletes).toHaveLength(1001);
        expect(new Set(deletes.map((c) => c.index))).toEqual(new Set([index]));
      } finally {
        await big.close();
        await small.close();
      }
    });

    it('resumes from its stored index after a restart without listing the region again', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const writer = await agent(etcd, prefix);
      const a = await agent(etcd, prefix);
      await until(() => a.relists.length === 1); // first start: a list
      const early = suiteToken();
      await writer.log.apply({ type: 'token-upsert', tokens: [early] });
      await a.store.waitForIndex(await a.log.readIndex(), AbortSignal.timeout(5000));
      await a.close({ keepDir: true });
      const late = suiteToken();
      await writer.log.apply({ type: 'token-upsert', tokens: [late] });
      await writer.log.apply({ type: 'token-delete', accessors: [early.AccessorID] });
      const again = await agent(etcd, prefix, { dir: a.dir });
      try {
        expect(again.relists).toHaveLength(0);
        expect(again.store.index()).toBe(await again.log.readIndex());
        expect(again.store.tokenBySecret(late.SecretID)).toBeDefined();
        expect(again.store.tokenByAccessor(early.AccessorID)).toBeUndefined();
      } finally {
        await again.close();
        await writer.close();
      }
    });

    it('lists the region again when etcd compacted the revisions a restarted agent needs', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const writer = await agent(etcd, prefix);
      const a = await agent(etcd, prefix);
      const gone = suiteToken();
      await writer.log.apply({ type: 'token-upsert', tokens: [gone] });
      await a.store.waitForIndex(await a.log.readIndex(), AbortSignal.timeout(5000));
      await a.close({ keepDir: true });
      const kept = suiteToken();
      await writer.log.apply({ type: 'token-upsert', tokens: [kept] });
      await writer.log.apply({ type: 'token-delete', accessors: [gone.AccessorID] });
      const { index } = await writer.log.apply({ type: 'policy-upsert', policies: [{ Name: 'p', Description: '', Rules: '', Hash: 'h', CreateIndex: 0, ModifyIndex: 0 }] });
      await writer.client.kv.compact({ revision: String(index), physical: true });
      const again = await agent(etcd, prefix, { dir: a.dir });
      try {
        await until(() => again.relists.length > 0 && again.store.index() >= index);
        expect(again.store.tokenByAccessor(gone.AccessorID)).toBeUndefined();
        expect(again.store.tokenBySecret(kept.SecretID)?.CreateIndex).toBe(writer.store.tokenByAccessor(kept.AccessorID)?.CreateIndex);
        expect(again.store.policy('p')?.ModifyIndex).toBe(index);
      } finally {
        await again.close();
        await writer.close();
      }
    });

    it('refuses to open for an agent whose acl.encryption_key differs from the region key', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix);
      try {
        await expect(agent(etcd, prefix, { key: randomBytes(32) })).rejects.toMatchObject({
          code: 'TOLLGATE_CONFIG_INVALID',
          message: expect.stringContaining('acl.encryption_key'),
        });
      } finally {
        await a.close();
      }
    });

    it("refuses a data dir ahead of the region's etcd (written by another cluster or an embedded agent)", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tollgate-ha-log-'));
      const other = await StateStore.open({ path: dir, secretKey: KEY });
      await other.applyCommitted([{ index: 10_000_000, ops: [], tables: [] }]);
      await other.close();
      try {
        await expect(agent(etcd, `/tollgate/t-${randomUUID()}/`, { dir })).rejects.toMatchObject({
          code: 'TOLLGATE_CONFIG_INVALID',
          message: expect.stringContaining('start the agent with an empty data dir'),
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('shares one etcd read among concurrent read-index calls', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix);
      try {
        const { index } = await a.log.apply({ type: 'token-upsert', tokens: [suiteToken()] });
        const get = vi.spyOn(a.client, 'get');
        const got = await Promise.all(Array.from({ length: 50 }, () => a.log.readIndex()));
        expect(got.every((i) => i === index)).toBe(true);
        // One read in flight plus at most one queued behind it (and maybe a probe).
        expect(get.mock.calls.length).toBeLessThanOrEqual(3);
      } finally {
        await a.close();
      }
    });
  });

  describe('EtcdRegionLog packing and pipelining', () => {
    it('packs concurrent creates into shared transactions: fewer revisions than writes, each token in etcd at the index its write got', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix);
      try {
        const tokens = Array.from({ length: 40 }, () => suiteToken());
        const txn = vi.spyOn(a.client, 'if');
        const indexes = await Promise.all(tokens.map(async (t) => (await a.log.apply({ type: 'token-upsert', tokens: [t], mode: 'create' })).index));
        expect(new Set(indexes).size).toBeLessThan(tokens.length);
        expect(txn.mock.calls.length).toBeLessThan(tokens.length);
        for (const [i, t] of tokens.entries()) {
          const kv = (await a.client.get(`${prefix}data/t/${t.AccessorID}`).exec()).kvs[0]!;
          expect(Number(kv.mod_revision)).toBe(indexes[i]);
          expect(a.store.tokenByAccessor(t.AccessorID)?.ModifyIndex).toBe(indexes[i]);
        }
      } finally {
        await a.close();
      }
    });

    it('pipelines packed transactions under conflict: of two creates with one SecretID exactly one wins, the losing pack\'s other writes are re-sent and commit', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      let conflicts = 0;
      const a = await agent(etcd, prefix, { extra: { observer: { conflict: () => conflicts++ } } });
      try {
        const secret = randomUUID();
        const dupA = suiteToken({ SecretID: secret });
        const dupB = suiteToken({ SecretID: secret });
        const others = Array.from({ length: 20 }, () => suiteToken());
        // Both duplicates are planned against the same state (neither is
        // applied yet): they go in two transactions sent back to back, and
        // etcd's compare on the secret-hash key refuses the second.
        const writes = [...others.slice(0, 10), dupA, ...others.slice(10, 15), dupB, ...others.slice(15)];
        const results = await Promise.allSettled(writes.map((t) => a.log.apply({ type: 'token-upsert', tokens: [t], mode: 'create' })));
        const dupResults = [results[10]!, results[16]!];
        expect(dupResults.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = dupResults.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toMatchObject({ code: 'TOLLGATE_CONFLICT' });
        expect(conflicts).toBeGreaterThanOrEqual(1);
        for (const [i, r] of results.entries()) {
          if (i === 10 || i === 16) continue;
          expect(r.status).toBe('fulfilled');
        }
        const winner = dupResults[0]!.status === 'fulfilled' ? dupA : dupB;
        const loser = winner === dupA ? dupB : dupA;
        expect(a.store.tokenBySecret(secret)?.AccessorID).toBe(winner.AccessorID);
        expect(a.store.tokenByAccessor(loser.AccessorID)).toBeUndefined();
        expect(await a.client.get(`${prefix}data/t/${loser.AccessorID}`).string()).toBeNull();
        for (const t of others) expect(a.store.tokenByAccessor(t.AccessorID)?.AccessorID).toBe(t.AccessorID);
      } finally {
        await a.close();
      }
    });

    it('refuses, across two agents writing at once, an update packed against a token the other agent deleted', async () => {
      const prefix = `/tollgate/t-${randomUUID()}/`;
      const a = await agent(etcd, prefix);
      const b = await agent(etcd, prefix);
      try {
        const t = suiteToken();
        await a.log.apply({ type: 'token-upsert', tokens: [t], mode: 'create' });
        await b.store.waitForIndex(await b.log.readIndex(), AbortSignal.timeout(5000));
        const fresh = Array.from({ length: 10 }, () => suiteToken());
        const [update, del, ...creates] = await Promise.allSettled([
          a.log.apply({ type: 'token-upsert', tokens: [{ ...t, Name: 'renamed' }], mode: 'update' }),
          b.log.apply({ type: 'token-delete', accessors: [t.AccessorID] }),
          ...fresh.map((x) => a.log.apply({ type: 'token-upsert', tokens: [x], mode: 'create' })),
        ]);
        expect(creates.every((r) => r.status === 'fulfilled')).toBe(true);
        // Either order is linearizable; what may not happen is both
        // succeeding with the token left in place, or the update lost.
        await a.store.waitForIndex(await a.log.readIndex(), AbortSignal.timeout(5000));
        if (update!.status === 'fulfilled' && del!.status === 'fulfilled') {
          expect(a.store.tokenByAccessor(t.AccessorID)).toBeUndefined();
          expect((update as PromiseFulfilledResult<{ index: number }>).value.index).toBeLessThan((del as PromiseFulfilledResult<{ index: number }>).value.index);
        } else {
          expect(update!.status).toBe('rejected');
          expect((update as PromiseRejectedResult).reason).toMatchObject({ code: 'TOLLGATE_NOT_FOUND' });
          expect(a.store.tokenByAccessor(t.AccessorID)).toBeUndefined();
        }
      } finally {
        await b.close();
        await a.close();
      }
    });
  });

  describe('EtcdRegionLog when etcd goes away', () => {
    it('refuses writes at once with a 503 naming etcd, keeps serving reads, and recovers when etcd returns', async () => {
      const own = await startEtcd();
      const prefix = '/tollgate/outage/';
      const a = await agent(own, prefix);
      try {
        const t = suiteToken();
        await a.log.apply({ type: 'token-upsert', tokens: [t] });
        await own.kill();
        await until(() => a.log.status === 'degraded', 10_000);
        expect(a.log.degradedReason).toMatch(/^etcd unreachable since /);
        // "At once": refused from what the agent already knows, without
        // sending etcd a transaction (which would wait for a timeout).
        const txn = vi.spyOn(a.client, 'if');
        await expect(a.log.apply({ type: 'token-upsert', tokens: [suiteToken()] })).rejects.toMatchObject({
          code: 'TOLLGATE_UNAVAILABLE',
          message: expect.stringContaining('etcd unreachable'),
        });
        expect(txn).not.toHaveBeenCalled();
        txn.mockRestore();
        // Reads come from the local state machine.
        expect(a.store.tokenBySecret(t.SecretID)?.AccessorID).toBe(t.AccessorID);

        await own.restart();
        await until(() => a.log.status === 'open', 15_000);
        const after = suiteToken();
        const { index } = await a.log.apply({ type: 'token-upsert', tokens: [after] });
        expect(a.store.tokenBySecret(after.SecretID)?.ModifyIndex).toBe(index);
      } finally {
        await a.close();
        await own.close();
      }
    }, 60_000);
  });
}
