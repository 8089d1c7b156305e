import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StateStore } from '@tollgate/state';
import { ProtectionMetrics } from './protection-metrics.js';
import type { ReplicationErrorReason, ReplicationMetricsSink, ReplicationReport, ResyncReason } from './replication/replication-loop.js';

const HTTP_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** prom-client's record of one histogram series (not in its typings; pinned by metrics.test.ts). */
interface HistogramSeries {
  readonly labels: Record<string, string | number>;
  readonly bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * One route's requests (count by status code, latency histogram) kept in
 * typed arrays per request, and added to the prom-client counter and
 * histogram when they are read (a scrape), so a scrape shows exactly what
 * `inc` and `observe` per request would have. Why: prom-client hashes the
 * label set on every `inc`/`observe` (1.4 – 2.5 µs a request on the
 * authorize hot path); here a request costs two array writes.
 */
export class RouteTally {
  /** Requests by status code (100 – 599) not yet added to the counter. */
  private readonly codes = new Float64Array(600);
  /** Observations by bucket (the last: above every bound) not yet added to the histogram. */
  private readonly buckets: Float64Array;
  private sum = 0;
  private count = 0;
  private pendingCodes = false;

  constructor(
    private readonly method: string,
    private readonly route: string,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Float64Array(bounds.length + 1);
  }

  /** One answered request: its status code and its duration in seconds. */
  record(code: number, seconds: number): void {
    this.codes[code] = (this.codes[code] as number) + 1;
    this.pendingCodes = true;
    const bounds = this.bounds;
    let i = 0;
    // As prom-client: the first bucket whose upper bound is ≥ the value.
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    this.buckets[i] = (this.buckets[i] as number) + 1;
    this.sum += seconds;
    this.count++;
  }

  /** Adds the tallied requests to the counter (its `collect`). */
  addCounts(counter: Counter<'method' | 'route' | 'code'>): void {
    if (!this.pendingCodes) return;
    this.pendingCodes = false;
    for (let code = 0; code < this.codes.length; code++) {
      const n = this.codes[code] as number;
      if (n === 0) continue;
      this.codes[code] = 0;
      counter.inc({ method: this.method, route: this.route, code }, n);
    }
  }

