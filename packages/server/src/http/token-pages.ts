import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ACLToken } from '@tollgate/state';

/** How to cut one page out of a sorted token listing (Nomad's `per_page`, `next_token`, `reverse`). */
export interface PageQuery {
  /** Keys are AccessorIDs (a `prefix` listing, sorted by AccessorID), else `<CreateIndex>.<AccessorID>`. */
  readonly byAccessor: boolean;
  readonly perPage: number;
  readonly nextToken: string;
  readonly reverse: boolean;
}

/** One page: its tokens and the `X-Nomad-NextToken` of the next one (if any). */
export interface Page {
  readonly tokens: readonly ACLToken[];
  readonly next: string | undefined;
}

/** Tokens a filtered page scans per event-loop turn. */
const SCAN_CHUNK = 2_000;

/**
 * Nomad's token-list pagination (facts §4.1) over a listing sorted in key
 * order (`StateStore.listTokens`, which never changes once returned): the
 * next token is the key of the first entry not returned,
 * `<CreateIndex>.<AccessorID>` by default, `<AccessorID>` with a prefix.
 *
 * Cost: the start is found by binary search and nothing is built per token
 * (the answer's stubs are made as it is written, {@link jsonArrayStream}),
 * so a page out of 300k tokens costs what its `perPage` entries cost. With
 * a `keep` filter (run on the stubs, as answered) the scan goes on until
 * the page is full, yielding to the event loop every SCAN_CHUNK tokens.
 */
export async function tokenPage<S>(
  sorted: readonly ACLToken[],
  q: PageQuery,
  stub: (t: ACLToken) => S,
  keep?: (s: S) => boolean,
): Promise<Page> {
  const key = (t: ACLToken): string => (q.byAccessor ? t.AccessorID : `${t.CreateIndex}.${t.AccessorID}`);
  const step = q.reverse ? -1 : 1;
  let i: number;
  if (q.nextToken === '') i = q.reverse ? sorted.length - 1 : 0;
  else {
    // First entry with key >= nextToken (forward); last with key <= nextToken (reverse).
    const firstAfter = lowerBound(sorted, (t) => compareKey(key(t), q.nextToken) < (q.reverse ? 1 : 0));
    i = q.reverse ? firstAfter - 1 : firstAfter;
  }
  const tokens: ACLToken[] = [];
  let scanned = 0;
  for (; i >= 0 && i < sorted.length; i += step) {
    const t = sorted[i]!;
    if (keep === undefined || keep(stub(t))) {
      if (tokens.length === q.perPage) return { tokens, next: key(t) };
      tokens.push(t);
    }
    if (keep !== undefined && ++scanned % SCAN_CHUNK === 0) await nextTurn();
  }
  return { tokens, next: undefined };
}

/** Index of the first entry for which `before` is false (entries where it is true come first). */
function lowerBound(sorted: readonly ACLToken[], before: (t: ACLToken) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(sorted[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Orders `<CreateIndex>.<AccessorID>` keys numerically by index first. */
function compareKey(a: string, b: string): number {
  const [ai, aa = ''] = splitKey(a);
  const [bi, ba = ''] = splitKey(b);
  if (ai !== bi) return ai - bi;
  return aa < ba ? -1 : aa > ba ? 1 : 0;
}

function splitKey(k: string): [number, string] {
  const dot = k.indexOf('.');
  if (dot === -1) return [0, k];
  const n = Number(k.slice(0, dot));
  return [Number.isFinite(n) ? n : 0, k.slice(dot + 1)];
}

/** Entries serialized per event-loop turn by {@link jsonArrayStream}. */
export const STREAM_CHUNK = 200;

/**
 * A JSON array of `items.map(map)` as a stream of chunks of STREAM_CHUNK
 * entries, each mapped and serialized in its own event-loop turn, so a big
 * answer (10,000 token stubs are ~3 MB of JSON) is never built in one go
 * while other requests wait (in one go it held the loop 400–500 ms here).
 * Same bytes as `JSON.stringify(items.map(map))`.
 */
export function jsonArrayStream<T>(items: readonly T[], map: (item: T) => unknown): Readable {
  return Readable.from(
    (async function* chunks(): AsyncGenerator<string> {
      if (items.length === 0) {
        yield '[]';
        return;
      }
      for (let start = 0; start < items.length; start += STREAM_CHUNK) {
        const part = JSON.stringify(items.slice(start, start + STREAM_CHUNK).map(map));
        // Each chunk is a JSON array: keep its brackets only at the ends.
        const open = start === 0 ? '[' : ',';
        const close = start + STREAM_CHUNK >= items.length ? ']' : '';
        yield open + part.slice(1, -1) + close;
        await nextTurn();
      }
    })(),
    { objectMode: false },
  );
}
