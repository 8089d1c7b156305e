import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { StateStore } from '@tollgate/state';
import type { Mutation } from '@tollgate/state';
import { runWrite } from './acl-endpoint.js';
import type { AclWriteOp, AclWriteResult, AgentContext, AgentHealth } from './agent-context.js';
import type { ResolvedAgentConfig } from './config.js';
import { TollgateError } from './errors.js';
import type { ForwardRequest, ForwardResponse } from './forwarding/forwarded-http.js';
import { forwardHandlers } from './forwarding/forward-service.js';
import { Forwarder } from './forwarding/forwarder.js';
import { forwardGlobalWrite } from './forwarding/global-write.js';
import { awaitAuthoritativeIndex } from './forwarding/min-index.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { PeerClients } from './grpc/peer-clients.js';
import { loadTollgateProto } from './grpc/proto-definitions.js';
import { createHttpServer } from './http/http-server.js';
import { loadOrCreateKey } from './keyring.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { CommitClock } from './replication/commit-clock.js';
import { ReplicationLoop } from './replication/replication-loop.js';
import { ReplicationService } from './replication/replication-service.js';
import { replicationStatusView } from './replication/replication-status.js';
import type { ReplicationStatusView } from './replication/replication-status.js';
import { TokenResolver } from './token-resolver.js';

/** The agent's lifecycle. */
export type AgentStatus = 'new' | 'starting' | 'running' | 'draining' | 'closed';

/** Options that are not configuration: injected for tests and embedding. */
export interface AgentOptions {
  /** A logger to use instead of a new pino root logger on stdout. */
  readonly logger?: Logger;
}

/** Most expired tokens deleted per GC pass (Nomad's ACLMaxExpiredBatchSize). */
const GC_BATCH = 4096;

/**
 * One Tollgate server process: the state machine of its region, the HTTP
 * API, and (in a multi-region cluster) forwarding and replication.
 *
 * ```
 * new ──start()──▶ starting ──▶ running ──drain()──▶ draining ──close()──▶ closed
 * ```
 *
 * @example
 * const agent = new Agent(resolveAgentConfig({ data_dir: '/tmp/tg' }));
 * await agent.start();
 * console.log(agent.httpAddress);
 * await agent.close();
 */
export class Agent implements AgentContext {
  readonly config: ResolvedAgentConfig;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  readonly bootstrapResetFile: string;
  #status: AgentStatus = 'new';
  #store: StateStore | undefined;
  #resolver: TokenResolver | undefined;
  #http: FastifyInstance | undefined;
  #gcTimer: NodeJS.Timeout | undefined;
  // Between regions: the RPC listener, clients of other regions' agents,
  // and (in a follower) the replication loop.
  #grpc: GrpcServer | undefined;
  readonly #peers = new PeerClients();
  readonly #forwarder: Forwarder;
  #replicationService: ReplicationService | undefined;
  #replication: ReplicationLoop | undefined;
  #stopCommitClock: (() => void) | undefined;