  /** Adds the tallied durations to the histogram (its `collect`). */
  addDurations(histogram: Histogram<'route'>): void {
    if (this.count === 0) return;
    const series = histogramSeries(histogram, this.route);
    for (let i = 0; i < this.bounds.length; i++) {
      const bound = this.bounds[i] as number;
      series.bucketValues[bound] = (series.bucketValues[bound] ?? 0) + (this.buckets[i] as number);
    }
    series.sum += this.sum;
    series.count += this.count;
    this.buckets.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

// The histogram's record of the series `{route}`, made (zeroed) if there is none yet.
function histogramSeries(histogram: Histogram<'route'>, route: string): HistogramSeries {
  const find = (): HistogramSeries | undefined =>
    Object.values((histogram as unknown as { hashMap: Record<string, HistogramSeries> }).hashMap).find((s) => s.labels['route'] === route);
  let series = find();
  if (series === undefined) {
    histogram.zero({ route });
    series = find();
    if (series === undefined) throw new Error('prom-client histogram: series not found after zero()');
  }
  return series;
}

/**
 * The agent's Prometheus metrics, on one registry per agent (so several
 * agents can live in one test process). Label values never carry secrets:
 * routes are the registered patterns, not raw URLs.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'code'>;
  readonly httpDuration: Histogram<'route'>;
  readonly authorizeChecks: Counter<'result'>;
  readonly commitSeconds: Histogram;
  readonly commitBatchSize: Histogram;
  readonly forwards: Counter<'region' | 'outcome'>;
  readonly forwardSeconds: Histogram<'region'>;
  readonly grpcRequests: Counter<'method' | 'code'>;
  readonly replicationErrors: Counter<'source_region' | 'reason'>;
  readonly replicationResyncs: Counter<'source_region' | 'reason'>;
  readonly replicationAppliedChanges: Counter<'source_region'>;
  /** Limits, disk trouble, integrity at rest (issue 11). */
  readonly protection: ProtectionMetrics;
  /** Authorization results not yet added to `authorizeChecks` (added when it is read). */
  readonly authorizeTally = { allowed: 0, denied: 0 };
  private readonly routeTallies: RouteTally[] = [];

  constructor(region: string) {
    this.registry.setDefaultLabels({ region });
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_process_' });
    const registers = [this.registry];
    this.protection = new ProtectionMetrics(this.registry);
    this.httpRequests = new Counter({
      name: 'tollgate_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'code'],
      registers,
      collect: () => {
        for (const tally of this.routeTallies) tally.addCounts(this.httpRequests);
      },
    });
    this.httpDuration = new Histogram({
      name: 'tollgate_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern.',
      labelNames: ['route'],
      buckets: HTTP_DURATION_BUCKETS,
      registers,
      collect: () => {
        for (const tally of this.routeTallies) tally.addDurations(this.httpDuration);
      },
    });
    this.authorizeChecks = new Counter({
      name: 'tollgate_authorize_checks_total',
      help: 'Authorization checks answered, by result.',
      labelNames: ['result'],
      registers,
      collect: () => {
        const t = this.authorizeTally;
        if (t.allowed > 0) this.authorizeChecks.inc({ result: 'allowed' }, t.allowed);
        if (t.denied > 0) this.authorizeChecks.inc({ result: 'denied' }, t.denied);
        t.allowed = 0;
        t.denied = 0;
      },
    });
    this.commitSeconds = new Histogram({
      name: 'tollgate_state_commit_seconds',
      help: 'Time to make one group-committed batch durable (fsync included).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
    this.commitBatchSize = new Histogram({
      name: 'tollgate_state_commit_batch_size',
      help: 'Mutations per group-committed batch.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.forwards = new Counter({
      name: 'tollgate_forwarded_requests_total',
      help: 'Requests forwarded to another region (global writes, ?region=), by target region and outcome.',
      labelNames: ['region', 'outcome'],
      registers,
    });
    this.forwardSeconds = new Histogram({
      name: 'tollgate_forward_duration_seconds',
      help: 'Round trip of a forwarded request, by target region (the replica wait after a global write excluded).',
      labelNames: ['region'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.grpcRequests = new Counter({
      name: 'tollgate_grpc_requests_total',
      help: 'Inbound gRPC calls between regions, by method and status code.',
      labelNames: ['method', 'code'],
      registers,
    });
    this.replicationErrors = new Counter({
      name: 'tollgate_replication_errors_total',
      help: 'Failed replication attempts in this follower, by source region and reason (unreachable, permission_denied, …).',
      labelNames: ['source_region', 'reason'],
      registers,
    });
    this.replicationResyncs = new Counter({
      name: 'tollgate_replication_resyncs_total',
      help: 'Snapshot resyncs of this follower, by reason (horizon: behind the change feed; digest_mismatch: anti-entropy).',
      labelNames: ['source_region', 'reason'],
      registers,
    });
    this.replicationAppliedChanges = new Counter({
      name: 'tollgate_replication_applied_changes_total',
      help: 'Replicated upserts and deletions made durable in this follower.',
      labelNames: ['source_region'],
      registers,
    });
  }

  /**
   * A tally of one route's requests for a hot path: the same series in
   * `tollgate_http_requests_total` and `tollgate_http_request_duration_seconds`
   * as `inc`/`observe` per request, added when the metrics are read.
   */
  routeTally(method: string, route: string): RouteTally {
    const tally = new RouteTally(method, route, HTTP_DURATION_BUCKETS);
    this.routeTallies.push(tally);
    return tally;
  }

  /**
   * The counters a replication loop feeds, bound to its source region.
   * Every reason starts at 0 so that `rate()` and alerts see the series
   * before the first failure.
   */
  replicationSink(sourceRegion: string): ReplicationMetricsSink {
    const reasons: ReplicationErrorReason[] = [
      'unreachable',
      'permission_denied',
      'wrong_region',
      'heartbeat_timeout',
      'stream_error',
      'snapshot_incomplete',
      'apply_failed',
      'not_configured',
    ];
    for (const reason of reasons) this.replicationErrors.inc({ source_region: sourceRegion, reason }, 0);
    for (const reason of ['horizon', 'digest_mismatch'] as ResyncReason[]) this.replicationResyncs.inc({ source_region: sourceRegion, reason }, 0);
    this.replicationAppliedChanges.inc({ source_region: sourceRegion }, 0);
    return {
      error: (reason) => this.replicationErrors.inc({ source_region: sourceRegion, reason }),
      resync: (reason) => this.replicationResyncs.inc({ source_region: sourceRegion, reason }),
      applied: (changes) => this.replicationAppliedChanges.inc({ source_region: sourceRegion }, changes),
    };
  }

  /**
   * Replication gauges, read from the loop at scrape time (so the lag is as
   * of the scrape, not of the last event): lag in seconds and in indexes,
   * the applied index and the last success.
   */
  bindReplication(report: () => ReplicationReport): void {
    const registers = [this.registry];
    const labelNames = ['source_region'] as const;
    new Gauge({
      name: 'tollgate_replication_lag_seconds',
      help: 'Time since the oldest change not yet applied here was committed in the source region; 0 when caught up.',
      labelNames,
      registers,
      collect() {
        const r = report();
        this.set({ source_region: r.sourceRegion }, r.lagSeconds);
      },
    });
    new Gauge({
      name: 'tollgate_replication_index_lag',
      help: 'Source-region indexes known here but not yet applied.',
      labelNames,
      registers,
      collect() {
        const r = report();
        this.set({ source_region: r.sourceRegion }, r.indexLag);
      },
    });
    new Gauge({
      name: 'tollgate_replication_applied_index',
      help: 'The source-region index this follower has applied (its replication cursor).',
      labelNames,
      registers,
      collect() {
        const r = report();
        this.set({ source_region: r.sourceRegion }, r.appliedIndex);
      },
    });
    new Gauge({
      name: 'tollgate_replication_last_success_timestamp_seconds',
      help: 'When replication last applied a batch or received a heartbeat (Unix seconds; 0 = never).',
      labelNames,
      registers,
      collect() {
        const r = report();
        this.set({ source_region: r.sourceRegion }, (r.lastSuccessMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'tollgate_replication_running',
      help: '1 while the replication loop streams from the source region, else 0.',
      labelNames,
      registers,
      collect() {
        const r = report();
        this.set({ source_region: r.sourceRegion }, r.phase === 'streaming' ? 1 : 0);
      },
    });
  }

  /** Gauges read from the store at scrape time. */
  bindStore(store: StateStore): void {
    const registers = [this.registry];
    this.protection.bindStore(this.registry, store);
    new Gauge({
      name: 'tollgate_tokens',
      help: 'ACL tokens stored in this region.',
      registers,
      collect() {
        this.set(store.tokenCount());
      },
    });
    new Gauge({
      name: 'tollgate_policies',
      help: 'ACL policies stored in this region.',
      registers,
      collect() {
        this.set(store.listPolicies().length);
      },
    });
    new Gauge({
      name: 'tollgate_state_index',
      help: 'Last committed region index.',
      registers,
      collect() {
        this.set(store.index());
      },
    });
  }
}
