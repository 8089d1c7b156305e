import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { httpStatusFor } from '../errors.js';
import { outboundDeadline } from '../grpc/call-deadline.js';
import { GrpcServer } from '../grpc/grpc-server.js';
import { PeerClients } from '../grpc/peer-clients.js';
import { loadTollgateProto } from '../grpc/proto-definitions.js';
import { AgentMetrics } from '../metrics.js';
import { forwardHandlers } from './forward-service.js';
import type { InjectFn, InjectRequest } from './forward-service.js';
import { Forwarder, NoPathToRegionError } from './forwarder.js';
import type { ForwardRequest } from './forwarded-http.js';

const log = pino({ level: 'silent' });
const cleanup: Array<() => void> = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

/** An agent's Forward service on loopback (on `port`; 0: any), answering through `inject`. */
async function peer(region: string, inject: InjectFn, port = 0): Promise<string> {
  const server = new GrpcServer({ host: '127.0.0.1', port, log, metrics: new AgentMetrics(region) });
  server.addService(loadTollgateProto().tollgate.v1.Forward.service, forwardHandlers({ region, inject, log }));
  const addr = await server.listen();
  cleanup.push(() => server.close());
  return addr;
}

function forwarder(regionPeers: Record<string, string[]>): { f: Forwarder; metrics: AgentMetrics } {
  const clients = new PeerClients();
  cleanup.push(() => clients.close());
  const metrics = new AgentMetrics('eu-west');
  return { f: new Forwarder({ region: 'eu-west', authoritativeRegion: 'global', regionPeers, clients, log, metrics, connectTimeoutMs: 500 }), metrics };
}

const get = (path: string, extra: Partial<ForwardRequest> = {}): ForwardRequest => ({
  method: 'GET',
  path,
  body: Buffer.alloc(0),
  headers: {},
  secret: 'secret-1',
  idempotent: true,
  timeoutMs: 5_000,
  ...extra,
});