  constructor(config: ResolvedAgentConfig, opts: AgentOptions = {}) {
    this.config = config;
    this.log = opts.logger ?? createLogger({ level: config.logLevel, region: config.region });
    this.metrics = new AgentMetrics(config.region);
    this.bootstrapResetFile = join(config.dataDir, 'server', 'acl-bootstrap-reset');
    this.#forwarder = new Forwarder({
      region: config.region,
      authoritativeRegion: config.server.authoritativeRegion,
      regionPeers: config.server.regionPeers,
      clients: this.#peers,
      log: this.log.child({ component: 'forwarding' }),
      metrics: this.metrics,
    });
  }

  get status(): AgentStatus {
    return this.#status;
  }

  get store(): StateStore {
    if (this.#store === undefined) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    return this.#store;
  }

  get resolver(): TokenResolver {
    if (this.#resolver === undefined) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    return this.#resolver;
  }

  get isAuthoritative(): boolean {
    return this.config.region === this.config.server.authoritativeRegion;
  }

  /** `http://host:port` the HTTP API listens on (after start). */
  get httpAddress(): string {
    const addr = this.#http?.server.address() as AddressInfo | null | undefined;
    if (!addr) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${host}:${addr.port}`;
  }

  /** `host:port` of the gRPC listener for other regions (after start). */
  get rpcAddress(): string {
    if (this.#grpc === undefined) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    return this.#grpc.address;
  }

  /** The follower's replication loop (`undefined` in the authoritative region). */
  get replication(): ReplicationLoop | undefined {
    return this.#replication;
  }

  /** Opens the store and starts serving. */
  async start(): Promise<void> {
    if (this.#status !== 'new') throw new TollgateError('TOLLGATE_AGENT_STATE', `cannot start an agent that is ${this.#status}`);
    this.#status = 'starting';
    const serverDir = join(this.config.dataDir, 'server');
    await mkdir(serverDir, { recursive: true, mode: 0o700 });
    const key = await loadOrCreateKey(join(serverDir, 'keyring'), this.config.acl.encryptionKey);
    this.#store = await StateStore.open({
      path: join(serverDir, 'state'),
      secretKey: key,
      logger: this.log.child({ component: 'state' }),
      metrics: {
        observeCommit: (batchSize: number, seconds: number) => {
          this.metrics.commitBatchSize.observe(batchSize);
          this.metrics.commitSeconds.observe(seconds);
        },
      },
    });
    this.#resolver = new TokenResolver(this.#store);
    this.metrics.bindStore(this.#store);
    this.#http = createHttpServer(this);
    await this.#startRpc(this.#store, this.#http);
    await this.#http.listen({ host: this.config.bindAddr, port: this.config.ports.http });
    if (!this.isAuthoritative) this.#startReplication(this.#store);
    this.#gcTimer = setInterval(() => void this.collectExpiredTokens(), this.config.server.aclTokenGcIntervalMs);
    this.#gcTimer.unref();
    this.#status = 'running';
    this.log.info(
      {
        http: this.httpAddress,
        rpc: this.rpcAddress,
        dataDir: this.config.dataDir,
        authoritativeRegion: this.config.server.authoritativeRegion,
        index: this.#store.index(),
      },
      'agent started',
    );
  }

  apply(m: Mutation): Promise<{ index: number }> {
    return this.store.apply(m);
  }

  /**
   * The gRPC side: Replication (served to followers when this region is
   * authoritative) and Forward (runs other regions' requests through this
   * agent's HTTP app). Commit times are recorded from here on so that
   * replication batches can carry them.
   */
  async #startRpc(store: StateStore, http: FastifyInstance): Promise<void> {
    const clock = new CommitClock(store.index(), Date.now());
    this.#stopCommitClock = store.onCommit((_changes, index) => clock.record(index, Date.now()));
    this.#replicationService = new ReplicationService(this, clock);
    const proto = loadTollgateProto();
    const grpcLog = this.log.child({ component: 'rpc' });
    this.#grpc = new GrpcServer({ host: this.config.bindAddr, port: this.config.ports.rpc, log: grpcLog, metrics: this.metrics });
    this.#grpc.addService(proto.tollgate.v1.Replication.service, this.#replicationService.handlers());
    this.#grpc.addService(
      proto.tollgate.v1.Forward.service,
      forwardHandlers({ region: this.config.region, inject: (req) => http.inject(req), log: grpcLog }),
    );
    await this.#grpc.listen();
  }

  /** Starts the follower's replication loop (needs peers of the authoritative region). */
  #startReplication(store: StateStore): void {
    const source = this.config.server.authoritativeRegion;
    const peers = this.config.server.regionPeers[source] ?? [];
    if (peers.length === 0) {
      this.log.error(
        { authoritativeRegion: source },
        `no server.region_peers entry for authoritative region "${source}": replication and global writes are disabled`,
      );
      return;
    }
    this.#replication = new ReplicationLoop({
      store,
      region: this.config.region,
      sourceRegion: source,
      peers,
      token: this.config.acl.replicationToken,
      clients: this.#peers,
      log: this.log,
      metrics: this.metrics.replicationSink(source),
      antiEntropyIntervalMs: this.config.server.antiEntropyIntervalMs,
    });
    const loop = this.#replication;
    this.metrics.bindReplication(() => loop.report());
    loop.start();
  }

  writeGlobal(w: AclWriteOp, secret: string): Promise<AclWriteResult> {
    if (this.isAuthoritative) return runWrite(this, secret, w);
    return forwardGlobalWrite(this, this.#forwarder, w, secret);
  }

  forwardToRegion(region: string, req: ForwardRequest): Promise<ForwardResponse> {
    return this.#forwarder.forward(region, req);
  }

  awaitAuthoritativeIndex(minIndex: number, signal?: AbortSignal): Promise<void> {
    return awaitAuthoritativeIndex(this, minIndex, this.config.server.replicationWaitMs, signal);
  }

  replicationStatus(): ReplicationStatusView {
    return replicationStatusView(
      this.config.region,
      this.config.server.authoritativeRegion,
      this.#replication?.report(),
      this.#replicationService?.watchers() ?? [],
    );
  }

  health(): AgentHealth {
    if (this.#status === 'running') return { ok: true, status: 'serving', message: 'ok' };
    return { ok: false, status: 'draining', message: `agent is ${this.#status}` };
  }

  /**
   * Deletes expired tokens whose CreateTime is older than the GC threshold
   * (facts §8). Global tokens are collected only in the authoritative region
   * (their deletion then replicates); local tokens everywhere. Returns how
   * many were deleted.
   */
  async collectExpiredTokens(now = new Date()): Promise<number> {
    if (this.#status !== 'running') return 0;
    const cutoff = now.getTime() - this.config.server.aclTokenGcThresholdMs;
    const victims = this.store
      .expiredTokens(now, GC_BATCH)
      .filter((t) => Date.parse(t.CreateTime) <= cutoff && (this.isAuthoritative || !t.Global))
      .map((t) => t.AccessorID);
    if (victims.length === 0) return 0;
    try {
      await this.store.apply({ type: 'token-delete', accessors: victims });
      this.log.info({ count: victims.length }, 'expired tokens collected');
      return victims.length;
    } catch (err) {
      this.log.warn({ err }, 'expired token collection failed');
      return 0;
    }
  }

  /** Stops taking new requests and lets in-flight ones finish (up to graceMs). */
  async drain(graceMs = 5000): Promise<void> {
    if (this.#status !== 'running') return;
    this.#status = 'draining';
    if (this.#gcTimer) clearInterval(this.#gcTimer);
    // Replication first (it writes to the store), then the streams this
    // agent serves, so the RPC listener can drain without waiting on them.
    await this.#replication?.close();
    this.#replicationService?.close();
    await this.#grpc?.drain(graceMs);
    const http = this.#http;
    if (http) {
      const timer = setTimeout(() => http.server.closeAllConnections(), graceMs);
      await http.close();
      clearTimeout(timer);
    }
  }

  /** Drains, then closes the store. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#status === 'running') await this.drain(0);
    if (this.#gcTimer) clearInterval(this.#gcTimer);
    await this.#replication?.close();
    this.#replicationService?.close();
    this.#grpc?.close();
    this.#peers.close();
    this.#stopCommitClock?.();
    await this.#http?.close();
    await this.#store?.close();
    this.#status = 'closed';
    this.log.info('agent stopped');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
