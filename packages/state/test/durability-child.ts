/**
 * Child process of the durability test (run through vite-node so it can use
 * the TypeScript sources). Opens the store at argv[2] with the hex key in
 * argv[3] and writes forever with 16 writes in flight: new tokens, and
 * updates of tokens created earlier. Every acknowledged write is printed as
 * one line, before the next write is issued by that slot:
 *
 *   CREATE <accessor> <index>
 *   UPDATE <accessor> <index>
 *
 * SecretIDs are derived from the accessor (`secretFor`) so they need not be
 * printed. The parent kills this process with SIGKILL mid-stream.
 */
import { randomUUID } from 'node:crypto';
import { EmbeddedRegionLog, StateStore } from '../src/index.js';
import { secretFor } from './durability-secret.js';

const [dir, keyHex] = process.argv.slice(2);
const store = await StateStore.open({ path: dir!, secretKey: Buffer.from(keyHex!, 'hex') });
const log = new EmbeddedRegionLog(store);
const created: string[] = [];

async function slot(n: number): Promise<never> {
  for (let i = 0; ; i++) {
    if (i % 4 === 3 && created.length > 0) {
      const accessor = created[(n * 7 + i) % created.length]!;
      const current = store.tokenByAccessor(accessor)!;
      const { index } = await log.apply({ type: 'token-upsert', tokens: [{ ...current, Name: `update ${i}` }] });
      process.stdout.write(`UPDATE ${accessor} ${index}\n`);
    } else {
      const accessor = randomUUID();
      const { index } = await log.apply({
        type: 'token-upsert',
        tokens: [
          {
            AccessorID: accessor,
            SecretID: secretFor(accessor),
            Name: `slot ${n}`,
            Type: 'client',
            Policies: ['p'],
            Global: n % 2 === 0,
            Hash: 'h',
            CreateTime: new Date().toISOString(),
            ExpirationTime: null,
            ExpirationTTL: 0,
            CreateIndex: 0,
            ModifyIndex: 0,
          },
        ],
      });
      created.push(accessor);
      process.stdout.write(`CREATE ${accessor} ${index}\n`);
    }
  }
}

process.stdout.write('READY\n');
await Promise.all(Array.from({ length: 16 }, (_, n) => slot(n)));
