import type { Mutation, StateStore } from '@tollgate/state';
import type { RequestAuditor } from './audit/request-auditor.js';
import type { JwtVerifier } from './auth/jwt-verifier.js';
import type { ResolvedAgentConfig } from './config.js';
import type { AclWriteOp, AclWriteResult } from './acl-write.js';
import type { ForwardRequest, ForwardResponse } from './forwarding/forwarded-http.js';
import type { HaContext } from './ha/ha-context.js';
import type { Logger } from './logger.js';
import type { AgentMetrics } from './metrics.js';
import type { ReplicationStatusView } from './replication/replication-status.js';
import type { StatusRevision } from './replication/status-revision.js';
import type { TokenResolver } from './token-resolver.js';

/**
 * What the HTTP and gRPC handlers need from the agent. Kept in its own file
 * so that handlers and the agent do not import each other.
 */
export interface AgentContext {
  readonly config: ResolvedAgentConfig;
  readonly store: StateStore;
  readonly resolver: TokenResolver;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  /** `<data_dir>/server/acl-bootstrap-reset`. */
  readonly bootstrapResetFile: string;
  /**
   * HA mode (an `etcd` block): the read barrier, etcd reachability and HA
   * status. `undefined` with one agent per region.
   */
  readonly ha?: HaContext | undefined;
  /** The audit log (`audit { enabled = true }`); `undefined` when it is off. */
  readonly audit?: RequestAuditor | undefined;
  /** `hmac-sha256:<hex>` of a secret under this region's audit key (`POST /v1/audit/hash`). */
  auditHash(input: string): string;
  /** Verifies login JWTs (key sets cached across logins). */
  readonly jwtVerifier: JwtVerifier;
  /** Commits a mutation in this region (durable and applied here on return). */
  apply(m: Mutation): Promise<{ index: number }>;
  /** Whether this agent's region is the authoritative one. */
  readonly isAuthoritative: boolean;
  /**
   * Runs a write that belongs to the authoritative region (bootstrap,
   * policies, global tokens): here when this region is authoritative, else
   * forwarded there with the caller's secret; answers once this region's
   * replica has caught up with the returned index (read-your-writes).
   */
  writeGlobal(w: AclWriteOp, secret: string, requestId?: string): Promise<AclWriteResult>;
  /**
   * Runs an HTTP API request in another region (Nomad's `?region=`) over
   * gRPC and returns its answer unchanged.
   * @throws NoPathToRegionError (Nomad's 500 `No path to region`) when the
   *   region has no `server.region_peers` entry; RegionUnavailableError (503,
   *   names the region) when none of its peers answers.
   */
  forwardToRegion(region: string, req: ForwardRequest): Promise<ForwardResponse>;
  /**
   * Resolves once this region has applied the authoritative region's index
   * `minIndex` (`X-Tollgate-Min-Index`), waiting at most
   * `server.replication_wait`; then WaitTimeoutError (504).
   */
  awaitAuthoritativeIndex(minIndex: number, signal?: AbortSignal): Promise<void>;
  /** What `GET /v1/acl/replication` shows; `history` adds the follower's lag of the last 15 minutes. */
  replicationStatus(opts?: { history?: boolean }): ReplicationStatusView;
  /** Moves when the replication status changes (the status's blocking-query index). */
  readonly replicationRevision: StatusRevision;
  /** What `/v1/agent/health` reports. */
  health(): AgentHealth;
}

/** The agent's health as `/v1/agent/health` reports it. */
export interface AgentHealth {
  readonly ok: boolean;
  /**
   * `serving`, or `degraded`: etcd unreachable (reads only; ok), or the audit
   * log cannot be written (fail-closed: not ok, ACL requests get 503;
   * `audit.fail_open`: ok, served unaudited).
   */
  readonly status: 'serving' | 'degraded' | 'draining';
  readonly message: string;
}
