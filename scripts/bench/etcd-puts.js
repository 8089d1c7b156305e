// Baseline for the HA write bench: etcd's own put rate from one etcd3
// client with C puts in flight, values the size of a stored token, for S
// seconds. Prints one JSON line: {"perSecond": …}.
// Usage: node scripts/bench/etcd-puts.js <endpoint> <seconds> <concurrency>
import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';

const [endpoint, seconds = '5', concurrency = '64'] = process.argv.slice(2);
const client = new Etcd3({ hosts: endpoint });
// About the size of an encoded token (sealed secret included).
const value = 'x'.repeat(420);
let done = 0;
const end = performance.now() + Number(seconds) * 1000;
const worker = async () => {
  while (performance.now() < end) {
    await client.put(`/bench/puts/${randomUUID()}`).value(value);
    done++;
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
console.log(JSON.stringify({ perSecond: done / ((performance.now() - started) / 1000), puts: done }));
client.close();
