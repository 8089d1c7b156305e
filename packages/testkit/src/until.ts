/**
 * Polls `fn` every 20 ms until it returns something truthy, and returns it;
 * throws after `timeoutMs`. For tests waiting on another region or a loop.
 */
export async function until<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
