import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { EmbeddedRegionLog, SecretBox, StateStore } from '@tollgate/state';
import type { ACLAuthMethod, Mutation, RegionLog, ReplicatedBatch } from '@tollgate/state';
import { runWrite, type AclEndpointPorts } from './acl-endpoint.js';
import { deriveAuditKey, hmacSecret } from './audit/audit-key.js';
import { openAuditLog } from './audit/audit-log.js';
import type { RequestAuditor } from './audit/request-auditor.js';
import { JwtVerifier } from './auth/jwt-verifier.js';
import { agentHealth, type AgentHealth } from './agent-health.js';
import type { AclWriteOp, AclWriteResult } from './acl-write.js';
import type { ResolvedAgentConfig } from './config.js';
import { ConfigError, TollgateError } from './errors.js';
import type { ForwardRequest, ForwardResponse } from './forwarding/forwarded-http.js';
import { forwardHandlers } from './forwarding/forward-service.js';
import { Forwarder } from './forwarding/forwarder.js';
import { forwardGlobalWrite } from './forwarding/global-write.js';
import { awaitAuthoritativeIndex } from './forwarding/min-index.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { PeerClients } from './grpc/peer-clients.js';
import { loadTollgateProto } from './grpc/proto-definitions.js';
import type { HaContext, HaStatus } from './ha/ha-context.js';
import { registerHaMetrics } from './ha/ha-metrics.js';
import { HaRuntime } from './ha/ha-runtime.js';
import { EtcdOidcStateStore } from './auth/etcd-oidc-state-store.js';
import { OidcDiscovery } from './auth/oidc-discovery.js';
import { OidcFlow } from './auth/oidc-flow.js';
import { MemoryOidcStateStore } from './auth/oidc-state-store.js';
import { LeaderTasks } from './ha/leader-tasks.js';
import type { LeaderTask } from './ha/leader-tasks.js';
import { createHttpServer, type HttpServerPorts } from './http/http-server.js';
import { loadRegionKey } from './keyring.js';
import { STATE_MARKER, pathExists, writeMarker } from './state-marker.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { CommitClock } from './replication/commit-clock.js';
import { ReplicationLoop } from './replication/replication-loop.js';
import type { ReplicaPort } from './replication/replication-loop.js';
import { ReplicationService } from './replication/replication-service.js';
import { replicationStatusView } from './replication/replication-status.js';
import { LagHistory } from './replication/lag-history.js';
import { ObjectCounter } from './replication/object-counts.js';
import { StatusRevision } from './replication/status-revision.js';
import type { ReplicationStatusView } from './replication/replication-status.js';
import { TokenGc, GC_BATCH, HA_GC_BATCH } from './token-gc.js';
import { PolicyParsePool } from '@tollgate/acl';
import { TokenResolver } from './token-resolver.js';
import { FORWARD_ENVELOPE_BYTES } from './grpc/grpc-server.js';
import { AgentTls } from './tls/agent-tls.js';
import { registerTlsMetrics } from './tls/tls-metrics.js';
import type { TlsMetrics } from './tls/tls-metrics.js';

/** The agent's lifecycle. */
export type AgentStatus = 'new' | 'starting' | 'running' | 'draining' | 'closed';

/** Options that are not configuration: injected for tests and embedding. */
export interface AgentOptions {
  /** A logger to use instead of a new pino root logger on stdout. */
  readonly logger?: Logger;
  /**
   * `tollgate agent -upgrade-state`: sign the records of a state store
   * written before records were authenticated (format 1), as they are now.
   * Without it such a store is refused. @default false
   */
  readonly upgradeState?: boolean;
}

/**
 * One step of shutting down, in the order `drain` and `close` run them.
 * `drain` runs the steps that stop taking work (their `drain`, else their
 * `close`, skipping `closeOnly` ones); `close` then runs every `close`.
 * Every step is safe to run twice.
 */
