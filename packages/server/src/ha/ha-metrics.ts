import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RegionLogObserver } from './etcd-region-log.js';
import type { HaStatus } from './ha-context.js';

/** The counters the HA runtime feeds, plus its leadership switch. */
export type HaMetricsObserver = RegionLogObserver & { leaderChange(isLeader: boolean): void };

/**
 * Registers the HA metrics on the agent's registry (only in HA mode, so an
 * embedded agent does not export always-zero series). Gauges are read from
 * `status()` at scrape time; the returned observer feeds the counters.
 *
 * | metric | type | meaning |
 * | --- | --- | --- |
 * | `tollgate_ha_is_leader` | gauge | 1 while this agent leads its region and runs the leader tasks |
 * | `tollgate_ha_term` | gauge | fencing term of this agent's leadership (0 when not leading) |
 * | `tollgate_ha_applied_revision` | gauge | etcd revision applied to the local state machine |
 * | `tollgate_ha_etcd_revision` | gauge | newest region write revision this agent knows of |
 * | `tollgate_ha_watch_lag_seconds` | gauge | commit-to-apply delay of the last watched write: the staleness of token resolution and authorization |
 * | `tollgate_ha_watch_lag_observed_seconds` | histogram | the same, per applied watch response |
 * | `tollgate_ha_etcd_reachable` | gauge | 1 when etcd answers; 0 = degraded (writes refused) |
 * | `tollgate_ha_etcd_last_contact_seconds` | gauge | seconds since etcd last answered |
 * | `tollgate_ha_txn_conflicts_total` | counter | writes whose transaction lost a compare race and were re-planned (every member of a packed transaction counts) |
 * | `tollgate_ha_relists_total` | counter | full listings of the region (first start, compaction) |
 * | `tollgate_ha_leader_changes_total` | counter | times this agent started or stopped leading |
 */
export function registerHaMetrics(registry: Registry, status: () => HaStatus): HaMetricsObserver {
  const registers = [registry];
  const gauge = (name: string, help: string, read: (s: HaStatus) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(status()));
      },
    });
  };
  gauge('tollgate_ha_is_leader', 'Whether this agent leads its HA region (1) and runs the leader tasks.', (s) => (s.IsLeader ? 1 : 0));
  gauge('tollgate_ha_term', 'Fencing term (leader key create revision) of this agent\'s leadership; 0 when not leading.', (s) => s.Term);
  gauge('tollgate_ha_applied_revision', 'etcd revision applied to this agent\'s state machine.', (s) => s.AppliedIndex);
  gauge('tollgate_ha_etcd_revision', 'Newest region write revision this agent knows of.', (s) => s.EtcdIndex);
  gauge(
    'tollgate_ha_watch_lag_seconds',
    'Commit-to-apply delay of the last watched write: how stale token resolution and authorization are here.',
    (s) => s.WatchLagSeconds,
  );
  gauge('tollgate_ha_etcd_reachable', 'Whether etcd answers this agent (0 = degraded: writes refused, reads served locally).', (s) =>
    s.Reachable ? 1 : 0,
  );
  gauge('tollgate_ha_etcd_last_contact_seconds', 'Seconds since etcd last answered this agent.', (s) =>
    s.LastContactMs < 0 ? -1 : s.LastContactMs / 1000,
  );
  const lag = new Histogram({
    name: 'tollgate_ha_watch_lag_observed_seconds',
    help: 'Commit-to-apply delay of watched writes, per applied watch response.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers,
  });
  const conflicts = new Counter({
    name: 'tollgate_ha_txn_conflicts_total',
    help: 'Writes whose etcd transaction lost a compare race and were re-planned (every member of a packed transaction counts).',
    registers,
  });
  const relists = new Counter({
    name: 'tollgate_ha_relists_total',
    help: 'Full listings of the region from etcd (first start, compacted history).',
    registers,
  });
  const leaderChanges = new Counter({
    name: 'tollgate_ha_leader_changes_total',
    help: 'Times this agent started or stopped leading its region.',
    registers,
  });
  return {
    conflict: () => conflicts.inc(),
    relist: () => relists.inc(),
    applied: (seconds) => {
      if (seconds !== undefined) lag.observe(seconds);
    },
    leaderChange: () => leaderChanges.inc(),
  };
}
