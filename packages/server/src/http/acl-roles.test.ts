import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

/** ACL roles (Nomad ≥ 1.4): the role API, tokens linking roles, and checks through roles. */

let t: TestAgent;
let root: string;
let n = 0;
/** A role name no other test uses. */
const fresh = (base: string): string => `${base}-${++n}`;

const post = (path: string, body: unknown, token = root) => t.call('POST', path, { token, body });
const get = (path: string, token = root) => t.call('GET', path, { token });
const del = (path: string, token = root) => t.call('DELETE', path, { token });
const policy = (name: string, rules: string) => post(`/v1/acl/policy/${name}`, { Name: name, Rules: rules });
const createRole = (name: string, policies: string[], description = '') =>
  post('/v1/acl/role', { Name: name, Description: description, Policies: policies.map((p) => ({ Name: p })) });
const check = (token: string, ns = 'default', cap = 'submit-job') =>
  post('/v1/acl/authorize', { Checks: [{ Resource: 'namespace', Name: ns, Capability: cap }] }, token);

beforeAll(async () => {
  t = await startTestAgent();
  root = (await t.call('POST', '/v1/acl/bootstrap')).body.SecretID;
  expect((await policy('app', 'namespace "default" { policy = "write" }')).status).toBe(200);
  expect((await policy('readonly', 'namespace "default" { policy = "read" }')).status).toBe(200);
  expect((await policy('prod', 'namespace "prod" { policy = "write" }')).status).toBe(200);
});
afterAll(async () => {
  await t.close();
});

describe('role CRUD', () => {
  it('creates, reads by ID and by name, lists, updates and deletes a role, with Nomad shapes and indexes', async () => {
    const name = fresh('deployers');
    const created = await createRole(name, ['app', 'readonly', 'app'], 'ships code');
    expect(created.status, created.text).toBe(200);
    const role = created.body;
    expect(Object.keys(role)).toEqual(['ID', 'Name', 'Description', 'Policies', 'Hash', 'CreateIndex', 'ModifyIndex']);
    expect(role.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Duplicate policy links collapse, as in Nomad.
    expect(role).toMatchObject({ Name: name, Description: 'ships code', Policies: [{ Name: 'app' }, { Name: 'readonly' }] });
    expect(role.CreateIndex).toBe(role.ModifyIndex);
    expect(created.headers.get('x-nomad-index')).toBe(String(role.ModifyIndex));

    expect((await get(`/v1/acl/role/${role.ID}`)).body).toEqual(role);
    expect((await get(`/v1/acl/role/name/${name}`)).body).toEqual(role);
    const list = await get('/v1/acl/roles');
    expect(list.body).toContainEqual(role);
    expect((await get(`/v1/acl/roles?prefix=${role.ID.slice(0, 8)}`)).body).toEqual([role]);

    const updated = await post(`/v1/acl/role/${role.ID}`, { ID: role.ID, Name: `${name}-x`, Policies: [{ Name: 'prod' }] });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ ID: role.ID, Name: `${name}-x`, Description: '', Policies: [{ Name: 'prod' }], CreateIndex: role.CreateIndex });
    expect(updated.body.ModifyIndex).toBeGreaterThan(role.ModifyIndex);
    expect(updated.body.Hash).not.toBe(role.Hash);
    // The old name is free again; the new one resolves.
    expect((await get(`/v1/acl/role/name/${name}`)).status).toBe(404);
    expect((await get(`/v1/acl/role/name/${name}-x`)).body.ID).toBe(role.ID);

    const deleted = await del(`/v1/acl/role/${role.ID}`);
    expect(deleted.status).toBe(200);
    expect(Number(deleted.headers.get('x-nomad-index'))).toBeGreaterThan(updated.body.ModifyIndex);
    const gone = await get(`/v1/acl/role/${role.ID}`);
    expect(gone).toMatchObject({ status: 404, text: 'ACL role not found' });
    expect(gone.headers.get('x-nomad-index')).toMatch(/^\d+$/);
  });

  it('answers an empty list as [] and a blocking list when a role is written', async () => {
    const index = Number((await get('/v1/acl/roles')).headers.get('x-nomad-index'));
    const waiting = get(`/v1/acl/roles?index=${index}&wait=10s`);
    const name = fresh('blocker');
    const made = await createRole(name, ['app']);
    const answered = await waiting;
    expect(Number(answered.headers.get('x-nomad-index'))).toBe(made.body.ModifyIndex);
    expect((answered.body as Array<{ Name: string }>).map((r) => r.Name)).toContain(name);
    expect((await get('/v1/acl/roles?prefix=ffffffff-no-such')).body).toEqual([]);
  });

  it('filters the role list with go-bexpr and refuses a bad filter', async () => {
    const name = fresh('filtered');
    await createRole(name, ['prod'], 'for filtering');
    const hit = await get(`/v1/acl/roles?filter=${encodeURIComponent(`Name == "${name}"`)}`);
    expect((hit.body as unknown[]).length).toBe(1);
    const nested = await get(`/v1/acl/roles?filter=${encodeURIComponent('Policies.0.Name == "prod" and Description == "for filtering"')}`);
    expect((nested.body as Array<{ Name: string }>).map((r) => r.Name)).toContain(name);
    const bad = await get(`/v1/acl/roles?filter=${encodeURIComponent('Nmae == "x"')}`);
    expect(bad.status).toBe(400);
  });
});

