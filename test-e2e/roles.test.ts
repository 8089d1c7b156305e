import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, runCli, startCluster } from './testkit.js';
import type { Cluster } from './testkit.js';

/**
 * ACL roles across real agent processes: `global` (authoritative) and
 * `eu-west`, replicating over gRPC. Roles are global objects: written in
 * `global` (a follower forwards), replicated, deleted everywhere; a token
 * linked to a role is checked through it in every region.
 */

let c: Cluster;
const addr = (region: string): string => c.agent(region).addr;
const MIN = 'X-Tollgate-Min-Index';

const call = (region: string, method: string, path: string, body?: unknown, token = c.management, minIndex?: number) =>
  api(addr(region), method, path, { token, body, headers: minIndex === undefined ? {} : { [MIN]: String(minIndex) } });

const submitJob = async (region: string, secret: string, minIndex: number): Promise<{ Allowed: boolean; Reason: string }> => {
  const r = await call(region, 'POST', '/v1/acl/authorize', { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'submit-job' }] }, secret, minIndex);
  expect(r.status, r.text).toBe(200);
  return r.body.Results[0];
};

beforeAll(async () => {
  c = await startCluster({ regions: ['global', 'eu-west'], serverHcl: '  replication_wait = "2s"' });
  for (const [name, rules] of [
    ['app', 'namespace "default" { policy = "write" }'],
    ['readonly', 'namespace "default" { policy = "read" }'],
  ]) {
    expect((await call('global', 'POST', `/v1/acl/policy/${name}`, { Name: name, Rules: rules })).status).toBe(200);
  }
  await c.waitReplicated();
});

afterAll(async () => {
  await c?.close();
});

