/**
 * What the HTTP layer and the metrics see of HA mode (etcd). Kept in its own
 * file so handlers depend on this interface, not on the etcd machinery.
 */
export interface HaContext {
  /**
   * Waits until this agent has applied every write acknowledged anywhere in
   * its region before the call (one etcd read, then a local wait): the
   * barrier of a default-consistency read and of a write. Resolves with the
   * index reached.
   * @throws UnavailableError (503) when etcd is unreachable;
   *   WaitTimeoutError (504) when the local watch does not catch up in time.
   */
  sync(signal?: AbortSignal): Promise<number>;
  /** Milliseconds since etcd last answered this agent (-1 = never). */
  lastContactMs(): number;
  /** Whether etcd answers now. */
  reachable(): boolean;
  /** The agent's HA state, as `GET /v1/agent/ha` shows it. */
  status(): HaStatus;
}

/** `GET /v1/agent/ha` (field names in the API's PascalCase). */
export interface HaStatus {
  readonly Mode: 'etcd';
  readonly AgentID: string;
  readonly Endpoints: readonly string[];
  readonly Prefix: string;
  /** Whether this agent leads its region (runs GC, replication, compaction). */
  readonly IsLeader: boolean;
  /** The leader's fencing term (create revision of its leader key); 0 when this agent does not lead. */
  readonly Term: number;
  /** The region's leader as observed in etcd, or null when none is known. */
  readonly Leader: { readonly ID: string; readonly HTTPAddr: string } | null;
  /** The etcd revision this agent's state machine has applied. */
  readonly AppliedIndex: number;
  /** The newest region write revision this agent has heard of. */
  readonly EtcdIndex: number;
  /** Commit-to-apply delay of the last watched write (the staleness of local reads). */
  readonly WatchLagSeconds: number;
  readonly Watching: boolean;
  readonly Reachable: boolean;
  readonly LastContactMs: number;
  /** Why writes are refused now, or null. */
  readonly Degraded: string | null;
  /** Leader tasks running on this agent. */
  readonly LeaderTasks: readonly string[];
}
