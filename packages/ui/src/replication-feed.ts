import { useEffect, useState } from 'preact/hooks';
import type { ReplicationStatus } from '@tollgate/client';
import { api } from './api';
import { CHART_WINDOW_MS } from './lag-chart';
import type { LagSample } from './lag-chart';

/** Longest a blocking read of the status is held by the agent. */
const WAIT_MS = 10_000;
/** Floor between two reads, so a busy region (a change per batch) costs at most one request a second. */
const MIN_GAP_MS = 1_000;
/** Pause after a failed read before the next try. */
const RETRY_MS = 2_000;

export interface ReplicationFeed {
  readonly status: ReplicationStatus | undefined;
  readonly error: unknown;
  /** When the last answer (or failure) arrived. */
  readonly updatedMs: number | undefined;
  readonly samples: readonly LagSample[];
}

/**
 * A region's replication status, kept live with Nomad blocking queries on
 * `GET /v1/acl/replication?region=…&index=…&wait=10s`: the agent answers as
 * soon as the status changes (or after the wait), and the next read starts
 * at once — no fixed polling. Each answer adds a lag sample (a failure adds
 * a gap), kept for the chart's 15 minutes.
 */
export function useReplicationFeed(region: string): ReplicationFeed {
  const [feed, setFeed] = useState<ReplicationFeed>({ status: undefined, error: undefined, updatedMs: undefined, samples: [] });
  useEffect(() => {
    const ac = new AbortController();
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        ac.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    const add = (prev: readonly LagSample[], s: LagSample): LagSample[] => [...prev.filter((p) => p[0] >= s[0] - CHART_WINDOW_MS), s];
    void (async () => {
      let index = 0;
      while (!ac.signal.aborted) {
        const started = Date.now();
        try {
          // The first read (and the first after a failure) brings the agent's
          // own 15-minute history, so the chart is full from the start.
          const first = index === 0;
          const res = await api(region).replicationStatus({ index, waitMs: WAIT_MS, signal: ac.signal, history: first });
          index = res.index;
          const status = res.data;
          const now = Date.now();
          const src = status.Sources[0];
          const lag = src?.LagSeconds ?? 0;
          setFeed((f) => {
            let samples: readonly LagSample[] = f.samples;
            if (first && src?.LagHistory) {
              // Server buckets before our oldest live sample; ours after.
              const oldestLive = f.samples.find((s) => s[1] !== null)?.[0] ?? now;
              const seeded = src.LagHistory.filter(([t]) => t < oldestLive - 10_000).map(([t, v]) => [t, v] as const);
              samples = [...seeded, ...f.samples].sort((a, b) => a[0] - b[0]);
            }
            return { status, error: undefined, updatedMs: now, samples: add(samples, [now, lag]) };
          });
          await sleep(Math.max(0, MIN_GAP_MS - (Date.now() - started)));
        } catch (err) {
          if (ac.signal.aborted) return;
          const now = Date.now();
          setFeed((f) => ({ ...f, error: err, updatedMs: now, samples: add(f.samples, [now, null]) }));
          index = 0;
          await sleep(RETRY_MS);
        }
      }
    })();
    return () => ac.abort();
  }, [region]);
  return feed;
}
