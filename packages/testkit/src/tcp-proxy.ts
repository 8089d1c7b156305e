import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';

/** A loopback TCP proxy whose link can be cut (to isolate one agent from etcd) and whose bytes can be recorded. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`: give this to an agent instead of the real endpoint. */
  readonly endpoint: string;
  /** Drops every open connection and refuses new ones until `restore()`. */
  cut(): void;
  /** Accepts and forwards connections again. */
  restore(): void;
  /** Every byte seen in either direction so far (with `record: true`; empty otherwise). */
  recorded(): Buffer;
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on a free loopback port forwarding to
 * `127.0.0.1:targetPort`. `cut()` resets every connection (both sides see
 * it at once, as with a crashed peer) and resets new ones as they arrive.
 */
export async function startTcpProxy(targetPort: number, opts: { record?: boolean } = {}): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const seen: Buffer[] = [];
  const tap = (chunk: Buffer): void => {
    seen.push(chunk);
  };
  let isCut = false;
  const server: Server = createServer((client) => {
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (opts.record === true) {
      client.on('data', tap);
      upstream.on('data', tap);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const cut = (): void => {
    isCut = true;
    for (const [client, upstream] of pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    pairs.clear();
  };
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    cut,
    restore() {
      isCut = false;
    },
    recorded: () => Buffer.concat(seen),
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