describe('Forwarder and the Forward service', () => {
  it("runs the request through the receiver's HTTP app with the token and returns status, Nomad headers and body unchanged", async () => {
    const seen: InjectRequest[] = [];
    const addr = await peer('global', async (req) => {
      seen.push(req);
      return {
        statusCode: 201,
        headers: { 'x-nomad-index': '17', 'content-type': 'application/json', 'set-cookie': 'no' },
        rawPayload: Buffer.from('{"ok":true}'),
      };
    });
    const { f } = forwarder({ global: [addr] });
    const res = await f.forward(
      'global',
      get('/v1/acl/tokens?region=global&prefix=ab', { headers: { 'x-tollgate-min-index': '5', 'x-evil': '1' } }),
    );
    expect(res).toMatchObject({ status: 201, peer: addr });
    expect(res.headers).toEqual({ 'x-nomad-index': '17', 'content-type': 'application/json' });
    expect(res.body.toString()).toBe('{"ok":true}');
    expect(seen[0]).toMatchObject({
      method: 'GET',
      url: '/v1/acl/tokens?prefix=ab',
      headers: { 'x-nomad-token': 'secret-1', 'x-tollgate-min-index': '5' },
    });
    expect(seen[0]!.headers['x-evil']).toBeUndefined();
  });

  it('passes the inbound deadline on to calls the receiving route makes', async () => {
    let inherited = 0;
    const addr = await peer('global', async () => {
      // What an outbound call made inside the route would get for "30 s".
      inherited = outboundDeadline(30_000);
      return { statusCode: 200, headers: {}, rawPayload: Buffer.alloc(0) };
    });
    const { f } = forwarder({ global: [addr] });
    const before = Date.now();
    await f.forward('global', get('/v1/acl/policies', { timeoutMs: 3_000 }));
    expect(inherited).toBeGreaterThan(before);
    expect(inherited).toBeLessThanOrEqual(before + 3_500);
  });

  it('tries the next peer when one cannot be reached, and sticks to the one that answered', async () => {
    let calls = 0;
    const good = await peer('global', async () => {
      calls++;
      return { statusCode: 200, headers: {}, rawPayload: Buffer.alloc(0) };
    });
    const { f, metrics } = forwarder({ global: ['127.0.0.1:1', good] });
    expect((await f.forward('global', get('/v1/acl/policies', { idempotent: false }))).peer).toBe(good);
    expect((await f.forward('global', get('/v1/acl/policies'))).peer).toBe(good);
    expect(calls).toBe(2);
    const counted = await metrics.registry.getSingleMetricAsString('tollgate_forwarded_requests_total');
    expect(counted).toMatch(/region="global",outcome="ok"[^\n]*\} 2/);
  });

  it('fails fast with a 503 naming the region when no peer can be reached', async () => {
    const { f } = forwarder({ global: ['127.0.0.1:1', '127.0.0.1:2'] });
    const started = Date.now();
    const err = await f.forward('global', get('/v1/acl/policies')).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(httpStatusFor(err)).toBe(503);
    expect((err as Error).message).toMatch(/^authoritative region "global" unreachable: 127\.0\.0\.1:1: cannot connect.*; 127\.0\.0\.1:2: cannot connect/);
  });

  it('reaches a region the moment it is back, though earlier failures left its channel in reconnect backoff', async () => {
    const answer: InjectFn = async () => ({ statusCode: 200, headers: {}, rawPayload: Buffer.alloc(0) });
    const port = Number((await peer('global', answer)).split(':')[1]);
    cleanup.pop()!(); // that server is closed: its port refuses now
    const address = `127.0.0.1:${port}`;
    const { f } = forwarder({ global: [address] });
    // On one channel each failure would grow grpc-js' own reconnect backoff
    // (0.1 s × 1.6ⁿ, ±20 %) well past this forwarder's 500 ms connect limit
    // after seven of them.
    for (let i = 0; i < 7; i++) {
      expect(httpStatusFor(await f.forward('global', get('/v1/acl/policies')).catch((e: unknown) => e))).toBe(503);
    }
    await peer('global', answer, port);
    expect((await f.forward('global', get('/v1/acl/policies'))).status).toBe(200);
  });

  it('says "No path to region" for a region without peers', async () => {
    const { f } = forwarder({});
    await expect(f.forward('mars', get('/v1/acl/policies'))).rejects.toBeInstanceOf(NoPathToRegionError);
    expect(f.knows('mars')).toBe(false);
  });

  it('refuses a request meant for another region (a misconfigured peer) without running it', async () => {
    let ran = false;
    const addr = await peer('us-east', async () => {
      ran = true;
      return { statusCode: 200, headers: {}, rawPayload: Buffer.alloc(0) };
    });
    const { f } = forwarder({ global: [addr] });
    const err = await f.forward('global', get('/v1/acl/policies')).catch((e: unknown) => e);
    expect(httpStatusFor(err)).toBe(503);
    expect((err as Error).message).toMatch(/misconfigured peer: .*asked region "global" but this agent is in region "us-east"/);
    expect(ran).toBe(false);
  });

  it('says plainly that a write to a hung region may or may not have been applied, and how to check, without gRPC internals', async () => {
    let reached = false;
    // The authoritative region takes the request and never answers.
    const addr = await peer('global', () => {
      reached = true;
      return new Promise(() => undefined);
    });
    const { f } = forwarder({ global: [addr] });
    const write: ForwardRequest = { ...get('/v1/acl/token'), method: 'POST', body: Buffer.from('{}'), idempotent: false, timeoutMs: 300 };
    const err = await f.forward('global', write).catch((e: unknown) => e);
    expect(reached).toBe(true);
    expect(httpStatusFor(err)).toBe(503);
    const message = (err as Error).message;
    expect(message).toMatch(/^authoritative region "global" did not answer in time \(127\.0\.0\.1:\d+: no answer before the deadline\)/);
    expect(message).toContain('The write may or may not have been applied there: read the object to check');
    expect(message).toContain('retry it');
    expect(message).not.toMatch(/metadata filters|remote_addr|Deadline exceeded|DEADLINE_EXCEEDED/);
  });

  it('does not call a read that timed out a write', async () => {
    const addr = await peer('global', () => new Promise(() => undefined));
    const { f } = forwarder({ global: [addr] });
    const err = await f.forward('global', get('/v1/acl/policies', { timeoutMs: 300 })).catch((e: unknown) => e);
    expect(httpStatusFor(err)).toBe(503);
    expect((err as Error).message).toMatch(/no answer before the deadline/);
    expect((err as Error).message).not.toMatch(/may or may not|metadata filters|remote_addr/);
  });

  it('refuses paths outside the API', async () => {
    const addr = await peer('global', async () => ({ statusCode: 200, headers: {}, rawPayload: Buffer.alloc(0) }));
    const { f } = forwarder({ global: [addr] });
    const err = await f.forward('global', get('/admin')).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^forwarding to authoritative region "global" failed: .*INVALID_ARGUMENT: cannot forward GET \/admin/);
  });
});
