/**
 * Hostile clients against a real agent process: a client holding 1,000 idle
 * connections, a client sending its body one byte at a time, and a client
 * flooding checks beyond its rate limit must not take the agent away from
 * a well-behaved client on another address (127.0.0.2).
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, startAgent, type RunningAgent } from './testkit.js';

let agent: RunningAgent;
let port: number;
let root: string;

beforeAll(async () => {
  agent = await startAgent({
    hcl: `limits {\n  http_max_conns_per_client = 100\n  http_read_timeout = "2s"\n  http_idle_timeout = "3s"\n  request_limits {\n    check_rate = 50\n    check_burst = 50\n    token_check_rate = 100000\n    anonymous_rate = 50\n  }\n}\n`,
  });
  port = Number(new URL(agent.addr).port);
  root = (await api(agent.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID;
});

afterAll(async () => {
  await agent.stop();
  await rm(agent.dataDir, { recursive: true, force: true });
});

/** One request from a chosen local address; resolves with status and milliseconds taken. */
function from(localAddress: string, method: string, path: string, body?: string, token?: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, localAddress, agent: false, headers: { ...(token ? { 'X-Nomad-Token': token } : {}), 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Idle sockets whose TCP connection was established (the others never reached the agent). */
const everConnected = new WeakSet<Socket>();

function openIdle(n: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve) => {
          const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
          s.on('error', () => {});
          // Flowing, so the agent's FIN is seen (a paused socket never emits 'end').
          s.resume();
          s.once('connect', () => {
            everConnected.add(s);
            resolve(s);
          });
          s.once('close', () => resolve(s));
        }),
    ),
  );
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('hostile clients', () => {
  it('1,000 idle connections from one address leave health answering for another client; the extra ones are closed', async () => {
    const started = Date.now();
    const sockets = await openIdle(1000);
    try {
      const open = (): number => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
      const results = await Promise.all(Array.from({ length: 20 }, () => from('127.0.0.2', 'GET', '/v1/agent/health')));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      // A listening socket hands out connections in the order they were
      // made: the agent had accepted every one of the 1,000 before it
      // answered those, however long a loaded machine took. At most 100 are
      // open now; the others were closed as soon as they were accepted.
      const acceptedWithinMs = Date.now() - started;
      await new Promise((r) => setImmediate(r));
      expect(open()).toBeLessThanOrEqual(100);
      // The idle ones that were kept are closed by the idle timeout (3 s);
      // nothing else would ever close them.
      await eventually(() => open() === 0, 15_000, 50);
      const metrics = await api(agent.addr, 'GET', '/v1/metrics?format=prometheus');
      // Every connection that reached the agent beyond the 100 it may hold
      // at a time was refused (on a loaded machine a few of the 1,000 never
      // connect at all). A slot is freed only when its connection idles out
      // (3 s after it was accepted), so while the agent was accepting them
      // (within acceptedWithinMs; longer than 3 s only on a loaded machine)
      // each of the 100 held at most 1 + floor(acceptedWithinMs / 3 s).
      const connected = sockets.filter((s) => everConnected.has(s)).length;
      expect(connected).toBeGreaterThan(800);
      const admittedAtMost = 100 * (1 + Math.floor(acceptedWithinMs / 3000));
      expect(Number(/tollgate_http_connections_refused_total\{[^}]*\} (\d+)/.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(connected - admittedAtMost - 1);
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 60_000);

  it('closes a slow-body connection at the read timeout', async () => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write(`POST /v1/acl/token HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: ${root}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    const drip = setInterval(() => s.write(' '), 500);
    const started = Date.now();
    let answer = '';
    s.on('data', (c: Buffer) => (answer += c.toString()));
    await new Promise((r) => s.once('close', r));
    clearInterval(drip);
    const elapsed = Date.now() - started;
    // Read timeout 2 s, checked every 0.5 s: closed well before the 1000 bytes could arrive (500 s).
    expect(elapsed).toBeLessThan(6000);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  }, 15_000);

  it('answers a flooding client 429 while a client on another address keeps its latency', async () => {
    const check = JSON.stringify({ Checks: [{ Resource: 'node', Capability: 'read' }] });
    const good = async (n: number, address = '127.0.0.2'): Promise<number[]> => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = await from(address, 'POST', '/v1/acl/authorize', check, root);
        expect(r.status).toBe(200);
        ms.push(r.ms);
      }
      return ms;
    };
    const quiet = await good(25);
    // The flood runs in its own process, so it loads the agent, not this test's event loop.
    const flooder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { request, Agent } from 'node:http';
         const agent = new Agent({ keepAlive: true, maxSockets: 8 });
         const statuses = {};
         let stop = false;
         process.on('message', () => { stop = true; });
         const one = () => new Promise((resolve) => {
           const req = request({ host: '127.0.0.1', port: ${port}, path: '/v1/acl/authorize', method: 'POST', agent, localAddress: '127.0.0.1',
             headers: { 'Content-Type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
           req.on('error', () => resolve(0));
           req.end(${JSON.stringify(check)});
         });
         await Promise.all(Array.from({ length: 8 }, async () => { while (!stop) { const s = await one(); if (s === 429 && !statuses[429]) process.send('limited'); statuses[s] = (statuses[s] ?? 0) + 1; } }));
         process.send(statuses, () => process.exit(0));`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const statusesP = new Promise<Record<string, number>>((resolve) =>
      flooder.on('message', (m) => {
        if (typeof m === 'object') resolve(m as Record<string, number>);
      }),
    );
    // Measure once the flood is on and being limited.
    await new Promise((r) => flooder.once('message', r));
    const loaded = await good(25);
    flooder.send('stop');
    const flood = await statusesP;
    // Quiet again (from an address of its own, so its rate budget is whole):
    // the baseline is the slower of before and after the flood, so that
    // other work on a shared machine starting mid-test is not taken for
    // the flood's doing.
    const quietAfter = await good(25, '127.0.0.3');
    const statuses = new Map(Object.entries(flood).map(([k, v]) => [Number(k), v]));
    expect(statuses.get(429) ?? 0).toBeGreaterThan(0);
    // The good client's median stays in the same range as without the flood.
    // Generous bound: the flooder shares these 2 cores with the agent, and a
    // 429 still costs the agent an HTTP parse; unlimited, such floods took
    // good requests to seconds (issue 11).
    const baseline = Math.max(median(quiet), median(quietAfter));
    console.log(
      `good client p50: quiet ${median(quiet).toFixed(1)} ms before, ${median(quietAfter).toFixed(1)} ms after, during the flood ${median(loaded).toFixed(1)} ms; flood statuses ${JSON.stringify(flood)}`,
    );
    expect(median(loaded)).toBeLessThan(Math.max(100, baseline * 10));
  }, 30_000);
});
