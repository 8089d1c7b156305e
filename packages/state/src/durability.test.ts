import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEY, openStore, tempDir } from '../test/helpers.js';
import { secretFor } from '../test/durability-secret.js';

const here = dirname(fileURLToPath(import.meta.url));
const viteNode = join(dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');
const child = join(here, '..', 'test', 'durability-child.ts');

describe('durability', () => {
  it(
    'keeps every acknowledged write, with its indexes and secret lookup, after the writer is killed with SIGKILL',
    async () => {
      const dir = await tempDir();
      const proc = spawn(process.execPath, [viteNode, child, dir, KEY.toString('hex')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));

      const created = new Map<string, number>();
      const lastUpdate = new Map<string, number>();
      let acks = 0;
      let killed = false;
      for await (const line of createInterface({ input: proc.stdout })) {
        const [kind, accessor, index] = line.split(' ');
        if (kind === 'CREATE') created.set(accessor!, Number(index));
        if (kind === 'UPDATE') lastUpdate.set(accessor!, Math.max(lastUpdate.get(accessor!) ?? 0, Number(index)));
        if (kind === 'CREATE' || kind === 'UPDATE') acks++;
        // Kill mid-stream, with writes still in flight.
        if (acks >= 400 && !killed) {
          killed = true;
          proc.kill('SIGKILL');
        }
      }
      expect(await exited, stderr).toBe('SIGKILL');
      expect(created.size).toBeGreaterThan(100);
      expect(lastUpdate.size).toBeGreaterThan(10);

      const store = await openStore(dir);
      const maxAcked = Math.max(...created.values(), ...lastUpdate.values());
      expect(store.index()).toBeGreaterThanOrEqual(maxAcked);
      for (const [accessor, createIndex] of created) {
        const t = store.tokenByAccessor(accessor);
        expect(t, accessor).toBeDefined();
        expect(t!.CreateIndex).toBe(createIndex);
        expect(t!.ModifyIndex).toBeGreaterThanOrEqual(lastUpdate.get(accessor) ?? createIndex);
        expect(t!.ModifyIndex).toBeLessThanOrEqual(store.index());
        expect(store.tokenBySecret(secretFor(accessor))).toBe(t);
      }
      // Indexes never go back: the next write lands after everything acknowledged.
      const { index } = await store.apply({ type: 'policy-delete', names: ['x'] });
      expect(index).toBe(store.index());
      expect(index).toBeGreaterThan(maxAcked);
    },
    60_000,
  );
});
