/**
 * Resolves after `ms`, or at once when `signal` aborts (never rejects: the
 * caller checks `signal.aborted` to tell which). The one sleep of the
 * server: replication, etcd retries, the leader election and the HA probes
 * all wait through it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