interface TeardownStep {
  readonly name: string;
  readonly drain?: (graceMs: number) => Promise<void>;
  readonly close: () => unknown;
  /** Only on close: resources in-flight requests still use while draining. */
  readonly closeOnly?: boolean;
}

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
export class Agent implements HttpServerPorts, AclEndpointPorts {
  readonly config: ResolvedAgentConfig;
  readonly log: Logger;
  readonly metrics: AgentMetrics;
  readonly bootstrapResetFile: string;
  readonly replicationRevision = new StatusRevision();
  readonly jwtVerifier = new JwtVerifier();
  readonly #lagHistory = new LagHistory();
  #counter: ObjectCounter | undefined;
  #status: AgentStatus = 'new';
  readonly #upgradeState: boolean;
  #store: StateStore | undefined;
  #resolver: TokenResolver | undefined;
  #policyParser: PolicyParsePool | undefined;
  #http: FastifyInstance | undefined;
  #tokenGc: TokenGc | undefined;
  // Between regions: the RPC listener, clients of other regions' agents,
  // and (in a follower) the replication loop.
  #grpc: GrpcServer | undefined;
  readonly #peers: PeerClients;
  // `tls { … }`: certificates for HTTPS and mTLS (undefined when both are off).
  #tls: AgentTls | undefined;
  readonly #tlsMetrics: TlsMetrics;
  readonly #forwarder: Forwarder;
  #replicationService: ReplicationService | undefined;
  #replication: ReplicationLoop | undefined;
  #stopCommitClock: (() => void) | undefined;
  // Where writes go: this agent's store (embedded) or etcd (HA), and the
  // work only the region's leader does (replication, GC, compaction).
  #regionLog: RegionLog | undefined;
  #ha: HaRuntime | undefined;
  #oidc: OidcFlow<ACLAuthMethod> | undefined;
  readonly #leaderTasks: LeaderTasks;
  #audit: RequestAuditor | undefined;
  #auditKey: Buffer | undefined;

