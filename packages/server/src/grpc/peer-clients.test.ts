import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerClients } from './peer-clients.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** A gRPC server with no services (a transport to connect to) on `port` (0: any). */
async function listen(port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new grpc.Server();
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port: bound, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

/** A loopback address that refuses connections now, and the means to start listening there. */
async function refusing(): Promise<{ address: string; start: () => Promise<void> }> {
  const first = await listen();
  await first.close();
  return {
    address: `127.0.0.1:${first.port}`,
    async start() {
      const again = await listen(first.port);
      cleanup.push(again.close);
    },
  };
}

describe('PeerClients.retryNow', () => {
  it('replaces a channel left in reconnect backoff by a failure; a connect waiting on it goes on with the new one', async () => {
    const peer = await refusing();
    const clients = new PeerClients();
    cleanup.push(() => clients.close());
    await expect(clients.connect(peer.address, 10_000)).rejects.toThrow(/connection failed/);
    // The channel is in TRANSIENT_FAILURE; a second connect waits for grpc-js' next attempt.
    const failed = clients.replication(peer.address);
    const waiting = clients.connect(peer.address, 10_000);
    clients.retryNow(peer.address);
    expect(clients.replication(peer.address)).not.toBe(failed);
    // The wait moved to the new channel, whose own attempt is refused too
    // (not "channel closed": the old channel closing is not the answer).
    await expect(waiting).rejects.toThrow(/connection failed/);

    await peer.start();
    clients.retryNow(peer.address);
    await clients.connect(peer.address, 10_000);
  });

  it('leaves a connected channel (and the calls on it) alone, and ignores an address it has no channel for', async () => {
    const server = await listen();
    cleanup.push(server.close);
    const clients = new PeerClients();
    cleanup.push(() => clients.close());
    const address = `127.0.0.1:${server.port}`;
    await clients.connect(address, 10_000);
    const live = clients.replication(address);
    clients.retryNow(address);
    clients.retryNow('127.0.0.1:1');
    expect(clients.replication(address)).toBe(live);
    await clients.connect(address, 10_000);
  });
});
