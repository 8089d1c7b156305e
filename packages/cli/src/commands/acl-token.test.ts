import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN, CLIENT1_TOKEN, runCli, startFakeAgent } from '../../test/fake-agent.js';
import type { FakeAgent } from '../../test/fake-agent.js';

let agent: FakeAgent;
let env: Record<string, string>;
const MGMT = BOOTSTRAP_TOKEN.SecretID;
beforeAll(async () => {
  agent = await startFakeAgent();
});
afterAll(() => agent.close());
beforeEach(() => {
  agent.reset();
  env = { TOLLGATE_ADDR: agent.addr, TOLLGATE_TOKEN: MGMT };
});

const body = (i = 0) => JSON.parse(agent.requests[i]?.body ?? 'null') as Record<string, unknown>;

describe('tollgate acl token create', () => {
  it('creates seed 000\'s client1 token from -name= and repeated -policy= and prints its block', async () => {
    agent.on('POST', '/v1/acl/token', { body: CLIENT1_TOKEN, index: 19 });
    const r = await runCli(['acl', 'token', 'create', '-name=client1', '-policy=app1', '-policy=app2'], { env });
    expect(r.code).toBe(0);
    expect(body()).toEqual({ Name: 'client1', Type: 'client', Policies: ['app1', 'app2'], Global: false });
    expect(agent.requests[0]?.headers['x-nomad-token']).toBe(MGMT);
    expect(r.stdout).toBe(
      [
        'Accessor ID  = a7bef400-a66c-d163-52c4-5ff4978f19b8',
        'Secret ID    = 950e462b-b333-dd52-1e18-76837e9b97fa',
        'Name         = client1',
        'Type         = client',
        'Global       = false',
        'Policies     = [app1 app2]',
        'Create Time  = 2020-01-23 20:10:11.600915 +0000 UTC',
        'Create Index = 19',
        'Modify Index = 19',
        '',
      ].join('\n'),
    );
  });

  it('accepts the --flag value syntax and a bare -global', async () => {
    agent.on('POST', '/v1/acl/token', { body: { ...BOOTSTRAP_TOKEN, Name: 'Cluster A Replication Token' } });
    const r = await runCli(['acl', 'token', 'create', '--type', 'management', '-global', '--name', 'Cluster A Replication Token'], {
      env,
    });
    expect(r.code).toBe(0);
    expect(body()).toEqual({ Name: 'Cluster A Replication Token', Type: 'management', Policies: [], Global: true });
    expect(r.stdout).toContain('Name         = Cluster A Replication Token\n');
  });

  it('sends a valid -ttl as nanoseconds, like nomad', async () => {
    agent.on('POST', '/v1/acl/token', { body: { ...CLIENT1_TOKEN, ExpirationTime: '2020-01-23T21:10:11.600915Z' } });
    const r = await runCli(['acl', 'token', 'create', '-policy=app1', '-ttl=1h30m'], { env });
    expect(r.code).toBe(0);
    expect(body().ExpirationTTL).toBe(5_400_000_000_000);
    expect(r.stdout).toContain('Expiry Time  = 2020-01-23 21:10:11.600915 +0000 UTC\n');
  });

  it('rejects an unparsable -ttl without calling the agent', async () => {
    const r = await runCli(['acl', 'token', 'create', '-policy=app1', '-ttl=soon'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Failed to parse TTL as time duration: time: invalid duration "soon"\n');
    expect(agent.requests).toHaveLength(0);
  });

  it('passes the agent\'s validation errors through', async () => {
    const msg = 'token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles\n\n';
    agent.on('POST', '/v1/acl/token', { status: 400, body: msg });
    const r = await runCli(['acl', 'token', 'create', '-name=🤞'], { env });
    expect(body().Name).toBe('🤞');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error creating token: Unexpected response code: 400 (token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles)\n',
    );
  });

  it('uses -token over TOLLGATE_TOKEN, and TOLLGATE_TOKEN over NOMAD_TOKEN', async () => {
    agent.on('POST', '/v1/acl/token', { body: CLIENT1_TOKEN });
    await runCli(['acl', 'token', 'create', '-token=flag-secret', '-policy=a'], { env: { ...env, NOMAD_TOKEN: 'n' } });
    await runCli(['acl', 'token', 'create', '-policy=a'], { env: { ...env, NOMAD_TOKEN: 'n' } });
    await runCli(['acl', 'token', 'create', '-policy=a'], { env: { TOLLGATE_ADDR: agent.addr, NOMAD_TOKEN: 'n' } });
    expect(agent.requests.map((q) => q.headers['x-nomad-token'])).toEqual(['flag-secret', MGMT, 'n']);
  });

  it('reports 403 Permission denied like nomad', async () => {
    agent.on('POST', '/v1/acl/token', { status: 403, body: 'Permission denied' });
    const r = await runCli(['acl', 'token', 'create', '-policy=a'], { env });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error creating token: Unexpected response code: 403 (Permission denied)\n' });
  });

  it('refuses positional arguments', async () => {
    const r = await runCli(['acl', 'token', 'create', 'extra'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("This command takes no arguments\nFor additional help try 'tollgate acl token create -h'\n");
  });
});

describe('tollgate acl token self', () => {
  it('shows the token from TOLLGATE_TOKEN', async () => {
    agent.on('GET', '/v1/acl/token/self', { body: BOOTSTRAP_TOKEN });
    const r = await runCli(['acl', 'token', 'self'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Accessor ID  = 5b7fd453-d3f7-6814-81dc-fcfe6daedea5\n');
    expect(agent.requests[0]?.headers['x-nomad-token']).toBe(MGMT);
  });

  it('uses the -token flag when given', async () => {
    agent.on('GET', '/v1/acl/token/self', { body: CLIENT1_TOKEN });
    const r = await runCli(['acl', 'token', 'self', `-token=${CLIENT1_TOKEN.SecretID}`], { env: { TOLLGATE_ADDR: agent.addr } });
    expect(r.code).toBe(0);
    expect(agent.requests[0]?.headers['x-nomad-token']).toBe(CLIENT1_TOKEN.SecretID);
    expect(r.stdout).toContain('Policies     = [app1 app2]\n');
  });

  it('fails without asking the agent when no token is set', async () => {
    const r = await runCli(['acl', 'token', 'self'], { env: { TOLLGATE_ADDR: agent.addr } });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'No token present in the environment or set via the CLI flag\n' });
    expect(agent.requests).toHaveLength(0);
  });

  it('reports an unknown token as the agent\'s 403', async () => {
    agent.on('GET', '/v1/acl/token/self', { status: 403, body: 'ACL token not found' });
    const r = await runCli(['acl', 'token', 'self'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error fetching self token: Unexpected response code: 403 (ACL token not found)\n');
  });
});

describe('tollgate acl token info', () => {
  it('shows a token by accessor', async () => {
    agent.on('GET', `/v1/acl/token/${CLIENT1_TOKEN.AccessorID}`, { body: CLIENT1_TOKEN });
    const r = await runCli(['acl', 'token', 'info', CLIENT1_TOKEN.AccessorID], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`Accessor ID  = ${CLIENT1_TOKEN.AccessorID}`);
  });

  it('prints JSON with -json before the accessor', async () => {
    agent.on('GET', `/v1/acl/token/${CLIENT1_TOKEN.AccessorID}`, { body: CLIENT1_TOKEN });
    const r = await runCli(['acl', 'token', 'info', '-json', CLIENT1_TOKEN.AccessorID], { env });
    expect(JSON.parse(r.stdout)).toEqual(CLIENT1_TOKEN);
  });

  it('reports a missing token as the agent\'s 404', async () => {
    agent.on('GET', '/v1/acl/token/nope', { status: 404, body: 'ACL token not found' });
    const r = await runCli(['acl', 'token', 'info', 'nope'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error fetching token: Unexpected response code: 404 (ACL token not found)\n');
  });

  it('takes exactly one argument, so a flag after the accessor is an error', async () => {
    const r = await runCli(['acl', 'token', 'info', CLIENT1_TOKEN.AccessorID, '-json'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('This command takes one argument: <accessor_id>\n');
    expect(agent.requests).toHaveLength(0);
  });
});

describe('tollgate acl token list', () => {
  it('prints a table with Name, Type, Global, Accessor ID and Expired', async () => {
    const past = '2001-01-01T00:00:00Z';
    agent.on('GET', '/v1/acl/tokens', {
      body: [
        { ...BOOTSTRAP_TOKEN, SecretID: undefined },
        { ...CLIENT1_TOKEN, SecretID: undefined, ExpirationTime: past },
      ],
    });
    const r = await runCli(['acl', 'token', 'list'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Name             Type        Global  Accessor ID                           Expired',
        'Bootstrap Token  management  true    5b7fd453-d3f7-6814-81dc-fcfe6daedea5  false',
        'client1          client      false   a7bef400-a66c-d163-52c4-5ff4978f19b8  true',
        '',
      ].join('\n'),
    );
  });

  it('follows X-Nomad-NextToken and lists the tokens of every page', async () => {
    agent.on('GET', '/v1/acl/tokens', (req) =>
      req.query.get('next_token') === '8.a7bef400'
        ? { body: [{ ...CLIENT1_TOKEN, SecretID: undefined }] }
        : { body: [{ ...BOOTSTRAP_TOKEN, SecretID: undefined }], nextToken: '8.a7bef400' },
    );
    const r = await runCli(['acl', 'token', 'list', '-json'], { env });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ Name: string }>).map((t) => t.Name)).toEqual(['Bootstrap Token', 'client1']);
    expect(agent.requests.map((q) => q.query.get('next_token'))).toEqual([null, '8.a7bef400']);
  });

  it('says so when there are no tokens', async () => {
    agent.on('GET', '/v1/acl/tokens', { body: [] });
    expect((await runCli(['acl', 'token', 'list'], { env })).stdout).toBe('No tokens found\n');
  });

  it('prints the list as JSON with -json', async () => {
    agent.on('GET', '/v1/acl/tokens', { body: [] });
    expect((await runCli(['acl', 'token', 'list', '-json'], { env })).stdout).toBe('[]\n');
  });

  it('reports 403 for a non-management token', async () => {
    agent.on('GET', '/v1/acl/tokens', { status: 403, body: 'Permission denied' });
    const r = await runCli(['acl', 'token', 'list'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error listing ACL tokens: Unexpected response code: 403 (Permission denied)\n');
  });
});

describe('tollgate acl token delete', () => {
  it('deletes by accessor and says so like nomad', async () => {
    agent.on('DELETE', `/v1/acl/token/${CLIENT1_TOKEN.AccessorID}`, { index: 30 });
    const r = await runCli(['acl', 'token', 'delete', CLIENT1_TOKEN.AccessorID], { env });
    expect(r).toEqual({ code: 0, stderr: '', stdout: `Token ${CLIENT1_TOKEN.AccessorID} successfully deleted\n` });
  });

  it('reports an unknown accessor', async () => {
    agent.on('DELETE', '/v1/acl/token/nope', { status: 400, body: 'Cannot delete nonexistent tokens: nope' });
    const r = await runCli(['acl', 'token', 'delete', 'nope'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error deleting token: Unexpected response code: 400 (Cannot delete nonexistent tokens: nope)\n');
  });

  it('requires the accessor', async () => {
    const r = await runCli(['acl', 'token', 'delete'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('This command takes one argument: <accessor_id>');
  });
});

describe('tollgate acl token update', () => {
  const path = `/v1/acl/token/${CLIENT1_TOKEN.AccessorID}`;

  it('reads the token, changes only the given fields and sends the rest back', async () => {
    const stored = { ...CLIENT1_TOKEN, Global: true, ExpirationTime: '2030-01-01T00:00:00Z', ExpirationTTL: 3_600_000_000_000 };
    agent.on('GET', path, { body: stored });
    agent.on('POST', path, (req) => ({ body: { ...stored, ...(JSON.parse(req.body) as object), ModifyIndex: 25 } }));
    const r = await runCli(['acl', 'token', 'update', '-name=renamed', '-policy=app3', CLIENT1_TOKEN.AccessorID], { env });
    expect(r.code).toBe(0);
    expect(body(1)).toEqual({
      AccessorID: CLIENT1_TOKEN.AccessorID,
      Name: 'renamed',
      Type: 'client',
      Policies: ['app3'],
      Global: true,
      ExpirationTTL: 3_600_000_000_000,
      ExpirationTime: '2030-01-01T00:00:00Z',
    });
    expect(r.stdout).toContain('Name         = renamed\n');
    expect(r.stdout).toContain('Modify Index = 25\n');
  });

  it('drops the policies when a client token becomes a management token', async () => {
    agent.on('GET', path, { body: CLIENT1_TOKEN });
    agent.on('POST', path, { body: { ...CLIENT1_TOKEN, Type: 'management', Policies: null } });
    const r = await runCli(['acl', 'token', 'update', '-type=management', CLIENT1_TOKEN.AccessorID], { env });
    expect(r.code).toBe(0);
    expect(body(1)).toMatchObject({ Type: 'management', Policies: null, Global: false });
    expect(r.stdout).toContain('Policies     = n/a\n');
  });

  it('reports a token that cannot be read and does not write', async () => {
    agent.on('GET', path, { status: 404, body: 'ACL token not found' });
    const r = await runCli(['acl', 'token', 'update', '-name=x', CLIENT1_TOKEN.AccessorID], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error fetching token: Unexpected response code: 404 (ACL token not found)\n');
    expect(agent.requests).toHaveLength(1);
  });

  it('reports a refused update', async () => {
    agent.on('GET', path, { body: CLIENT1_TOKEN });
    agent.on('POST', path, { status: 400, body: 'token 0 invalid: 1 error occurred:\n\t* cannot toggle global mode\n\n' });
    const r = await runCli(['acl', 'token', 'update', '-global', CLIENT1_TOKEN.AccessorID], { env });
    expect(body(1).Global).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error updating token: Unexpected response code: 400 (token 0 invalid');
  });
});

describe('tollgate acl token create -ttl', () => {
  it.each([
    ['90s', 90_000_000_000],
    ['1.5h', 5_400_000_000_000],
    ['250ms', 250_000_000],
    ['0', 0],
  ])('turns -ttl=%s into %d ns', async (ttl, ns) => {
    agent.on('POST', '/v1/acl/token', { body: CLIENT1_TOKEN });
    const r = await runCli(['acl', 'token', 'create', '-policy=a', `-ttl=${ttl}`], { env });
    expect(r.code).toBe(0);
    expect(body().ExpirationTTL).toBe(ns);
  });

  it.each(['1d', '5', 'h', '1h-5m'])('rejects -ttl=%s as Go would', async (ttl) => {
    const r = await runCli(['acl', 'token', 'create', '-policy=a', `-ttl=${ttl}`], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Failed to parse TTL as time duration: time: invalid duration "${ttl}"\n`);
    expect(agent.requests).toHaveLength(0);
  });
});

describe('tollgate acl token create -accessor (upload)', () => {
  const ACCESSOR = 'a7bef400-a66c-d163-52c4-5ff4978f19b8';
  const SECRET = '950e462b-b333-dd52-1e18-76837e9b97fa';

  it('reads the SecretID from stdin and sends both IDs to POST /v1/acl/token', async () => {
    agent.on('POST', '/v1/acl/token', { body: CLIENT1_TOKEN, index: 20 });
    const r = await runCli(['acl', 'token', 'create', '-accessor', ACCESSOR, '-policy=app1', '-'], { env, stdin: `${SECRET}\n` });
    expect(r.code).toBe(0);
    expect(body()).toMatchObject({ AccessorID: ACCESSOR, SecretID: SECRET, Type: 'client', Policies: ['app1'] });
    expect(r.stdout).toContain(`Accessor ID  = ${ACCESSOR}\n`);
  });

  it('names the upload in the error and refuses management tokens without calling the agent', async () => {
    agent.on('POST', '/v1/acl/token', { status: 409, body: 'SecretID already in use' });
    const r = await runCli(['acl', 'token', 'create', '-accessor', ACCESSOR, '-policy=app1', '-'], { env, stdin: SECRET });
    expect(r).toMatchObject({ code: 1, stderr: 'Error uploading token: Unexpected response code: 409 (SecretID already in use)\n' });
    agent.reset();
    const m = await runCli(['acl', 'token', 'create', '-accessor', ACCESSOR, '-type=management', '-'], { env, stdin: SECRET });
    expect(m).toMatchObject({ code: 1, stderr: 'Error uploading token: only client tokens can be uploaded\n' });
    expect(agent.requests).toHaveLength(0);
  });

  it('needs the <path> argument with -accessor, and no argument without it', async () => {
    expect((await runCli(['acl', 'token', 'create', '-accessor', ACCESSOR], { env })).code).toBe(1);
    expect((await runCli(['acl', 'token', 'create', '-policy=a', 'extra'], { env })).code).toBe(1);
    expect(agent.requests).toHaveLength(0);
  });
});

describe('tollgate acl token list -filter', () => {
  it('sends the expression as ?filter= and prints the answer', async () => {
    agent.on('GET', '/v1/acl/tokens', { body: [] });
    const r = await runCli(['acl', 'token', 'list', '-filter', '"ops" in Policies'], { env });
    expect(r).toEqual({ code: 0, stderr: '', stdout: 'No tokens found\n' });
    expect(agent.requests[0]?.query.get('filter')).toBe('"ops" in Policies');
  });
});

describe('token lifecycle flags', () => {
  it('create sends -meta (repeatable), -orphan, -child, -explicit-max-ttl and -period, and prints Meta and a child\'s parent', async () => {
    const parent = '11111111-2222-3333-4444-555555555555';
    agent.on('POST', '/v1/acl/token', { body: { ...CLIENT1_TOKEN, ParentAccessorID: parent, Orphan: false, Meta: { team: 'payments' }, Period: '1h0m0s' } });
    const r = await runCli(['acl', 'token', 'create', '-policy=app1', '-meta', 'team=payments', '-meta=note=a=b', '-child', '-explicit-max-ttl=720h', '-period=1h'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(body()).toMatchObject({ Meta: { team: 'payments', note: 'a=b' }, Child: true, ExplicitMaxTTL: '720h', Period: '1h' });
    expect(r.stdout).toContain(`Parent ID    = ${parent}\n`);
    expect(r.stdout).toContain('Period       = 1h0m0s\n');
    expect(r.stdout).toContain('Meta[team]   = payments\n');
    const o = await runCli(['acl', 'token', 'create', '-policy=app1', '-orphan'], { env });
    expect(o.code).toBe(0);
    expect(body(1).Orphan).toBe(true);
  });

  it('refuses a -meta without "=" before calling the agent', async () => {
    const r = await runCli(['acl', 'token', 'create', '-policy=app1', '-meta=oops'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-meta must be key=value (got "oops")');
    expect(agent.requests).toHaveLength(0);
  });

  it('renew posts the increment to self/renew, or to the accessor given', async () => {
    agent.on('POST', '/v1/acl/token/self/renew', { body: { ...CLIENT1_TOKEN, ExpirationTime: '2020-01-23T21:10:11.600915Z' } });
    const r = await runCli(['acl', 'token', 'renew', '-increment=2h'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(agent.requests[0]?.path).toBe('/v1/acl/token/self/renew');
    expect(body()).toEqual({ Increment: '2h' });
    expect(r.stdout).toContain('Expiry Time  = 2020-01-23 21:10:11.600915 +0000 UTC\n');
    agent.on('POST', `/v1/acl/token/${CLIENT1_TOKEN.AccessorID}/renew`, { body: CLIENT1_TOKEN });
    const other = await runCli(['acl', 'token', 'renew', CLIENT1_TOKEN.AccessorID], { env });
    expect(other.code).toBe(0);
    expect(body(1)).toEqual({});
  });

  it('info -children lists the direct children after the token', async () => {
    agent.on('GET', `/v1/acl/token/${CLIENT1_TOKEN.AccessorID}`, { body: CLIENT1_TOKEN });
    agent.on('GET', `/v1/acl/token/${CLIENT1_TOKEN.AccessorID}/children`, { body: [{ ...BOOTSTRAP_TOKEN, Name: 'kid', ExpirationTime: null }] });
    const r = await runCli(['acl', 'token', 'info', '-children', CLIENT1_TOKEN.AccessorID], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('\n\nChildren\n');
    expect(r.stdout).toContain(BOOTSTRAP_TOKEN.AccessorID);
    expect(r.stdout).toContain('kid');
  });
});
