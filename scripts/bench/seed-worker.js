// A worker of `seedStore` (scale.js): makes the LevelDB entries of its share
// of the seeded tokens with the state package's own record encoding (sealed
// secret, MAC, index entries, feed entry), as JSON text, one chunk per
// request from the main thread.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { repo, key, from, to, n, chunk, created, expires, feedHorizon, probeAt } = workerData;
const state = (m) => import(join(repo, 'packages/state/dist', m));
const { SecretBox } = await state('secret-box.js');
const L = await state('level-layout.js');
const { makeToken } = await state('object-shape.js');
const box = new SecretBox(Buffer.from(key, 'base64'));

let next = from;
parentPort.on('message', () => {
  const end = Math.min(to, next + chunk);
  const entries = [];
  let probe;
  for (let i = next; i < end; i++) {
    const index = i + 2;
    const t = makeToken({
      AccessorID: randomUUID(),
      SecretID: randomUUID(),
      Name: `seeded token ${i}`,
      Type: 'client',
      Policies: ['bench'],
      Global: i % 2 === 0,
      Hash: randomBytes(32).toString('base64'),
      CreateTime: created,
      ExpirationTime: i % 10 === 0 ? expires : null,
      ExpirationTTL: 0,
      CreateIndex: index,
      ModifyIndex: index,
    });
    if (i === probeAt) probe = t.SecretID;
    entries.push(L.tokenKey(t.AccessorID), JSON.stringify(L.sealToken(t, box)));
    for (const k of L.tokenIndexKeys(t)) entries.push(k, JSON.stringify(L.tokenIndexValue(k, t)));
    if (n - i <= feedHorizon) {
      entries.push(L.feedKey(index, 0), JSON.stringify({ index, table: 'acl_token', op: 'upsert', key: t.AccessorID, global: t.Global }));
    }
  }
  next = end;
  parentPort.postMessage({ entries, probe, done: next >= to });
});
