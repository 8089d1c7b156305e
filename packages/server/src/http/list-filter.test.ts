import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';
import { POLICY_STUB_SCHEMA, TOKEN_STUB_SCHEMA, listFilter } from './list-filter.js';

/** `?filter=` on the list endpoints: go-bexpr expressions over the answered stubs. */

let t: TestAgent;
let root: string;
let rootAccessor: string;
const tokens: Record<string, { AccessorID: string; SecretID: string }> = {};

const q = (f: string): string => `filter=${encodeURIComponent(f)}`;
const names = async (path: string, token = root): Promise<string[]> => {
  const r = await t.call('GET', path, { token });
  expect(r.status, r.text).toBe(200);
  return (r.body as Array<{ Name: string }>).map((x) => x.Name);
};

beforeAll(async () => {
  t = await startTestAgent();
  const boot = (await t.call('POST', '/v1/acl/bootstrap')).body;
  root = boot.SecretID;
  rootAccessor = boot.AccessorID;
  for (const [name, body] of [
    ['ops', { Description: 'operations', Rules: '' }],
    ['ci-read', { Description: 'CI readers', Rules: '' }],
    ['wi', { Description: '', Rules: '', JobACL: { Namespace: 'prod', JobID: 'web' } }],
  ] as const) {
    expect((await t.call('POST', `/v1/acl/policy/${name}`, { token: root, body: { Name: name, ...body } })).status).toBe(200);
  }
  for (const [name, body] of [
    ['ci-runner', { Type: 'client', Policies: ['ops', 'ci-read'] }],
    ['ci-deployer', { Type: 'client', Policies: ['ops'], Global: true }],
    ['web', { Type: 'client', Policies: ['wi'], ExpirationTTL: '1h' }],
    ['admin', { Type: 'management' }],
  ] as const) {
    const r = await t.call('POST', '/v1/acl/token', { token: root, body: { Name: name, ...body } });
    expect(r.status, r.text).toBe(200);
    tokens[name] = r.body;
  }
});
afterAll(async () => {
  await t.close();
});

describe('GET /v1/acl/tokens?filter=', () => {
  it.each([
    ['Name contains "ci"', ['ci-runner', 'ci-deployer']],
    ['Name not contains "ci"', ['Bootstrap Token', 'web', 'admin']],
    ['Type == "management"', ['Bootstrap Token', 'admin']],
    ['Type != management', ['ci-runner', 'ci-deployer', 'web']],
    ['"ops" in Policies', ['ci-runner', 'ci-deployer']],
    ['"ops" not in Policies', ['Bootstrap Token', 'web', 'admin']],
    ['Policies contains "ci-read"', ['ci-runner']],
    ['Policies is empty', ['Bootstrap Token', 'admin']],
    ['Policies is not empty', ['ci-runner', 'ci-deployer', 'web']],
    ['Name matches "^ci-(run|dep)"', ['ci-runner', 'ci-deployer']],
    ['Name not matches "^ci-"', ['Bootstrap Token', 'web', 'admin']],
    ['Global == true and Type == client', ['ci-deployer']],
    ['ExpirationTime is not empty', ['web']],
    ['Roles is empty and Name == web', ['web']],
    ['not (Type == management or Name contains "ci")', ['web']],
    ['Name == "nobody"', []],
  ])('%s', async (filter, expected) => {
    expect(await names(`/v1/acl/tokens?${q(filter)}`)).toEqual(expected);
  });

  it('applies the filter before pagination, and pages through the matches only', async () => {
    const filter = q('Type == client');
    const first = await t.call('GET', `/v1/acl/tokens?${filter}&per_page=2`, { token: root });
    expect((first.body as Array<{ Name: string }>).map((x) => x.Name)).toEqual(['ci-runner', 'ci-deployer']);
    const next = first.headers.get('x-nomad-nexttoken');
    // Nomad's next token: `<CreateIndex>.<AccessorID>` of the first match not returned.
    const web = (await t.call('GET', `/v1/acl/token/${tokens['web']!.AccessorID}`, { token: root })).body;
    expect(next).toBe(`${web.CreateIndex}.${web.AccessorID}`);
    const second = await t.call('GET', `/v1/acl/tokens?${filter}&per_page=2&next_token=${encodeURIComponent(next ?? '')}`, { token: root });
    expect((second.body as Array<{ Name: string }>).map((x) => x.Name)).toEqual(['web']);
    expect(second.headers.get('x-nomad-nexttoken')).toBeNull();
  });

  it('combines with prefix', async () => {
    const prefix = rootAccessor.slice(0, 2);
    const r = await t.call('GET', `/v1/acl/tokens?prefix=${prefix}&${q('Type == management')}`, { token: root });
    expect(r.status, r.text).toBe(200);
    const got = r.body as Array<{ AccessorID: string; Type: string }>;
    expect(got.every((x) => x.AccessorID.startsWith(prefix) && x.Type === 'management')).toBe(true);
    expect(got.map((x) => x.AccessorID)).toContain(rootAccessor);
  });

  it('blocks until a matching change, and answers the filtered list', async () => {
    const index = Number((await t.call('GET', '/v1/acl/tokens', { token: root })).headers.get('x-nomad-index'));
    const pending = t.call('GET', `/v1/acl/tokens?index=${index}&wait=10s&${q('Name == "late"')}`, { token: root });
    await new Promise((r) => setTimeout(r, 50));
    const late = await t.call('POST', '/v1/acl/token', { token: root, body: { Name: 'late', Type: 'client', Policies: ['ops'] } });
    const r = await pending;
    expect(r.status).toBe(200);
    expect(Number(r.headers.get('x-nomad-index'))).toBeGreaterThan(index);
    expect((r.body as Array<{ AccessorID: string }>).map((x) => x.AccessorID)).toEqual([late.body.AccessorID]);
    await t.call('DELETE', `/v1/acl/token/${late.body.AccessorID}`, { token: root });
  });

  it.each([
    ['Name ==', /^failed to read filter expression: syntax error at column 8: /],
    ['Nmae == "x"', /^failed to read filter expression: unknown field "Nmae" in selector Nmae$/],
    ['SecretID matches "^a"', /unknown field "SecretID"/],
    ['CreateIndex matches "1"', /operator "matches" is not supported on number field CreateIndex/],
    ['Global is empty', /operator "is empty" is not supported on bool field Global/],
    ['Name matches "(("', /invalid regular expression/],
    ['CreateIndex == abc', /value "abc" is not a number/],
    ['Name == "x" or', /syntax error/],
  ])('refuses %s with a 400 naming the problem, before any wait', async (filter, message) => {
    const r = await t.call('GET', `/v1/acl/tokens?index=999999&wait=60s&${q(filter)}`, { token: root });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(message);
  });

  it('still needs a management token', async () => {
    const r = await t.call('GET', `/v1/acl/tokens?${q('Name == "x"')}`, { token: tokens['ci-runner']!.SecretID });
    expect(r.status).toBe(403);
  });
});

