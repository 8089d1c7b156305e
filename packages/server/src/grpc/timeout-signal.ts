/**
 * A signal that aborts after `timeoutMs` or when `parent` aborts, and a
 * `dispose()` that cancels the timer and unhooks the parent at once.
 *
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` does the same, but in
 * Node 20 every `any()` signal stays registered with its sources and every
 * timeout signal keeps its timer until garbage collection; at a thousand
 * bounded waits a second (replica waits, replication stream sleeps) that
 * garbage showed up as GC pauses in the replication-lag tail.
 *
 * @example
 * const t = timeoutSignal(5000, req.signal);
 * try { await store.waitForIndex(n, t.signal); } finally { t.dispose(); }
 */
export function timeoutSignal(timeoutMs: number, parent?: AbortSignal): { readonly signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  const timer = setTimeout(abort, timeoutMs);
  if (parent !== undefined) {
    if (parent.aborted) ac.abort();
    else parent.addEventListener('abort', abort, { once: true });
  }
  return {
    signal: ac.signal,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', abort);
    },
  };
}