describe('role errors (Nomad texts)', () => {
  it.each([
    [{ Name: 'bad name!', Policies: [{ Name: 'app' }] }, "role 0 invalid: 1 error occurred:\n\t* invalid name 'bad name!'\n\n"],
    [{ Name: 'x'.repeat(257), Policies: [{ Name: 'app' }] }, `* invalid name '${'x'.repeat(257)}'`],
    [{ Name: 'ok', Policies: [] }, '* at least one policy should be specified'],
    [{ Name: 'ok', Description: 'd'.repeat(257), Policies: [{ Name: 'app' }] }, '* description longer than 256'],
    [{ Name: '', Policies: [] }, 'role 0 invalid: 2 errors occurred:'],
    [{ Name: 'ok', Policies: [{ Name: 'nope' }] }, 'cannot find policy nope'],
    [{ Name: 'ok', Policies: 'app' }, 'Request decode failed: Policies must be a list of {"Name"} links'],
  ])('refuses %j with a 400', async (body, message) => {
    const r = await post('/v1/acl/role', body);
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain(message);
  });

  it('refuses a second role with a taken name, an update of an unknown ID, a path mismatch and a delete of an unknown ID', async () => {
    const name = fresh('taken');
    const role = (await createRole(name, ['app'])).body;
    expect(await createRole(name, ['readonly'])).toMatchObject({ status: 400, text: `role with name ${name} already exists` });
    const other = (await createRole(fresh('other'), ['app'])).body;
    // A rename onto a taken name is refused too.
    expect((await post(`/v1/acl/role/${other.ID}`, { ID: other.ID, Name: name, Policies: [{ Name: 'app' }] })).text).toBe(
      `role with name ${name} already exists`,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await post(`/v1/acl/role/${unknown}`, { ID: unknown, Name: 'ok', Policies: [{ Name: 'app' }] })).toMatchObject({
      status: 400,
      text: `cannot find role ${unknown}`,
    });
    expect(await post(`/v1/acl/role/${role.ID}`, { Name: name, Policies: [{ Name: 'app' }] })).toMatchObject({
      status: 400,
      text: 'ACL role ID does not match request path',
    });
    expect(await del(`/v1/acl/role/${unknown}`)).toMatchObject({ status: 400, text: 'ACL role not found' });
    expect(await get('/v1/acl/role/')).toMatchObject({ status: 400, text: 'missing ACL role ID' });
    expect(await get('/v1/acl/role/name/')).toMatchObject({ status: 400, text: 'missing ACL role name' });
    // Nothing changed.
    expect((await get(`/v1/acl/role/${role.ID}`)).body).toEqual(role);
  });

  it('lets only management write or list every role; a client token reads and lists the roles it holds', async () => {
    const mine = (await createRole(fresh('mine'), ['readonly'])).body;
    const theirs = (await createRole(fresh('theirs'), ['readonly'])).body;
    const tok = (await post('/v1/acl/token', { Type: 'client', Roles: [{ ID: mine.ID }] })).body;
    expect((await post('/v1/acl/role', { Name: fresh('nope'), Policies: [{ Name: 'app' }] }, tok.SecretID)).status).toBe(403);
    expect((await del(`/v1/acl/role/${mine.ID}`, tok.SecretID)).status).toBe(403);
    expect((await get(`/v1/acl/role/${mine.ID}`, tok.SecretID)).body).toEqual(mine);
    expect((await get(`/v1/acl/role/name/${mine.Name}`, tok.SecretID)).body).toEqual(mine);
    expect((await get(`/v1/acl/role/${theirs.ID}`, tok.SecretID)).status).toBe(403);
    expect((await get(`/v1/acl/role/name/${theirs.Name}`, tok.SecretID)).status).toBe(403);
    expect((await get('/v1/acl/roles', tok.SecretID)).body).toEqual([mine]);
    // The policies of its roles are its own to read, as in Nomad.
    expect((await get('/v1/acl/policy/readonly', tok.SecretID)).status).toBe(200);
    expect((await get('/v1/acl/policy/app', tok.SecretID)).status).toBe(403);
  });
});