describe('GET /v1/acl/policies?filter= and /v1/acl/policy/self?filter=', () => {
  it.each([
    ['Name contains "ci"', ['ci-read']],
    ['Description == "operations"', ['ops']],
    ['Description is empty', ['wi']],
    ['JobACL.Namespace == "prod"', ['wi']],
    ['JobACL.JobID != "web"', ['ci-read', 'ops']],
    ['JobACL.Namespace is not empty', ['wi']],
    ['"/JobACL/JobID" == web', ['wi']],
    ['Name matches "^(ops|wi)$" and JobACL.Namespace is empty', ['ops']],
  ])('%s', async (filter, expected) => {
    expect(await names(`/v1/acl/policies?${q(filter)}`)).toEqual(expected);
  });

  it('filters within what the caller may see', async () => {
    expect(await names(`/v1/acl/policies?${q('Name contains "i"')}`, tokens['ci-runner']!.SecretID)).toEqual(['ci-read']);
    expect(await names(`/v1/acl/policy/self?${q('Name != ops')}`, tokens['ci-runner']!.SecretID)).toEqual(['ci-read']);
  });

  it('refuses an unknown field, emptiness of a struct or a bad expression with a 400', async () => {
    expect((await t.call('GET', `/v1/acl/policies?${q('JobACL is empty')}`, { token: root })).text).toBe(
      'failed to read filter expression: operator "is empty" is not supported on struct field JobACL',
    );
    const r = await t.call('GET', `/v1/acl/policies?${q('Rules contains "x"')}`, { token: root });
    expect(r).toMatchObject({ status: 400, text: 'failed to read filter expression: unknown field "Rules" in selector Rules' });
    expect((await t.call('GET', `/v1/acl/policy/self?${q('((')}`, { token: root })).status).toBe(400);
  });
});

describe('listFilter', () => {
  it('reuses the compiled predicate for a repeated expression, per schema, and never caches a refusal', () => {
    const a = listFilter('Name == "x"', TOKEN_STUB_SCHEMA);
    expect(a).toBeDefined();
    expect(listFilter('Name == "x"', TOKEN_STUB_SCHEMA)).toBe(a);
    expect(listFilter('Name == "x"', POLICY_STUB_SCHEMA)).not.toBe(a);
    expect(listFilter('', TOKEN_STUB_SCHEMA)).toBeUndefined();
    expect(() => listFilter('Rules == "x"', POLICY_STUB_SCHEMA)).toThrow('unknown field "Rules"');
    expect(() => listFilter('Rules == "x"', POLICY_STUB_SCHEMA)).toThrow('unknown field "Rules"');
  });

  it('stays correct beyond its bound', () => {
    for (let i = 0; i < 300; i++) expect(listFilter(`CreateIndex == ${i}`, TOKEN_STUB_SCHEMA)?.({ CreateIndex: i })).toBe(true);
    expect(listFilter('CreateIndex == 0', TOKEN_STUB_SCHEMA)?.({ CreateIndex: 1 })).toBe(false);
  });
});
