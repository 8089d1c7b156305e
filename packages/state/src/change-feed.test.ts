import { describe, expect, it, vi } from 'vitest';
import { FeedHorizonError } from './index.js';
import type { Change } from './index.js';
import { freshStore, openStore, policy, tempDir, token } from '../test/helpers.js';

describe('change feed', () => {
  it('records every committed change in index order, tombstones and global flag included', async () => {
    const { store } = await freshStore();
    const local = token();
    const global = token({ Global: true });
    await store.apply({ type: 'token-upsert', tokens: [local, global] });
    await store.apply({ type: 'policy-upsert', policies: [policy('ops')] });
    await store.apply({ type: 'token-delete', accessors: [global.AccessorID] });
    await store.apply({ type: 'policy-delete', names: ['ops'] });
    expect(store.changesSince(0)).toEqual<Change[]>([
      { index: 1, table: 'acl_token', op: 'upsert', key: local.AccessorID, global: false },
      { index: 1, table: 'acl_token', op: 'upsert', key: global.AccessorID, global: true },
      { index: 2, table: 'acl_policy', op: 'upsert', key: 'ops', global: true },
      { index: 3, table: 'acl_token', op: 'delete', key: global.AccessorID, global: true },
      { index: 4, table: 'acl_policy', op: 'delete', key: 'ops', global: true },
    ]);
    expect(store.changesSince(3).map((c) => c.index)).toEqual([4]);
    expect(store.changesSince(4)).toEqual([]);
    expect(store.changesSince(99)).toEqual([]);
  });

  it('filters to global changes and never ends an answer in the middle of an index', async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'token-upsert', tokens: [token(), token({ Global: true }), token({ Global: true })] });
    await store.apply({ type: 'token-upsert', tokens: [token()] });
    await store.apply({ type: 'policy-upsert', policies: [policy('a'), policy('b')] });
    expect(store.changesSince(0, { globalOnly: true }).map((c) => c.index)).toEqual([1, 1, 3, 3]);
    expect(store.changesSince(0, { limit: 1 }).map((c) => c.index)).toEqual([1, 1, 1]);
    expect(store.changesSince(1, { limit: 1 }).map((c) => c.index)).toEqual([2]);
    expect(store.changesSince(1, { limit: 2, globalOnly: true }).map((c) => c.key)).toEqual(['a', 'b']);
    expect(() => store.changesSince(-1)).toThrow(TypeError);
    expect(() => store.changesSince(0, { limit: 0 })).toThrow(/limit/);
  });

  it('prunes beyond the horizon in the background and then refuses cursors older than the kept feed', async () => {
    const pruned: number[] = [];
    const dir = await tempDir();
    const store = await openStore(dir, { changeFeedHorizon: 10, metrics: { observePrune: (n) => pruned.push(n) } });
    for (let i = 0; i < 30; i++) await store.apply({ type: 'token-upsert', tokens: [token()] });
    const floorOf = (s: typeof store): number => {
      try {
        s.changesSince(0);
        return 0;
      } catch (e) {
        expect(e).toBeInstanceOf(FeedHorizonError);
        expect(e).toMatchObject({ code: 'TOLLGATE_FEED_HORIZON', afterIndex: 0 });
        return (e as FeedHorizonError).floorIndex;
      }
    };
    // Pruning is background work: wait until it has cut the feed to within
    // horizon + slack (10 + 1 entries). Closing stops further pruning.
    await vi.waitFor(() => expect(30 - floorOf(store)).toBeLessThanOrEqual(11));
    // The horizon is honoured: at least the 10 newest changes are kept.
    expect(store.changesSince(20).map((c) => c.index)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    await store.close(); // waits for a prune step in flight

    const again = await openStore(dir); // default horizon: no further pruning
    const floor = floorOf(again);
    // Pruned down to the horizon, give or take the 1-entry slack.
    expect([19, 20]).toContain(floor);
    expect(pruned.reduce((a, b) => a + b, 0)).toBe(floor);
    // afterIndex = floor is fine: nothing after it was pruned; one less is not.
    expect(again.changesSince(floor).map((c) => c.index)).toEqual(
      Array.from({ length: 30 - floor }, (_, i) => floor + 1 + i),
    );
    expect(() => again.changesSince(floor - 1)).toThrow(FeedHorizonError);
  });

  it('calls onCommit listeners after a commit is visible, survives a throwing one, and stops after unsubscribe', async () => {
    const errors: string[] = [];
    const { store } = await freshStore({
      logger: { debug() {}, info() {}, warn() {}, error: (_o, msg) => errors.push(msg ?? '') },
    });
    const seen: Array<{ changes: readonly Change[]; index: number; visible: boolean }> = [];
    const t = token();
    store.onCommit(() => {
      throw new Error('listener bug');
    });
    const off = store.onCommit((changes, index) =>
      seen.push({ changes, index, visible: store.tokenByAccessor(t.AccessorID) !== undefined }),
    );
    await store.apply({ type: 'token-upsert', tokens: [t] });
    await store.apply({ type: 'policy-delete', names: ['none'] });
    off();
    await store.apply({ type: 'policy-upsert', policies: [policy('after')] });
    expect(seen).toEqual([
      { changes: [{ index: 1, table: 'acl_token', op: 'upsert', key: t.AccessorID, global: false }], index: 1, visible: true },
      { changes: [], index: 2, visible: true },
    ]);
    expect(errors).toEqual(['onCommit listener threw', 'onCommit listener threw', 'onCommit listener threw']);
  });
});
