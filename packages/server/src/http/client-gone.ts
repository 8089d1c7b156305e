import type { FastifyReply } from 'fastify';

/**
 * A signal that fires when the HTTP client goes away before the answer is
 * written, for waits a request holds (blocking queries, min-index and HA
 * read barriers, forwarded calls). `release()` stops watching once the wait
 * is over. The response's 'close' is the event to watch: the request's
 * 'close' fires as soon as its body is read, which is too early.
 */
export function watchClientGone(reply: FastifyReply): { readonly signal: AbortSignal; release(): void } {
  const ac = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) ac.abort();
  };
  reply.raw.once('close', onClose);
  return { signal: ac.signal, release: () => reply.raw.off('close', onClose) };
}
