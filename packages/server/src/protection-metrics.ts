import { Counter, Gauge, type Registry } from 'prom-client';
import type { StateStore } from '@tollgate/state';

/**
 * Metrics of the agent's defences: request limits, connection limits, disk
 * trouble and records refused for failing their integrity check. Label
 * values never carry client addresses or secrets (they would be unbounded
 * and sensitive); the logs name the address of a refused client.
 */
export class ProtectionMetrics {
  /** Requests answered 429, by `kind` (`write` | `check`) and `scope` (`client` | `token` | `anonymous`). */
  readonly rateLimited: Counter<'kind' | 'scope'>;
  /** Connections closed at once because their client address held too many. */
  readonly connectionsRefused: Counter;
  /** Group-committed writes rejected because the store could not commit. */
  readonly commitFailures: Counter;
  /** Stored records refused at load or from etcd because their MAC did not verify, by table. */
  readonly recordsRefused: Counter<'table' | 'source'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rateLimited = new Counter({
      name: 'tollgate_http_rate_limited_total',
      help: 'Requests refused with 429 by limits.request_limits, by kind (write/check) and scope (client address/token/anonymous caller).',
      labelNames: ['kind', 'scope'],
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'tollgate_http_connections_refused_total',
      help: 'HTTP connections closed at once: their client address already held limits.http_max_conns_per_client.',
      registers,
    });
    this.commitFailures = new Counter({
      name: 'tollgate_state_commit_failures_total',
      help: 'Writes rejected because the state store could not commit (disk full, I/O error, degraded store).',
      registers,
    });
    this.recordsRefused = new Counter({
      name: 'tollgate_state_records_refused_total',
      help: 'Stored token or policy records refused because their integrity check failed (edited at rest).',
      labelNames: ['table', 'source'],
      registers,
    });
  }

  /** `tollgate_state_degraded`: 1 while the store refuses writes after a failed commit. */
  bindStore(registry: Registry, store: StateStore): void {
    new Gauge({
      name: 'tollgate_state_degraded',
      help: '1 while the state store refuses writes after a failed commit (it retries by itself), else 0.',
      registers: [registry],
      collect() {
        this.set(store.degradedReason === undefined ? 0 : 1);
      },
    });
  }
}
