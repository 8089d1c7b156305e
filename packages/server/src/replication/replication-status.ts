import type { ObjectCounts } from './object-counts.js';
import type { ReplicationReport } from './replication-loop.js';
import type { WatcherInfo } from './replication-service.js';

/** One source region as `GET /v1/acl/replication` shows it (Nomad-style PascalCase). */
export interface ReplicationSourceView {
  readonly SourceRegion: string;
  /** The loop is started and not closed (it may be backing off). */
  readonly Running: boolean;
  /** A Watch stream is open right now. */
  readonly Streaming: boolean;
  /** `connecting`, `snapshot`, `streaming`, `backoff` or `idle`. */
  readonly Phase: string;
  readonly Peer: string | null;
  /** RFC 3339, or null when nothing succeeded yet. */
  readonly LastSuccessTime: string | null;
  readonly LastError: { readonly Time: string; readonly Reason: string; readonly Message: string } | null;
  readonly AppliedIndex: number;
  readonly SourceIndex: number;
  readonly IndexLag: number;
  readonly LagSeconds: number;
  readonly Resyncs: number;
  readonly Errors: number;
  /** With `?history=true`: `[unix ms, worst lag seconds]` per 10 s over the last 15 minutes, oldest first. */
  readonly LagHistory?: ReadonlyArray<readonly [number, number]>;
}

/** The body of `GET /v1/acl/replication`. */
export interface ReplicationStatusView {
  readonly Region: string;
  readonly AuthoritativeRegion: string;
  /** Sources this region replicates from (empty in the authoritative region). */
  readonly Sources: readonly ReplicationSourceView[];
  /** Followers streaming from this agent (authoritative region only). */
  readonly Followers: ReadonlyArray<{ readonly Region: string; readonly Peer: string; readonly SentIndex: number; readonly Since: string }>;
  /** Tokens (global, local) and policies this region holds. */
  readonly Counts?: ObjectCounts;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Builds the `/v1/acl/replication` body from the loop's report and the served streams. */
export function replicationStatusView(
  region: string,
  authoritativeRegion: string,
  report: ReplicationReport | undefined,
  watchers: readonly WatcherInfo[],
  lagHistory?: ReadonlyArray<readonly [number, number]>,
  counts?: ObjectCounts,
): ReplicationStatusView {
  const sources: ReplicationSourceView[] = [];
  if (report !== undefined) {
    sources.push({
      SourceRegion: report.sourceRegion,
      Running: report.status === 'running',
      Streaming: report.phase === 'streaming',
      Phase: report.phase,
      Peer: report.peer ?? null,
      LastSuccessTime: iso(report.lastSuccessMs),
      LastError:
        report.lastError === undefined
          ? null
          : { Time: new Date(report.lastError.timeMs).toISOString(), Reason: report.lastError.reason, Message: report.lastError.message },
      AppliedIndex: report.appliedIndex,
      SourceIndex: report.sourceIndex,
      IndexLag: report.indexLag,
      LagSeconds: report.lagSeconds,
      Resyncs: report.resyncs,
      Errors: report.errors,
      ...(lagHistory === undefined ? {} : { LagHistory: lagHistory }),
    });
  }
  return {
    Region: region,
    AuthoritativeRegion: authoritativeRegion,
    Sources: sources,
    Followers: watchers.map((w) => ({ Region: w.region, Peer: w.peer, SentIndex: w.sentIndex, Since: new Date(w.startedMs).toISOString() })),
    ...(counts === undefined ? {} : { Counts: counts }),
  };
}