describe('tokens with roles', () => {
  it('links roles by ID or name, answers both, and authorizes through them, naming the role', async () => {
    const role = (await createRole(fresh('deploy'), ['app'])).body;
    const byName = await post('/v1/acl/token', { Name: 'ci', Type: 'client', Roles: [{ Name: role.Name }] });
    expect(byName.status, byName.text).toBe(200);
    expect(byName.body.Policies).toEqual([]);
    expect(byName.body.Roles).toEqual([{ ID: role.ID, Name: role.Name }]);
    const byId = await post('/v1/acl/token', { Type: 'client', Roles: [{ ID: role.ID }, { Name: role.Name }] });
    expect(byId.body.Roles).toEqual([{ ID: role.ID, Name: role.Name }]);
    const stub = ((await get('/v1/acl/tokens')).body as Array<{ AccessorID: string; Roles: unknown }>).find(
      (s) => s.AccessorID === byName.body.AccessorID,
    );
    expect(stub?.Roles).toEqual([{ ID: role.ID, Name: role.Name }]);

    const r = await check(byName.body.SecretID);
    expect(r.body.Results[0]).toEqual({ Allowed: true, Reason: `allowed by policy "app" (role "${role.Name}") namespace "default"` });
    // A policy held directly is named without the role.
    const both = (await post('/v1/acl/token', { Type: 'client', Policies: ['app'], Roles: [{ ID: role.ID }] })).body;
    expect((await check(both.SecretID)).body.Results[0].Reason).toBe('allowed by policy "app" namespace "default"');
    expect((await check(byName.body.SecretID, 'prod')).body.Results[0].Allowed).toBe(false);
  });

  it('refuses unknown roles, client tokens with neither policies nor roles, and management tokens with roles', async () => {
    const role = (await createRole(fresh('r'), ['app'])).body;
    expect(await post('/v1/acl/token', { Type: 'client', Roles: [{ Name: 'no-such-role' }] })).toMatchObject({
      status: 400,
      text: 'cannot find role no-such-role',
    });
    const id = '11111111-2222-4333-8444-555555555555';
    expect((await post('/v1/acl/token', { Type: 'client', Roles: [{ ID: id }] })).text).toBe(`cannot find role ${id}`);
    expect((await post('/v1/acl/token', { Type: 'client' })).text).toContain('client token missing policies or roles');
    expect((await post('/v1/acl/token', { Type: 'management', Roles: [{ ID: role.ID }] })).text).toContain(
      'management token cannot be associated with policies or roles',
    );
  });

  it('sees a role\'s policy change, a policy\'s rule change and a role delete at the next check', async () => {
    const role = (await createRole(fresh('moving'), ['readonly'])).body;
    const tok = (await post('/v1/acl/token', { Type: 'client', Roles: [{ ID: role.ID }] })).body;
    expect((await check(tok.SecretID, 'default', 'read-job')).body.Results[0].Allowed).toBe(true);
    expect((await check(tok.SecretID)).body.Results[0].Allowed).toBe(false);

    // The role gains a policy: the next check allows.
    await post(`/v1/acl/role/${role.ID}`, { ID: role.ID, Name: role.Name, Policies: [{ Name: 'readonly' }, { Name: 'app' }] });
    expect((await check(tok.SecretID)).body.Results[0].Allowed).toBe(true);

    // A policy of the role changes its rules: the next check follows.
    await policy('app', 'namespace "default" { policy = "deny" }');
    const denied = (await check(tok.SecretID)).body.Results[0];
    expect(denied.Allowed).toBe(false);
    expect(denied.Reason).toContain(`(role "${role.Name}")`);
    await policy('app', 'namespace "default" { policy = "write" }');
    expect((await check(tok.SecretID)).body.Results[0].Allowed).toBe(true);

    // The role is renamed: the token shows the new name.
    await post(`/v1/acl/role/${role.ID}`, { ID: role.ID, Name: `${role.Name}-new`, Policies: [{ Name: 'app' }] });
    expect((await get(`/v1/acl/token/${tok.AccessorID}`)).body.Roles).toEqual([{ ID: role.ID, Name: `${role.Name}-new` }]);

    // The role is deleted: the token keeps working (nothing granted) and its link is dropped from answers.
    expect((await del(`/v1/acl/role/${role.ID}`)).status).toBe(200);
    expect((await check(tok.SecretID, 'default', 'read-job')).body.Results[0]).toEqual({
      Allowed: false,
      Reason: 'no rule matched namespace "default"',
    });
    const after = await get(`/v1/acl/token/${tok.AccessorID}`);
    expect(after.body.Roles).toBeNull();
    expect((await get('/v1/acl/token/self', tok.SecretID)).status).toBe(200);
  });

  it('keeps role links across an update that sends them and drops them on one that does not (Nomad replaces)', async () => {
    const role = (await createRole(fresh('kept'), ['readonly'])).body;
    const tok = (await post('/v1/acl/token', { Type: 'client', Policies: ['app'], Roles: [{ ID: role.ID }] })).body;
    const kept = await post(`/v1/acl/token/${tok.AccessorID}`, { ...tok, ExpirationTTL: '', Roles: [{ ID: role.ID }] });
    expect(kept.body.Roles).toEqual([{ ID: role.ID, Name: role.Name }]);
    const dropped = await post(`/v1/acl/token/${tok.AccessorID}`, { ...tok, ExpirationTTL: '', Roles: null });
    expect(dropped.body.Roles).toBeNull();
    expect(dropped.body.Hash).not.toBe(kept.body.Hash);
  });
});

