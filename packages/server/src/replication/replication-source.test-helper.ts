import type { StateStore } from '@tollgate/state';
import { GrpcServer } from '../grpc/grpc-server.js';
import type { Logger } from '../logger.js';
import { AgentMetrics } from '../metrics.js';
import { TokenResolver } from '../token-resolver.js';
import { CommitClock } from './commit-clock.js';
import { ReplicationService } from './replication-service.js';
import type { WatchEncoder } from './replication-service.js';

/**
 * Tests only (excluded from `dist`): the authoritative side of replication
 * over `source` — the real ReplicationService on a real gRPC server on
 * loopback. Its teardown goes onto `cleanup` (run in reverse order).
 */
export async function serveReplicationSource(
  source: StateStore,
  opts: { readonly log: Logger; readonly cleanup: Array<() => unknown>; readonly encodeWatchEvent?: WatchEncoder },
): Promise<{ addr: string; service: ReplicationService }> {
  const { log, cleanup } = opts;
  const service = new ReplicationService(
    {
      region: 'global',
      authoritativeRegion: 'global',
      isAuthoritative: true,
      store: source,
      tokens: new TokenResolver(source),
      log,
      ...(opts.encodeWatchEvent === undefined ? {} : { encodeWatchEvent: opts.encodeWatchEvent }),
    },
    new CommitClock(0, Date.now()),
  );
  cleanup.push(() => service.close());
  const server = new GrpcServer({ host: '127.0.0.1', port: 0, log, metrics: new AgentMetrics('global') });
  const { definition, handlers } = service.service();
  server.addService(definition, handlers);
  const addr = await server.listen();
  cleanup.push(() => server.close());
  return { addr, service };
}