describe('ACL roles across regions', () => {
  it('forwards a role create from a follower, replicates it, and checks a role-only global token through it in both regions', async () => {
    const made = await call('eu-west', 'POST', '/v1/acl/role', { Name: 'deployers', Policies: [{ Name: 'app' }] });
    expect(made.status, made.text).toBe(200);
    const role = made.body;
    // Read-your-writes: the forwarded write answered once eu-west had it.
    expect((await call('eu-west', 'GET', `/v1/acl/role/${role.ID}`)).body).toMatchObject({ ID: role.ID, Name: 'deployers' });
    expect((await call('global', 'GET', '/v1/acl/role/name/deployers')).body.ID).toBe(role.ID);

    const tok = await call('eu-west', 'POST', '/v1/acl/token', { Name: 'ci', Type: 'client', Global: true, Roles: [{ Name: 'deployers' }] });
    expect(tok.status, tok.text).toBe(200);
    expect(tok.body.Roles).toEqual([{ ID: role.ID, Name: 'deployers' }]);
    const index = Number(tok.headers.get('x-nomad-index'));
    for (const region of ['global', 'eu-west']) {
      expect(await submitJob(region, tok.body.SecretID, index)).toEqual({
        Allowed: true,
        Reason: 'allowed by policy "app" (role "deployers") namespace "default"',
      });
    }
  });

  it('replicates a role update and a role delete: the next check in the follower follows', async () => {
    const role = (await call('global', 'POST', '/v1/acl/role', { Name: 'movers', Policies: [{ Name: 'readonly' }] })).body;
    const tok = (await call('global', 'POST', '/v1/acl/token', { Type: 'client', Global: true, Roles: [{ ID: role.ID }] })).body;

    const upd = await call('eu-west', 'POST', `/v1/acl/role/${role.ID}`, { ID: role.ID, Name: 'movers', Policies: [{ Name: 'app' }] });
    expect(upd.status, upd.text).toBe(200);
    expect((await submitJob('eu-west', tok.SecretID, Number(upd.headers.get('x-nomad-index')))).Allowed).toBe(true);

    const del = await call('global', 'DELETE', `/v1/acl/role/${role.ID}`);
    expect(del.status).toBe(200);
    const delIndex = Number(del.headers.get('x-nomad-index'));
    expect(await submitJob('eu-west', tok.SecretID, delIndex)).toEqual({ Allowed: false, Reason: 'no rule matched namespace "default"' });
    const gone = await call('eu-west', 'GET', `/v1/acl/role/${role.ID}`, undefined, c.management, delIndex);
    expect(gone.status).toBe(404);
    const tokenThere = await call('eu-west', 'GET', `/v1/acl/token/${tok.AccessorID}`, undefined, c.management, delIndex);
    expect(tokenThere.body.Roles).toBeNull();
  });

  it("wakes a follower's blocking read of a token when a linked role's rename replicates there", async () => {
    const role = (await call('global', 'POST', '/v1/acl/role', { Name: 'watched', Policies: [{ Name: 'readonly' }] })).body;
    const made = await call('global', 'POST', '/v1/acl/token', { Type: 'client', Global: true, Roles: [{ ID: role.ID }] });
    const tok = made.body;
    const there = await call('eu-west', 'GET', `/v1/acl/token/${tok.AccessorID}`, undefined, c.management, Number(made.headers.get('x-nomad-index')));
    expect(there.body.Roles).toEqual([{ ID: role.ID, Name: 'watched' }]);
    const index = Number(there.headers.get('x-nomad-index'));
    // Outlasts the test timeout: a follower that is not woken fails the test by holding.
    const waiting = call('eu-west', 'GET', `/v1/acl/token/${tok.AccessorID}?index=${index}&wait=300s`);
    const renamed = await call('global', 'POST', `/v1/acl/role/${role.ID}`, { ID: role.ID, Name: 'watched-renamed', Policies: [{ Name: 'readonly' }] });
    expect(renamed.status, renamed.text).toBe(200);
    const answered = await waiting;
    expect(answered.status).toBe(200);
    expect(answered.body.Roles).toEqual([{ ID: role.ID, Name: 'watched-renamed' }]);
    expect(Number(answered.headers.get('x-nomad-index'))).toBeGreaterThan(index);
  });

  it('answers role errors from the authoritative region unchanged through a follower', async () => {
    const dup = await call('eu-west', 'POST', '/v1/acl/role', { Name: 'deployers', Policies: [{ Name: 'app' }] });
    expect(dup).toMatchObject({ status: 400, text: 'role with name deployers already exists' });
    const nope = await call('eu-west', 'DELETE', '/v1/acl/role/00000000-0000-4000-8000-000000000000');
    expect(nope).toMatchObject({ status: 400, text: 'ACL role not found' });
  });

  it('drives roles with the CLI as nomad prints them', async () => {
    const env = { TOLLGATE_ADDR: addr('eu-west'), TOLLGATE_TOKEN: c.management };
    const created = await runCli(['acl', 'role', 'create', '-name=cli-role', '-description=from the CLI', '-policy=readonly', '-policy=app'], { env });
    expect(created.code, created.stderr).toBe(0);
    const id = /^ID\s+=\s+(\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect(created.stdout).toMatch(/^Name\s+= cli-role$/m);
    expect(created.stdout).toMatch(/^Description\s+= from the CLI$/m);
    expect(created.stdout).toMatch(/^Policies\s+= app,readonly$/m);

    const info = await runCli(['acl', 'role', 'info', '-by-name', 'cli-role'], { env });
    expect(info.stdout).toContain(`= ${id}`);
    const updated = await runCli(['acl', 'role', 'update', '-description=changed', id], { env });
    expect(updated.stdout).toMatch(/^Description\s+= changed$/m);
    expect(updated.stdout).toMatch(/^Policies\s+= app,readonly$/m);

    const tok = await runCli(['acl', 'token', 'create', '-name=role-user', '-role-name=cli-role'], { env });
    expect(tok.code, tok.stderr).toBe(0);
    expect(tok.stdout).toMatch(new RegExp(`\\n\\nRoles\\nID\\s+Name\\n${id}\\s+cli-role\\n?$`));

    const list = await runCli(['acl', 'role', 'list'], { env });
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+Name\s+Description\s+Policies$/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+cli-role\\s+changed\\s+app,readonly$`, 'm'));

    const bad = await runCli(['acl', 'role', 'create', '-name=x'], { env });
    expect(bad.code).toBe(1);
    const deleted = await runCli(['acl', 'role', 'delete', id], { env });
    expect(deleted.stdout.trim()).toBe(`ACL role ${id} successfully deleted`);
    const missing = await runCli(['acl', 'role', 'info', id], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ACL role not found');
  });
});
