import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StateStore } from '@tollgate/state';

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

  constructor(region: string) {
    this.registry.setDefaultLabels({ region });
    collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_process_' });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'tollgate_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'code'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'tollgate_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern.',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.authorizeChecks = new Counter({
      name: 'tollgate_authorize_checks_total',
      help: 'Authorization checks answered, by result.',
      labelNames: ['result'],
      registers,
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
      help: 'Writes forwarded to another region, by region and outcome.',
      labelNames: ['region', 'outcome'],
      registers,
    });
  }

  /** Gauges read from the store at scrape time. */
  bindStore(store: StateStore): void {
    const registers = [this.registry];
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
