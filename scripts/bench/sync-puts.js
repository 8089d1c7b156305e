// The baseline for the durable-create benchmark: sequential single LevelDB
// puts with { sync: true }, i.e. one fsync per write, in one process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Level } from 'level';

const seconds = Number(process.argv[2] ?? 5);
const dir = await mkdtemp(join(tmpdir(), 'tollgate-bench-puts-'));
const db = new Level(dir, { valueEncoding: 'json' });
await db.open();
const value = { AccessorID: randomUUID(), Name: 'bench', Type: 'client', Policies: ['bench'], Global: false };
let n = 0;
const end = Date.now() + seconds * 1000;
while (Date.now() < end) {
  await db.put(`tok!${randomUUID()}`, value, { sync: true });
  n++;
}
await db.close();
await rm(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ puts: n, perSecond: n / seconds }) + '\n');
