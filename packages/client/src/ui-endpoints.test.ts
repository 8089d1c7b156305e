import { describe, expect, it } from 'vitest';
import { TollgateClient } from './tollgate-client.js';

/** A client whose fetch records each request and answers with `answer`. */
function recording(answer: () => Response): { client: TollgateClient; requests: Array<{ url: URL; init: RequestInit | undefined }> } {
  const requests: Array<{ url: URL; init: RequestInit | undefined }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: new URL(String(input)), init });
    return answer();
  }) as typeof globalThis.fetch;
  return { client: new TollgateClient({ address: 'http://agent:4646', token: 's3cret', env: {}, fetch }), requests };
}

const json = (body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json', ...headers } });

describe('what the web UI asks of the client', () => {
  it('pages and filters lists and returns the next page token', async () => {
    const { client, requests } = recording(() => json([], { 'X-Nomad-Index': '9', 'X-Nomad-NextToken': 'abc' }));
    const res = await client.listTokens({ perPage: 25, nextToken: 'x1', filter: 'Name == "ci"', prefix: 'ab' });
    const q = requests[0]!.url.searchParams;
    expect(q.get('per_page')).toBe('25');
    expect(q.get('next_token')).toBe('x1');
    expect(q.get('filter')).toBe('Name == "ci"');
    expect(q.get('prefix')).toBe('ab');
    expect(res).toEqual({ data: [], index: 9, nextToken: 'abc' });
    // No next page: no nextToken; empty options send nothing.
    const last = recording(() => json([]));
    expect((await last.client.listTokens({ nextToken: '', filter: '' })).nextToken).toBeUndefined();
    expect([...last.requests[0]!.url.searchParams.keys()]).toEqual([]);
  });

  it('validates a policy, lists regions, and reads the replication status with its history', async () => {
    const { client, requests } = recording(() => json({ Valid: true, Error: null, Position: null }));
    await client.validatePolicy({ Name: 'p', Rules: 'agent {}' });
    expect(requests[0]!.url.pathname).toBe('/v1/validate/acl-policy');
    expect(requests[0]!.init?.method).toBe('POST');
    expect(JSON.parse(String(requests[0]!.init?.body))).toEqual({ Name: 'p', Rules: 'agent {}' });

    const regions = recording(() => json(['eu-west', 'global']));
    expect((await regions.client.regions()).data).toEqual(['eu-west', 'global']);
    expect(regions.requests[0]!.url.pathname).toBe('/v1/regions');

    const status = recording(() => json({ Region: 'eu-west', AuthoritativeRegion: 'global', Sources: [], Followers: [] }));
    await status.client.replicationStatus({ history: true, index: 5, waitMs: 10_000 });
    await status.client.replicationStatus();
    const [withHistory, plain] = status.requests.map((r) => r.url.searchParams);
    expect(withHistory!.get('history')).toBe('true');
    expect(withHistory!.get('index')).toBe('5');
    expect(withHistory!.get('wait')).toBe('10000ms');
    expect(plain!.has('history')).toBe(false);
  });

  it('checks another token in the body, never in the URL', async () => {
    const { client, requests } = recording(() => json({ AccessorID: 'a', Results: [] }));
    await client.authorize([{ Resource: 'node', Capability: 'read' }], { secretId: 'other-secret' });
    await client.authorize([{ Resource: 'node', Capability: 'read' }]);
    expect(JSON.parse(String(requests[0]!.init?.body))).toEqual({ Checks: [{ Resource: 'node', Capability: 'read' }], SecretID: 'other-secret' });
    expect(requests[0]!.url.href).not.toContain('secret');
    expect(JSON.parse(String(requests[1]!.init?.body))).toEqual({ Checks: [{ Resource: 'node', Capability: 'read' }] });
  });
});

describe('listAllTokens', () => {
  it('follows X-Nomad-NextToken until the last page and returns every token once, with the last index', async () => {
    const pages: Array<{ body: unknown; headers: Record<string, string> }> = [
      { body: [{ AccessorID: 'a' }, { AccessorID: 'b' }], headers: { 'X-Nomad-Index': '7', 'X-Nomad-NextToken': '5.c' } },
      { body: [{ AccessorID: 'c' }], headers: { 'X-Nomad-Index': '8', 'X-Nomad-NextToken': '9.d' } },
      { body: [{ AccessorID: 'd' }], headers: { 'X-Nomad-Index': '9' } },
    ];
    let n = 0;
    const { client, requests } = recording(() => {
      const p = pages[n++]!;
      return json(p.body, p.headers);
    });
    const res = await client.listAllTokens({ filter: 'Name == "x"', perPage: 2 });
    expect(res.data.map((t) => t.AccessorID)).toEqual(['a', 'b', 'c', 'd']);
    expect(res.index).toBe(9);
    expect(res.nextToken).toBeUndefined();
    expect(requests.map((r) => r.url.searchParams.get('next_token'))).toEqual([null, '5.c', '9.d']);
    expect(requests.every((r) => r.url.searchParams.get('filter') === 'Name == "x"' && r.url.searchParams.get('per_page') === '2')).toBe(true);
  });

  it('stops at the first failing page with its error', async () => {
    let n = 0;
    const { client } = recording(() =>
      n++ === 0 ? json([{ AccessorID: 'a' }], { 'X-Nomad-NextToken': 'x' }) : new Response('Permission denied', { status: 403 }),
    );
    await expect(client.listAllTokens()).rejects.toThrow(/403/);
  });
});