describe('blocking token reads and role changes', () => {
  // The waits outlast the test timeout: a read that is not woken fails the
  // test by holding (an answer at the end of a wait re-reads the state, so a
  // shorter wait would hide a missed wake-up).
  const indexOf = (r: { headers: Headers }): number => Number(r.headers.get('x-nomad-index'));
  const rename = (role: { ID: string; Name: string }, name: string) =>
    post(`/v1/acl/role/${role.ID}`, { ID: role.ID, Name: name, Policies: [{ Name: 'readonly' }] });

  it('wakes a blocking token read on a rename of a linked role, not on other writes, and shows the new name', async () => {
    const role = (await createRole(fresh('watched'), ['readonly'])).body;
    const tok = (await post('/v1/acl/token', { Type: 'client', Roles: [{ ID: role.ID }] })).body;
    const first = await get(`/v1/acl/token/${tok.AccessorID}`);
    const index = indexOf(first);
    expect(index).toBe(tok.ModifyIndex);
    const waiting = get(`/v1/acl/token/${tok.AccessorID}?index=${index}&wait=60s`);
    const selfWaiting = get(`/v1/acl/token/${tok.AccessorID}?index=${index}&wait=60s`, tok.SecretID);

    // Writes the answer does not depend on leave its index alone, so the wait goes on.
    await createRole(fresh('unrelated'), ['app']);
    await policy('unrelated-policy', 'namespace "x" { policy = "read" }');
    await post('/v1/acl/token', { Type: 'client', Policies: ['app'] });
    expect(indexOf(await get(`/v1/acl/token/${tok.AccessorID}`))).toBe(index);

    const renamed = await rename(role, `${role.Name}-renamed`);
    expect(renamed.status, renamed.text).toBe(200);
    for (const answered of [await waiting, await selfWaiting]) {
      expect(answered.status).toBe(200);
      expect(answered.body.Roles).toEqual([{ ID: role.ID, Name: `${role.Name}-renamed` }]);
      // The index is the rename's, not an unrelated write's.
      expect(indexOf(answered)).toBe(renamed.body.ModifyIndex);
    }
    // The token itself did not change; `/token/self` answers the same index.
    expect((await get(`/v1/acl/token/${tok.AccessorID}`)).body.ModifyIndex).toBe(tok.ModifyIndex);
    expect(indexOf(await get('/v1/acl/token/self', tok.SecretID))).toBe(renamed.body.ModifyIndex);
  });

  it('wakes a blocking token read when a linked role is deleted, dropping the link', async () => {
    const kept = (await createRole(fresh('kept'), ['readonly'])).body;
    const doomed = (await createRole(fresh('doomed'), ['readonly'])).body;
    const tok = (await post('/v1/acl/token', { Type: 'client', Roles: [{ ID: kept.ID }, { ID: doomed.ID }] })).body;
    const index = indexOf(await get(`/v1/acl/token/${tok.AccessorID}`));
    const waiting = get(`/v1/acl/token/${tok.AccessorID}?index=${index}&wait=60s`);
    const deleted = await del(`/v1/acl/role/${doomed.ID}`);
    expect(deleted.status).toBe(200);
    const answered = await waiting;
    expect(answered.body.Roles).toEqual([{ ID: kept.ID, Name: kept.Name }]);
    expect(indexOf(answered)).toBe(indexOf(deleted));
    expect(indexOf(answered)).toBeGreaterThan(index);
  });

  it('wakes a blocking token list (and a children list) on a role rename, with the new name in the stubs', async () => {
    const role = (await createRole(fresh('listed'), ['readonly'])).body;
    // Only management tokens create tokens, so a parent is one.
    const parent = (await post('/v1/acl/token', { Type: 'management' })).body;
    const child = (await post('/v1/acl/token', { Type: 'client', Roles: [{ ID: role.ID }], Child: true }, parent.SecretID)).body;
    expect(child.ParentAccessorID).toBe(parent.AccessorID);
    const list = await get('/v1/acl/tokens');
    const index = indexOf(list);
    const listWaiting = get(`/v1/acl/tokens?index=${index}&wait=60s`);
    const childrenWaiting = get(`/v1/acl/token/${parent.AccessorID}/children?index=${index}&wait=60s`);
    const renamed = await rename(role, `${role.Name}-renamed`);
    const stubOf = (r: { body: Array<{ AccessorID: string; Roles: unknown }> }) => r.body.find((s) => s.AccessorID === child.AccessorID);
    for (const answered of [await listWaiting, await childrenWaiting]) {
      expect(indexOf(answered)).toBe(renamed.body.ModifyIndex);
      expect(stubOf(answered)?.Roles).toEqual([{ ID: role.ID, Name: `${role.Name}-renamed` }]);
    }
  });

  it('leaves a token read alone when a policy it names is deleted: the answer keeps the name (as Nomad)', async () => {
    await policy('short-lived', 'namespace "default" { policy = "read" }');
    const tok = (await post('/v1/acl/token', { Type: 'client', Policies: ['short-lived'] })).body;
    const before = await get(`/v1/acl/token/${tok.AccessorID}`);
    expect((await del('/v1/acl/policy/short-lived')).status).toBe(200);
    const after = await get(`/v1/acl/token/${tok.AccessorID}`);
    expect(after.body).toEqual(before.body);
    expect(indexOf(after)).toBe(indexOf(before));
  });
});