  constructor(config: ResolvedAgentConfig, opts: AgentOptions = {}) {
    this.config = config;
    this.#upgradeState = opts.upgradeState ?? false;
    this.log = opts.logger ?? createLogger({ level: config.logLevel, region: config.region });
    this.metrics = new AgentMetrics(config.region);
    this.bootstrapResetFile = join(config.dataDir, 'server', 'acl-bootstrap-reset');
    this.#tlsMetrics = registerTlsMetrics(this.metrics.registry);
    const tlsLog = this.log.child({ component: 'tls' });
    this.#peers = new PeerClients({
      regionPeers: config.server.regionPeers,
      tls: () =>
        this.#tls === undefined || !config.tls.rpc
          ? undefined
          : {
              material: () => this.#tls!.material,
              verifyServerHostname: config.tls.verifyServerHostname,
              onRefused: (address, expected, err) => {
                this.#tlsMetrics.refused('outbound', 'wrong_region');
                tlsLog.warn({ peer: address, expected, err: err.message }, `refused peer ${address}: its certificate does not name ${expected}; nothing was sent to it`);
              },
              onHandshakeFailed: (address, reason) => {
                this.#tlsMetrics.refused('outbound', 'handshake_failed');
                tlsLog.warn({ peer: address, reason }, `TLS handshake with peer ${address} failed: ${reason}; nothing was sent to it`);
              },
            },
    });
    this.#forwarder = new Forwarder({
      region: config.region,
      authoritativeRegion: config.server.authoritativeRegion,
      regionPeers: config.server.regionPeers,
      clients: this.#peers,
      log: this.log.child({ component: 'forwarding' }),
      metrics: this.metrics,
    });
    this.#leaderTasks = new LeaderTasks(this.log.child({ component: 'leader' }));
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
    return `${this.config.tls.http ? 'https' : 'http'}://${host}:${addr.port}`;
  }

  /** `host:port` of the gRPC listener for other regions (after start). */
  get rpcAddress(): string {
    if (this.#grpc === undefined) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    return this.#grpc.address;
  }

  /** Where this agent's writes are ordered: its own store, or etcd in HA mode. */
  get regionLog(): RegionLog {
    if (this.#regionLog === undefined) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    return this.#regionLog;
  }

  /** HA mode (an `etcd` block in the config): consistency, leadership and status; `undefined` in embedded mode. */
  get ha(): HaContext | undefined {
    return this.#ha;
  }

  /**
   * Registers work only one agent of the region may do at a time (it runs
   * while this agent leads: always with one agent per region, while elected
   * in HA mode). Returns a function that stops and removes it.
   */
  addLeaderTask(task: LeaderTask): () => Promise<void> {
    return this.#leaderTasks.add(task);
  }

  /** The follower's replication loop (`undefined` in the authoritative region). */
  get replication(): ReplicationLoop | undefined {
    return this.#replication;
  }

  /** Opens the store and starts serving. */
  async start(): Promise<void> {
    if (this.#status !== 'new') throw new TollgateError('TOLLGATE_AGENT_STATE', `cannot start an agent that is ${this.#status}`);
    this.#status = 'starting';
    // TLS files first: a bad certificate or key stops the agent before it opens anything.
    if (this.config.tls.http || this.config.tls.rpc) {
      this.#tls = new AgentTls(this.config.tls, this.log.child({ component: 'tls' }), this.#tlsMetrics);
      this.#tls.onReload(() => this.#peers.renew());
    }
    const serverDir = join(this.config.dataDir, 'server');
    await mkdir(serverDir, { recursive: true, mode: 0o700 });
    const etcd = this.config.etcd;
    // The one HA key check (HaRuntime takes the key as given): checked at
    // start, not in config, so a config file may leave the key to another.
    if (etcd !== undefined && this.config.acl.encryptionKey === undefined && this.config.acl.encryptionKeyFile === undefined) {
      throw new ConfigError(
        'acl.encryption_key: required in HA mode (an etcd block is set), or acl.encryption_key_file: every agent of the region must seal, open and authenticate the same records in etcd',
      );
    }
    const stateDir = join(serverDir, 'state');
    const keyring = join(serverDir, 'keyring');
    const marker = join(serverDir, STATE_MARKER);
    // Decided before a key is generated: a keyring or marker left from an
    // earlier start means a store existed here, and an empty state dir is
    // then a loss to report, never a reason to start afresh.
    const initializedBefore = (await pathExists(marker)) || (await pathExists(keyring));
    const { key } = await loadRegionKey({
      configured: this.config.acl.encryptionKey,
      keyFile: this.config.acl.encryptionKeyFile,
      defaultKeyring: keyring,
      dataDir: this.config.dataDir,
      storeDir: stateDir,
      log: this.log,
    });
    this.#store = await StateStore.open({
      path: stateDir,
      create: initializedBefore ? 'never' : 'if-empty',
      upgradeFormat: this.#upgradeState,
      secretKey: key,
      logger: this.log.child({ component: 'state' }),
      metrics: {
        observeCommit: (batchSize: number, seconds: number) => {
          this.metrics.commitBatchSize.observe(batchSize);
          this.metrics.commitSeconds.observe(seconds);
        },
        observeCommitFailure: (writes: number) => this.metrics.protection.commitFailures.inc(writes),
        observeRecordRefused: (table: string, source: string) => this.metrics.protection.recordsRefused.inc({ table, source }),
      },
    });
    await writeMarker(marker);
    if (etcd === undefined) {
      this.#regionLog = new EmbeddedRegionLog(this.#store);
    } else {
      let ha: HaRuntime | undefined;
      const observer = registerHaMetrics(this.metrics.registry, () => ha!.status());
      ha = await HaRuntime.start({ etcd, encryptionKey: key, store: this.#store, log: this.log.child({ component: 'ha' }), tasks: this.#leaderTasks, observer });
      this.#ha = ha;
      this.#regionLog = ha.regionLog;
    }
    // One parser thread, kept warm (loading the parser costs it ~150 ms,
    // 30 MB): started now, in the background, when there is nothing to parse.
    this.#policyParser = new PolicyParsePool({ idleMs: Infinity });
    this.#resolver = new TokenResolver(this.#store, { parser: this.#policyParser });
    // Parse every stored policy on the parser thread before serving, so no
    // check after start-up parses on the event loop.
    const stored = this.#store.listPolicies();
    if (stored.length === 0) void this.#policyParser.warm();
    else await this.#resolver.prepare(stored);
    this.#oidc = this.#makeOidcFlow(key);
    this.#auditKey = deriveAuditKey(key, this.config.region);
    if (this.config.audit.enabled) {
      const store = this.#store;
      this.#audit = await openAuditLog({
        config: this.config.audit,
        path: this.config.audit.path ?? join(this.config.dataDir, 'audit', 'audit.log'),
        encryptionKey: key,
        region: this.config.region,
        httpPort: this.config.ports.http,
        log: this.log,
        registry: this.metrics.registry,
        tokens: () => store,
      });
    }
    this.metrics.bindStore(this.#store);
    this.#http = createHttpServer(this, this.#tls);
    await this.#startRpc(this.#store, this.#http);
    await this.#http.listen({ host: this.config.bindAddr, port: this.config.ports.http });
    if (!this.isAuthoritative) this.#startReplication(this.#store);
    this.#tokenGc = new TokenGc({
      store: this.#store,
      regionLog: this.#regionLog,
      log: this.log,
      thresholdMs: this.config.server.aclTokenGcThresholdMs,
      intervalMs: this.config.server.aclTokenGcIntervalMs,
      batch: this.#ha === undefined ? GC_BATCH : HA_GC_BATCH,
      collectsGlobal: this.isAuthoritative,
    });
    this.#leaderTasks.add(this.#tokenGc);
    // The only agent of a region always leads; in HA mode the election decides.
    if (this.#ha === undefined) await this.#leaderTasks.setLeading(true);
    else this.#ha.startElection(this.httpAddress);
    this.#status = 'running';
    this.log.info(
      {
        http: this.httpAddress,
        rpc: this.rpcAddress,
        dataDir: this.config.dataDir,
        authoritativeRegion: this.config.server.authoritativeRegion,
        index: this.#store.index(),
        ...(etcd === undefined ? {} : { ha: { endpoints: etcd.endpoints, prefix: etcd.prefix, agentId: this.#ha?.agentId } }),
      },
      'agent started',
    );
  }

  get oidc(): OidcFlow<ACLAuthMethod> {
    if (this.#oidc === undefined) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    return this.#oidc;
  }

  /**
   * The OIDC flow: pending logins in this agent's memory for a one-agent
   * region, in the region's etcd (sealed with the region key) in HA mode
   * so that any agent of the region completes a login another started.
   */
  #makeOidcFlow(key: Buffer): OidcFlow<ACLAuthMethod> {
    const etcd = this.config.etcd;
    const states =
      this.#ha === undefined || etcd === undefined
        ? new MemoryOidcStateStore()
        : new EtcdOidcStateStore({ client: this.#ha.etcdClient, prefix: etcd.prefix, box: new SecretBox(key) });
    return new OidcFlow({ methodByName: (name) => this.#store?.authMethod(name), states, discovery: new OidcDiscovery() });
  }

  get audit(): RequestAuditor | undefined {
    return this.#audit;
  }

  auditHash(input: string): string {
    if (this.#auditKey === undefined) throw new TollgateError('TOLLGATE_AGENT_NOT_STARTED', 'agent not started');
    return hmacSecret(this.#auditKey, input);
  }

  /** Reopens the audit log file (SIGHUP, after external rotation); a no-op without one. */
  reopenAudit(): void {
    this.#audit?.writer.reopen();
  }

  /**
   * SIGHUP: re-reads the TLS files. New HTTPS and RPC connections, and new
   * connections to other regions, use the new certificate; open ones keep
   * theirs. Bad files are logged and the current certificate stays.
   * Returns whether new material is in use (false without TLS).
   */
  reloadTls(): boolean {
    return this.#tls?.reload() ?? false;
  }

  apply(m: Mutation): Promise<{ index: number }> {
    return this.regionLog.apply(m);
  }

  /** Applies a batch replicated from the authoritative region through the region log (leader-only in HA mode). */
  async applyReplicated(batch: ReplicatedBatch): Promise<{ index: number }> {
    await this.#prepareReplicated(batch);
    return this.regionLog.applyReplicated(batch);
  }

  /**
   * Parses a replicated batch's policies on the parser thread before the
   * batch is applied, so that no check after the change parses on the event
   * loop: a policy change reaches this region once it is parsed (a parse is
   * bounded by the parser's own timeout). A capped wait was tried: under
   * load a 62 KiB policy took seconds to parse, the batch went in first, and
   * the first check parsed it on the loop, blocking it for seconds.
   */
  async #prepareReplicated(batch: ReplicatedBatch): Promise<void> {
    if (batch.upsertPolicies.length > 0) await this.resolver.prepare(batch.upsertPolicies);
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
    this.#replicationService = new ReplicationService(
      {
        region: this.config.region,
        authoritativeRegion: this.config.server.authoritativeRegion,
        isAuthoritative: this.isAuthoritative,
        store,
        tokens: this.resolver,
        log: this.log,
      },
      clock,
      () => this.replicationRevision.bump(),
    );
    const proto = loadTollgateProto();
    const grpcLog = this.log.child({ component: 'rpc' });
    const { tls, limits } = this.config;
    const agentTls = this.#tls;
    this.#grpc = new GrpcServer({
      host: this.config.bindAddr,
      port: this.config.ports.rpc,
      log: grpcLog,
      metrics: this.metrics,
      // The largest request any RPC takes is a forwarded write.
      maxReceiveBytes: limits.httpMaxBodyBytes + FORWARD_ENVELOPE_BYTES,
      ...(tls.rpc && agentTls !== undefined ? { tls: agentTls, requireServerCert: tls.verifyServerHostname } : {}),
      maxConnsPerClient: limits.rpcMaxConnsPerClient,
      handshakeTimeoutMs: limits.rpcHandshakeTimeoutMs,
      tlsMetrics: this.#tlsMetrics,
    });
    const replication = this.#replicationService.service();
    this.#grpc.addService(replication.definition, replication.handlers);
    this.#grpc.addService(
      proto.tollgate.v1.Forward.service,
      forwardHandlers({ region: this.config.region, inject: (req) => http.inject(req), log: grpcLog }),
    );
    await this.#grpc.listen();
  }

  /**
   * Registers the follower's replication loop as a leader task (needs peers
   * of the authoritative region): it runs while this agent leads its region
   * and writes through the region log. A new loop is made at each start.
   */
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
    const log = this.regionLog;
    // Reads from this agent's store; replicated batches through the region log.
    const replicaStore: ReplicaPort = {
      get status() {
        return store.status;
      },
      replicationCursor: () => store.replicationCursor(),
      globalDigest: () => store.globalDigest(),
      waitForReplication: (index, signal) => store.waitForReplication(index, signal),
      // Replicated policies are parsed (off the event loop) before they are
      // applied, so the first check after a policy change does not parse.
      applyReplicated: async (batch) => {
        await this.#prepareReplicated(batch);
        return log.applyReplicated(batch);
      },
    };
    let bound = false;
    let sampler: NodeJS.Timeout | undefined;
    this.#leaderTasks.add({
      name: 'replication',
      start: () => {
        this.#replication = this.#newReplicationLoop(replicaStore, source, peers);
        const loop = this.#replication;
        if (!bound) {
          bound = true;
          this.metrics.bindReplication(() => (this.#replication ?? loop).report());
        }
        loop.start();
        this.replicationRevision.bump();
        // Every loop event (connected, applied, error, resync, closed) is a
        // status change for blocking readers of /v1/acl/replication.
        void (async () => {
          for await (const _ev of loop.events()) this.replicationRevision.bump();
        })();
        // One cheap sample a second feeds the lag chart's history.
        clearInterval(sampler);
        sampler = setInterval(() => this.#lagHistory.record(Date.now(), loop.report().lagSeconds), 1000);
        sampler.unref();
      },
      stop: async () => {
        clearInterval(sampler);
        await this.#replication?.close();
      },
    });
  }

  #newReplicationLoop(store: ReplicaPort, source: string, peers: readonly string[]): ReplicationLoop {
    return new ReplicationLoop({
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
  }

  writeGlobal(w: AclWriteOp, secret: string, requestId?: string): Promise<AclWriteResult> {
    if (this.isAuthoritative) return runWrite(this, secret, w);
    return forwardGlobalWrite(this, this.#forwarder, w, secret, requestId);
  }

  forwardToRegion(region: string, req: ForwardRequest): Promise<ForwardResponse> {
    return this.#forwarder.forward(region, req);
  }

  wakeReplication(): void {
    this.#replication?.wake();
  }

  awaitAuthoritativeIndex(minIndex: number, signal?: AbortSignal): Promise<void> {
    return awaitAuthoritativeIndex(this, minIndex, this.config.server.replicationWaitMs, signal);
  }

  replicationStatus(opts: { history?: boolean } = {}): ReplicationStatusView & { readonly HA?: HaStatus } {
    const view = replicationStatusView(
      this.config.region,
      this.config.server.authoritativeRegion,
      this.#replication?.report(),
      this.#replicationService?.watchers() ?? [],
      opts.history === true ? this.#lagHistory.samples() : undefined,
      this.#store === undefined ? undefined : (this.#counter ??= new ObjectCounter(this.#store)).counts(),
    );
    // HA mode: this agent's leadership, term and applied etcd revision.
    return this.#ha === undefined ? view : { ...view, HA: this.#ha.status() };
  }

  health(): AgentHealth {
    // The region log (HA: etcd unreachable) or the local store (a failed
    // commit: disk full, I/O error) cannot take writes now.
    return agentHealth(this.#status, this.#regionLog?.degradedReason ?? this.#store?.degradedReason, this.#audit?.writer);
  }

  /**
   * One pass of expired-token GC (it also runs every
   * `server.acl_token_gc_interval` as a leader task). Only the region's
   * leader collects; returns how many tokens were deleted.
   */
  async collectExpiredTokens(now = new Date()): Promise<number> {
    if (this.#status !== 'running' || !this.#leaderTasks.leading) return 0;
    return (await this.#tokenGc?.collect(now)) ?? 0;
  }

  /**
   * The shutdown order, one list for `drain` and `close`: leader tasks first
   * (replication writes to the store, GC deletes), then the streams this
   * agent serves, so the RPC listener can drain without waiting on them;
   * then HTTP; then what in-flight requests used until the end.
   */
  #teardown(): TeardownStep[] {
    const http = this.#http;
    return [
      { name: 'leader tasks', close: () => this.#leaderTasks.close() },
      { name: 'replication loop', close: () => this.#replication?.close() },
      { name: 'replication streams', close: () => this.#replicationService?.close() },
      { name: 'rpc', drain: async (graceMs) => this.#grpc?.drain(graceMs), close: () => this.#grpc?.close() },
      { name: 'peer clients', close: () => this.#peers.close(), closeOnly: true },
      { name: 'commit clock', close: () => this.#stopCommitClock?.(), closeOnly: true },
      {
        name: 'http',
        drain: async (graceMs) => {
          if (http === undefined) return;
          const timer = setTimeout(() => http.server.closeAllConnections(), graceMs);
          await http.close();
          clearTimeout(timer);
        },
        close: () => http?.close(),
      },
      // HA: resign (another agent leads at once) and stop following etcd.
      { name: 'ha', close: () => this.#ha?.close(), closeOnly: true },
      // After the HTTP server: every answered request's line is written first.
      { name: 'audit log', close: () => this.#audit?.writer.close(), closeOnly: true },
      { name: 'region log', close: () => this.#regionLog?.close(), closeOnly: true },
      { name: 'store', close: () => this.#store?.close(), closeOnly: true },
      { name: 'policy parser', close: () => this.#policyParser?.close(), closeOnly: true },
    ];
  }

  /** Stops taking new requests and lets in-flight ones finish (up to graceMs). */
  async drain(graceMs = 5000): Promise<void> {
    if (this.#status !== 'running') return;
    this.#status = 'draining';
    for (const step of this.#teardown()) {
      if (step.closeOnly === true) continue;
      await (step.drain === undefined ? step.close() : step.drain(graceMs));
    }
  }

  /** Drains, then closes everything, the store last. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#status === 'running') await this.drain(0);
    for (const step of this.#teardown()) await step.close();
    this.#status = 'closed';
    this.log.info('agent stopped');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
