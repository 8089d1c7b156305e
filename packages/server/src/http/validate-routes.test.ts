import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';
import { errorPosition } from './validate-routes.js';

let t: TestAgent;
let root: string;

beforeEach(async () => {
  t = await startTestAgent();
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
});

afterEach(async () => {
  await t.close();
});

const validate = (body: unknown, token = root) => t.call('POST', '/v1/validate/acl-policy', { token, body });

describe('POST /v1/validate/acl-policy', () => {
  it('accepts valid rules and writes nothing', async () => {
    const before = t.agent.store.index();
    const r = await validate({ Name: 'app', Rules: 'namespace "default" { policy = "read" }' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ Valid: true, Error: null, Position: null });
    expect(t.agent.store.index()).toBe(before);
    expect((await t.call('GET', '/v1/acl/policy/app', { token: root })).status).toBe(404);
  });

  it('answers a syntax error with the write\'s own text and the parser\'s position', async () => {
    const rules = 'namespace "default" {\n  policy = "read"\n';
    const v = await validate({ Name: 'app', Rules: rules });
    expect(v.status).toBe(200);
    const write = await t.call('POST', '/v1/acl/policy/app', { token: root, body: { Name: 'app', Rules: rules } });
    expect(write.status).toBe(400);
    expect(v.body.Valid).toBe(false);
    expect(v.body.Error).toBe(write.text);
    expect(v.body.Position).toMatchObject({ Line: 3 });
  });

  it('points a semantic error at the block it names', async () => {
    const v = await validate({ Rules: '# ops\nnamespace "default" {\n  policy = "read"\n}\n\nnamespace "ops" {\n  policy = "rea"\n}\n' });
    expect(v.body.Valid).toBe(false);
    expect(v.body.Error).toContain('Invalid namespace policy');
    expect(v.body.Position).toEqual({ Line: 6, Column: 1 });
  });

  it('checks the name and description as a write does, and the rules alone without a name', async () => {
    const bad = await validate({ Name: 'bad name!', Rules: 'agent { policy = "read" }' });
    expect(bad.body).toMatchObject({ Valid: false, Position: null });
    expect(bad.body.Error).toContain("invalid name 'bad name!'");
    expect((await validate({ Rules: 'agent { policy = "read" }' })).body.Valid).toBe(true);
    expect((await validate({ Description: 'x'.repeat(300), Rules: 'agent { policy = "read" }' })).body.Error).toContain('description longer than 256');
  });

  it('refuses non-management callers and bodies that are not a policy', async () => {
    expect((await t.call('POST', '/v1/acl/policy/p', { token: root, body: { Name: 'p', Rules: 'agent { policy = "read" }' } })).status).toBe(200);
    const created = await t.call('POST', '/v1/acl/token', { token: root, body: { Type: 'client', Policies: ['p'] } });
    expect(created.status).toBe(200);
    const client = created.body.SecretID as string;
    expect((await validate({ Rules: '' }, client)).status).toBe(403);
    expect((await t.call('POST', '/v1/validate/acl-policy', { body: { Rules: '' } })).status).toBe(403);
    const arr = await validate([1, 2]);
    expect(arr.status).toBe(400);
    expect(arr.text).toBe('Request decode failed: expected a JSON object');
    expect((await validate({ Rules: 7 })).status).toBe(400);
    expect((await t.call('GET', '/v1/validate/acl-policy', { token: root })).status).toBe(405);
  });
});

describe('errorPosition', () => {
  it('finds what the message names, or nothing', () => {
    expect(errorPosition('At 4:7: bad', 'x')).toEqual({ Line: 4, Column: 7 });
    expect(errorPosition("Invalid namespace capability 'read-jb': …", 'namespace "a" {\n  capabilities = ["read-jb"]\n}')).toEqual({ Line: 2, Column: 19 });
    expect(errorPosition('Invalid agent policy: agent { policy = "x" }', '\n\n  agent {\n policy = "x" }')).toEqual({ Line: 3, Column: 3 });
    expect(errorPosition('Invalid policy: something', 'agent {}')).toBeNull();
  });
});
