/**
 * The conformance suite every `RegionLog` backend runs (STYLE.md habit 10):
 * the embedded LevelDB log in `packages/state/src/embedded-region-log.test.ts`,
 * the etcd log in `packages/server/src/ha/etcd-region-log.test.ts`. Import it
 * from `@tollgate/testkit/region-log` (it registers vitest suites, so it is
 * kept out of the package's main entry).
 *
 * Backends differ in their index values (the embedded log counts 1, 2, 3…;
 * etcd uses its revisions, with gaps), so the suite asserts relations —
 * "the index the write returned is the object's CreateIndex", "indexes only
 * grow" — never absolute numbers.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ACLPolicy, ACLToken, RegionLog, StateStore } from '@tollgate/state';
import { clientTokenFixture } from './token-fixture.js';

/** One region-log instance over its own state store (one agent). */
export interface RegionLogHarness {
  readonly log: RegionLog;
  readonly store: StateStore;
  /** Closes the log and the store and removes whatever it created. */
  close(): Promise<void>;
}

/** How the suite gets instances of the backend under test. */
export interface RegionLogFactory {
  /** A fresh, empty region with one agent, able to make leader-only writes. */
  create(): Promise<RegionLogHarness>;
  /**
   * Another agent of the same region as `first` (HA backends only). The
   * peer tests are skipped when this is absent.
   */
  peer?(first: RegionLogHarness): Promise<RegionLogHarness>;
}

/** A client token with fresh IDs; override any field. */
export function suiteToken(overrides: Partial<ACLToken> = {}): ACLToken {
  return clientTokenFixture(['readonly'], { Name: 'suite token', ...overrides });
}

function suitePolicy(name: string, overrides: Partial<ACLPolicy> = {}): ACLPolicy {
  return { Name: name, Description: '', Rules: 'node { policy = "read" }', Hash: `h-${name}`, CreateIndex: 0, ModifyIndex: 0, ...overrides };
}

const noReplication = { upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] };

/** Waits until `h` has applied every write acknowledged anywhere in its region. */
async function caughtUp(h: RegionLogHarness): Promise<void> {
  const target = await h.log.readIndex();
  const reached = await h.store.waitForIndex(target, AbortSignal.timeout(10_000));
  expect(reached).toBeGreaterThanOrEqual(target);
}