describe("Nomad's Go client (api.ACLRoles)", () => {
  it('accepts the bodies ACLRoles().Create and Update send (PUT, zero ID, zero indexes) and answers its struct shape', async () => {
    const name = fresh('go-client');
    // encoding/json of api.ACLRole{Name, Description, Policies}: every field, zero values included.
    const raw = JSON.stringify({ ID: '', Name: name, Description: 'd', Policies: [{ Name: 'app' }], CreateIndex: 0, ModifyIndex: 0 });
    const created = await t.call('PUT', '/v1/acl/role', { token: root, raw, headers: { 'Content-Type': 'application/json' } });
    expect(created.status, created.text).toBe(200);
    const r = created.body as Record<string, unknown>;
    expect(typeof r.ID).toBe('string');
    expect(Buffer.from(r.Hash as string, 'base64').length).toBe(32); // Go decodes Hash as []byte (base64)
    expect(r.Policies).toEqual([{ Name: 'app' }]);
    const rawUpdate = JSON.stringify({ ...r, Description: 'changed' });
    const updated = await t.call('PUT', `/v1/acl/role/${r.ID as string}`, { token: root, raw: rawUpdate });
    expect(updated.body).toMatchObject({ ID: r.ID, Description: 'changed', CreateIndex: r.CreateIndex });
    expect((await t.call('DELETE', `/v1/acl/role/${r.ID as string}`, { token: root })).status).toBe(200);
    // A null ID creates too.
    const nullId = await post('/v1/acl/role', { ID: null, Name: fresh('null-id'), Policies: [{ Name: 'app' }] });
    expect(nullId.status, nullId.text).toBe(200);
  });
});
