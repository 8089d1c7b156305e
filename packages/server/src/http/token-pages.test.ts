import type { ACLToken } from '@tollgate/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTokenFixture, startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';
import { STREAM_CHUNK, jsonArrayStream, tokenPage } from './token-pages.js';

/** Token lists: pages by `next_token`, big pages streamed, under concurrent writes. */

let t: TestAgent;
let root: string;

function token(name: string): ACLToken {
  return clientTokenFixture(['p'], { Name: name });
}

async function createMany(prefix: string, n: number, batch = 200): Promise<ACLToken[]> {
  const out: ACLToken[] = [];
  for (let i = 0; i < n; i += batch) {
    const tokens = Array.from({ length: Math.min(batch, n - i) }, (_, k) => token(`${prefix}-${i + k}`));
    await t.agent.apply({ type: 'token-upsert', tokens, mode: 'create' });
    out.push(...tokens);
  }
  return out;
}

/** Every page of a list, following X-Nomad-NextToken; each page's names. */
async function allPages(query: string, during?: () => Promise<void>): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let next = '';
  let pages = 0;
  for (;;) {
    const r = await t.call('GET', `/v1/acl/tokens?${query}${next === '' ? '' : `&next_token=${encodeURIComponent(next)}`}`, { token: root });
    expect(r.status, r.text).toBe(200);
    pages++;
    names.push(...(r.body as Array<{ Name: string }>).map((x) => x.Name));
    next = r.headers.get('X-Nomad-NextToken') ?? '';
    if (next === '') return { names, pages };
    await during?.();
  }
}

beforeAll(async () => {
  t = await startTestAgent();
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
  await createMany('base', 1500);
});
afterAll(async () => {
  await t.close();
});

describe('GET /v1/acl/tokens pages', () => {
  it('returns every token exactly once across pages while tokens are created and deleted between pages', async () => {
    const doomed = await createMany('doomed', 100);
    let round = 0;
    const { names, pages } = await allPages('per_page=97', async () => {
      round++;
      await createMany(`new${round}`, 7);
      const gone = doomed.splice(0, 5).map((d) => d.AccessorID);
      if (gone.length > 0) await t.agent.apply({ type: 'token-delete', accessors: gone });
    });
    expect(pages).toBeGreaterThan(15);
    // No duplicates at all, and every token that lived throughout is there.
    expect(new Set(names).size).toBe(names.length);
    const seen = new Set(names);
    for (let i = 0; i < 1500; i++) expect(seen.has(`base-${i}`), `base-${i}`).toBe(true);
    expect(seen.has('Bootstrap Token')).toBe(true);
  });

  it('pages in reverse and with a prefix give the same tokens as one page', async () => {
    const one = await t.call('GET', '/v1/acl/tokens?per_page=10000', { token: root });
    const all = (one.body as Array<{ Name: string; AccessorID: string }>).map((x) => x.Name);
    const reversed = await allPages('per_page=333&reverse=true');
    expect(reversed.names).toEqual([...all].reverse());
    const prefix = (one.body as Array<{ AccessorID: string }>)[5]!.AccessorID.slice(0, 1);
    const byPrefix = await allPages(`per_page=50&prefix=${prefix}`);
    const want = (one.body as Array<{ Name: string; AccessorID: string }>)
      .filter((x) => x.AccessorID.startsWith(prefix))
      .sort((a, b) => (a.AccessorID < b.AccessorID ? -1 : 1))
      .map((x) => x.Name);
    expect(byPrefix.names).toEqual(want);
  });

  it('pages a filtered list: the filter runs before the page is cut', async () => {
    const { names } = await allPages(`per_page=40&filter=${encodeURIComponent('Name matches "^base-1[0-9]$"')}`);
    expect(names.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `base-1${i}`).sort());
  });

  it('streams a page bigger than one chunk as the same JSON the stubs serialize to', async () => {
    const r = await t.call('GET', '/v1/acl/tokens?per_page=1200', { token: root });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = r.body as Array<{ AccessorID: string; SecretID?: string }>;
    expect(body).toHaveLength(1200);
    expect(body.some((x) => x.SecretID !== undefined)).toBe(false);
    expect(r.headers.get('X-Nomad-NextToken')).not.toBeNull();
  });
});

describe('jsonArrayStream and tokenPage', () => {
  async function text(items: readonly unknown[]): Promise<string> {
    let out = '';
    for await (const chunk of jsonArrayStream(items, (x) => ({ ...(x as object), mapped: true }))) out += String(chunk);
    return out;
  }

  it('writes exactly JSON.stringify of the mapped array, for empty, one-chunk and many-chunk arrays', async () => {
    for (const n of [0, 1, STREAM_CHUNK - 1, STREAM_CHUNK, STREAM_CHUNK + 1, 3 * STREAM_CHUNK + 7]) {
      const items = Array.from({ length: n }, (_, i) => ({ i, s: `x"${i}` }));
      expect(await text(items)).toBe(JSON.stringify(items.map((x) => ({ ...x, mapped: true }))));
    }
  });

  it('starts a page at next_token even when that token is gone, and ends with no next token', async () => {
    const sorted = [1, 2, 4, 5].map((i) => ({ ...token(`t${i}`), AccessorID: `a${i}`, CreateIndex: i }));
    const q = { byAccessor: false, perPage: 2, reverse: false };
    const names = (p: { tokens: readonly ACLToken[]; next: string | undefined }): { names: string[]; next: string | undefined } => ({
      names: p.tokens.map((x) => x.Name),
      next: p.next,
    });
    const page = await tokenPage(sorted, { ...q, nextToken: '3.a3' }, (x) => x.Name);
    expect(names(page)).toEqual({ names: ['t4', 't5'], next: undefined });
    const back = await tokenPage(sorted, { ...q, reverse: true, nextToken: '3.a3' }, (x) => x.Name);
    expect(names(back)).toEqual({ names: ['t2', 't1'], next: undefined });
    const first = await tokenPage(sorted, { ...q, nextToken: '' }, (x) => x.Name);
    expect(names(first)).toEqual({ names: ['t1', 't2'], next: '4.a4' });
    // A filter (on the stubs) that keeps odd ones: the page is cut after the filter.
    const odd = await tokenPage(sorted, { ...q, nextToken: '' }, (x) => x.Name, (name) => ['t1', 't5'].includes(name));
    expect(names(odd)).toEqual({ names: ['t1', 't5'], next: undefined });
  });
});
