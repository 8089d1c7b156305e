// The abusive client of `npm run bench -- abuse`, in its own process: from
// 127.0.0.1 it holds IDLE idle connections and keeps BIG connections busy
// sending anonymous ~970 KiB authorize bodies, until SIGTERM; then it
// prints the statuses it got as one JSON line.
import { request, Agent } from 'node:http';
import { connect } from 'node:net';

const [port, idle, big] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: big });
const body = JSON.stringify({ Checks: [{ Resource: 'node', Capability: 'read', Name: 'x'.repeat(970 * 1024) }] });
const statuses = {};
let stop = false;
const stopped = new Promise((resolve) =>
  process.on('SIGTERM', () => {
    stop = true;
    resolve();
  }),
);
const one = () =>
  new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/acl/authorize', method: 'POST', agent, localAddress: '127.0.0.1', headers: { 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
// The flood's 8 connections first, then the idle ones (the agent keeps at
// most limits.http_max_conns_per_client of them, 100 by default).
const flood = Promise.all(
  Array.from({ length: big }, async () => {
    while (!stop) {
      const s = await one();
      statuses[s] = (statuses[s] ?? 0) + 1;
      // An agent that closed the connection: back off a little before reconnecting.
      if (s === 0) await new Promise((r) => setTimeout(r, 10));
    }
  }),
);
await new Promise((r) => setTimeout(r, 200));
const sockets = [];
for (let i = 0; i < idle; i++) {
  const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
  s.on('error', () => {});
  s.resume();
  sockets.push(s);
}
console.log(JSON.stringify({ msg: 'flooding' }));
await stopped;
await flood;
for (const s of sockets) s.destroy();
console.log(JSON.stringify({ msg: 'done', statuses }));
process.exit(0);
