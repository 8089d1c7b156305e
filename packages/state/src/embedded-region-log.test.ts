import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddedRegionLog, StateStore } from './index.js';
import { describeRegionLog, suiteToken } from '@tollgate/testkit/region-log';

async function harness(): Promise<{ log: EmbeddedRegionLog; store: StateStore; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-embedded-log-'));
  const store = await StateStore.open({ path: dir, secretKey: randomBytes(32) });
  const log = new EmbeddedRegionLog(store);
  return {
    log,
    store,
    async close() {
      await log.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeRegionLog('embedded (LevelDB)', { create: harness });

describe('EmbeddedRegionLog', () => {
  it('numbers writes 1, 2, 3 like the store it wraps, and its read index is the store index', async () => {
    const h = await harness();
    try {
      expect((await h.log.apply({ type: 'token-upsert', tokens: [suiteToken()] })).index).toBe(1);
      expect((await h.log.apply({ type: 'token-upsert', tokens: [suiteToken()] })).index).toBe(2);
      expect(await h.log.readIndex()).toBe(2);
    } finally {
      await h.close();
    }
  });

  it('does not close the store it wraps', async () => {
    const h = await harness();
    try {
      await h.log.close();
      expect(h.store.status).toBe('open');
      await expect(h.log.readIndex()).rejects.toMatchObject({ code: 'TOLLGATE_REGION_LOG_CLOSED' });
    } finally {
      await h.close();
    }
  });
});