/** Registers the conformance tests for one backend. */
export function describeRegionLog(name: string, factory: RegionLogFactory): void {
  describe(`RegionLog conformance: ${name}`, () => {
    let h: RegionLogHarness;
    const peers: RegionLogHarness[] = [];

    beforeEach(async () => {
      h = await factory.create();
    });
    afterEach(async () => {
      for (const p of peers.splice(0)) await p.close();
      await h.close();
    });

    const peer = async (): Promise<RegionLogHarness> => {
      const p = await factory.peer!(h);
      peers.push(p);
      return p;
    };

    it('commits a new token at a fresh index that becomes its CreateIndex and ModifyIndex, visible on return', async () => {
      expect(h.log.status).toBe('open');
      const t = suiteToken();
      const { index } = await h.log.apply({ type: 'token-upsert', tokens: [t] });
      expect(index).toBeGreaterThan(0);
      const stored = h.store.tokenBySecret(t.SecretID);
      expect(stored).toMatchObject({ AccessorID: t.AccessorID, CreateIndex: index, ModifyIndex: index });
      expect(h.store.index()).toBeGreaterThanOrEqual(index);
      expect(h.store.tableIndex('acl_token')).toBe(index);
    });

    it('gives every write a strictly greater index than the one before', async () => {
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) seen.push((await h.log.apply({ type: 'token-upsert', tokens: [suiteToken()] })).index);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    });

    it('keeps SecretID, CreateTime and CreateIndex when a token is updated and replaces the rest', async () => {
      const t = suiteToken();
      const created = await h.log.apply({ type: 'token-upsert', tokens: [t] });
      const updated = await h.log.apply({
        type: 'token-upsert',
        tokens: [{ ...t, SecretID: randomUUID(), CreateTime: '2030-01-01T00:00:00Z', Name: 'renamed', Policies: ['a', 'b'] }],
      });
      expect(updated.index).toBeGreaterThan(created.index);
      expect(h.store.tokenByAccessor(t.AccessorID)).toMatchObject({
        SecretID: t.SecretID,
        CreateTime: t.CreateTime,
        CreateIndex: created.index,
        ModifyIndex: updated.index,
        Name: 'renamed',
        Policies: ['a', 'b'],
      });
    });

    it('refuses a new token whose SecretID is in use with TOLLGATE_CONFLICT, naming only the accessor', async () => {
      const first = suiteToken();
      await h.log.apply({ type: 'token-upsert', tokens: [first] });
      const before = h.store.index();
      const dup = suiteToken({ SecretID: first.SecretID });
      const err = await h.log.apply({ type: 'token-upsert', tokens: [dup] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TOLLGATE_CONFLICT' });
      expect((err as Error).message).toContain(first.AccessorID);
      expect((err as Error).message).not.toContain(first.SecretID);
      expect(h.store.tokenByAccessor(dup.AccessorID)).toBeUndefined();
      await caughtUp(h);
      expect(h.store.index()).toBe(before);
    });

    it("refuses to delete tokens that do not exist with Nomad's message and changes nothing", async () => {
      const kept = suiteToken();
      await h.log.apply({ type: 'token-upsert', tokens: [kept] });
      const missing = randomUUID();
      const err = await h.log
        .apply({ type: 'token-delete', accessors: [kept.AccessorID, missing] })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TOLLGATE_NOT_FOUND', message: `Cannot delete nonexistent tokens: ${missing}` });
      expect(h.store.tokenByAccessor(kept.AccessorID)).toBeDefined();
    });

    it('deletes a token so that its secret no longer resolves', async () => {
      const t = suiteToken();
      await h.log.apply({ type: 'token-upsert', tokens: [t] });
      const { index } = await h.log.apply({ type: 'token-delete', accessors: [t.AccessorID] });
      expect(h.store.tokenBySecret(t.SecretID)).toBeUndefined();
      expect(h.store.tokenByAccessor(t.AccessorID)).toBeUndefined();
      expect(h.store.tableIndex('acl_token')).toBe(index);
    });

    it('bootstraps once, refuses a second time with the reset index, and allows one reset with the matching index', async () => {
      const boot = suiteToken({ Type: 'management', Policies: null, Global: true });
      const first = await h.log.apply({ type: 'bootstrap', token: boot, resetIndex: undefined });
      expect(h.store.bootstrapIndex()).toBe(first.index);
      expect(h.store.tokenBySecret(boot.SecretID)?.CreateIndex).toBe(first.index);

      const again = await h.log
        .apply({ type: 'bootstrap', token: suiteToken({ Type: 'management', Policies: null }), resetIndex: undefined })
        .catch((e: unknown) => e);
      expect(again).toMatchObject({ code: 'TOLLGATE_BOOTSTRAP', message: `ACL bootstrap already done (reset index: ${first.index})` });

      const wrong = await h.log
        .apply({ type: 'bootstrap', token: suiteToken({ Type: 'management', Policies: null }), resetIndex: first.index + 1000 })
        .catch((e: unknown) => e);
      expect(wrong).toMatchObject({
        code: 'TOLLGATE_BOOTSTRAP',
        message: `Invalid bootstrap reset index (specified ${first.index + 1000}, reset index: ${first.index})`,
      });

      const reset = await h.log.apply({
        type: 'bootstrap',
        token: suiteToken({ Type: 'management', Policies: null }),
        resetIndex: first.index,
      });
      expect(reset.index).toBeGreaterThan(first.index);
      expect(h.store.bootstrapIndex()).toBe(reset.index);
      // The earlier management token survives a reset.
      expect(h.store.tokenBySecret(boot.SecretID)).toBeDefined();
    });

    it('lets exactly one of several concurrent bootstraps win', async () => {
      const tokens = Array.from({ length: 6 }, () => suiteToken({ Type: 'management', Policies: null, Global: true }));
      const results = await Promise.allSettled(
        tokens.map((token) => h.log.apply({ type: 'bootstrap', token, resetIndex: undefined })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'TOLLGATE_BOOTSTRAP' });
      }
      expect(tokens.filter((t) => h.store.tokenBySecret(t.SecretID) !== undefined)).toHaveLength(1);
    });

    it('keeps a policy CreateIndex across updates and moves the policy table index on a no-op delete', async () => {
      const created = await h.log.apply({ type: 'policy-upsert', policies: [suitePolicy('ops')] });
      const updated = await h.log.apply({ type: 'policy-upsert', policies: [suitePolicy('ops', { Description: 'v2', Hash: 'h2' })] });
      expect(h.store.policy('ops')).toMatchObject({ Description: 'v2', CreateIndex: created.index, ModifyIndex: updated.index });
      const noop = await h.log.apply({ type: 'policy-delete', names: ['never-existed'] });
      expect(noop.index).toBeGreaterThan(updated.index);
      expect(h.store.tableIndex('acl_policy')).toBe(noop.index);
      const deleted = await h.log.apply({ type: 'policy-delete', names: ['ops'] });
      expect(h.store.policy('ops')).toBeUndefined();
      expect(h.store.tableIndex('acl_policy')).toBe(deleted.index);
    });

    it('commits concurrent creates each at its own index, every one visible when its write resolves', async () => {
      const tokens = Array.from({ length: 40 }, () => suiteToken());
      const results = await Promise.all(
        tokens.map(async (t) => {
          const r = await h.log.apply({ type: 'token-upsert', tokens: [t] });
          // Read-your-writes: visible the moment the write resolves.
          expect(h.store.tokenBySecret(t.SecretID)?.ModifyIndex).toBe(r.index);
          return r.index;
        }),
      );
      expect(new Set(results).size).toBe(tokens.length);
    });

    it('applies a replicated batch with its cursor, leaves local tokens alone, and resets globals on reset', async () => {
      const local = suiteToken();
      await h.log.apply({ type: 'token-upsert', tokens: [local] });
      const g1 = suiteToken({ Global: true, ModifyIndex: 40 });
      const g2 = suiteToken({ Global: true, ModifyIndex: 41 });
      const r1 = await h.log.applyReplicated({ ...noReplication, sourceIndex: 41, upsertTokens: [g1, g2] });
      expect(h.store.replicationCursor()).toBe(41);
      expect(h.store.tokenBySecret(g1.SecretID)).toMatchObject({ Global: true, SourceIndex: 40, ModifyIndex: r1.index });
      await h.log.applyReplicated({ ...noReplication, sourceIndex: 50, upsertTokens: [g2], reset: true });
      expect(h.store.tokenByAccessor(g1.AccessorID)).toBeUndefined();
      expect(h.store.tokenByAccessor(g2.AccessorID)).toBeDefined();
      expect(h.store.tokenByAccessor(local.AccessorID)).toBeDefined();
      expect(h.store.replicationCursor()).toBe(50);
    });

    it('reports a read index at or above every acknowledged write', async () => {
      const { index } = await h.log.apply({ type: 'token-upsert', tokens: [suiteToken()] });
      expect(await h.log.readIndex()).toBeGreaterThanOrEqual(index);
    });

    it('refuses a non-object mutation with InvalidArgumentError and an unknown type naming the field', async () => {
      await expect(h.log.apply(null as never)).rejects.toMatchObject({ code: 'TOLLGATE_INVALID_ARGUMENT' });
      await expect(h.log.apply({ type: 'nope' } as never)).rejects.toMatchObject({
        code: 'TOLLGATE_INVALID_ARGUMENT',
        message: expect.stringContaining('mutation.type'),
      });
    });

    it('refuses writes with TOLLGATE_REGION_LOG_CLOSED after close, and close is idempotent', async () => {
      await h.log.close();
      await h.log.close();
      expect(h.log.status).toBe('closed');
      await expect(h.log.apply({ type: 'token-upsert', tokens: [suiteToken()] })).rejects.toMatchObject({
        code: 'TOLLGATE_REGION_LOG_CLOSED',
      });
      await expect(h.log.applyReplicated({ ...noReplication, sourceIndex: 1 })).rejects.toMatchObject({
        code: 'TOLLGATE_REGION_LOG_CLOSED',
      });
    });

    describe.skipIf(factory.peer === undefined)('with two agents in the region', () => {
      it("shows a write made through one agent on the other, with the same indexes", async () => {
        const other = await peer();
        const t = suiteToken();
        const { index } = await h.log.apply({ type: 'token-upsert', tokens: [t] });
        await caughtUp(other);
        expect(other.store.tokenBySecret(t.SecretID)).toMatchObject({ CreateIndex: index, ModifyIndex: index });
        const back = suiteToken();
        const r2 = await other.log.apply({ type: 'token-upsert', tokens: [back] });
        await caughtUp(h);
        expect(h.store.tokenByAccessor(back.AccessorID)?.ModifyIndex).toBe(r2.index);
      });

      it('lets exactly one of two agents racing to bootstrap win', async () => {
        const other = await peer();
        const a = suiteToken({ Type: 'management', Policies: null, Global: true });
        const b = suiteToken({ Type: 'management', Policies: null, Global: true });
        const results = await Promise.allSettled([
          h.log.apply({ type: 'bootstrap', token: a, resetIndex: undefined }),
          other.log.apply({ type: 'bootstrap', token: b, resetIndex: undefined }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        await caughtUp(h);
        await caughtUp(other);
        for (const s of [h.store, other.store]) {
          const management = s.listTokens().filter((t) => t.Type === 'management');
          expect(management).toHaveLength(1);
        }
      });

      it('refuses on one agent a SecretID just taken through the other', async () => {
        const other = await peer();
        const first = suiteToken();
        await h.log.apply({ type: 'token-upsert', tokens: [first] });
        // No catch-up first: the other agent may not have seen the token yet.
        const err = await other.log
          .apply({ type: 'token-upsert', tokens: [suiteToken({ SecretID: first.SecretID })] })
          .catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'TOLLGATE_CONFLICT' });
      });
    });
  });
}
