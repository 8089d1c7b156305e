import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN, deadAddress, runCli, startFakeAgent } from '../../test/fake-agent.js';
import type { FakeAgent } from '../../test/fake-agent.js';

let agent: FakeAgent;
beforeAll(async () => {
  agent = await startFakeAgent();
});
afterAll(() => agent.close());
beforeEach(() => agent.reset());

const ANONYMOUS = { AccessorID: 'anonymous', SecretID: 'anonymous', Name: 'Anonymous Token', Type: 'client', Policies: ['anonymous'], Global: false, CreateTime: '0001-01-01T00:00:00Z', CreateIndex: 0, ModifyIndex: 0 };

describe('tollgate status', () => {
  it('shows the address, reachability and the management token in use', async () => {
    agent.on('GET', '/v1/agent/health', { body: { status: 'ok' } });
    agent.on('GET', '/v1/acl/token/self', { body: BOOTSTRAP_TOKEN });
    const r = await runCli(['status'], { env: { NOMAD_ADDR: agent.addr, NOMAD_TOKEN: BOOTSTRAP_TOKEN.SecretID } });
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: `Address: ${agent.addr}\nAgent: reachable\nToken: management "Bootstrap Token" (accessor ${BOOTSTRAP_TOKEN.AccessorID})\n`,
    });
  });

  it('says anonymous when no token is set', async () => {
    agent.on('GET', '/v1/agent/health', { body: { status: 'ok' } });
    agent.on('GET', '/v1/acl/token/self', { body: ANONYMOUS });
    const r = await runCli(['status', `-address=${agent.addr}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Token: anonymous\n');
    expect(agent.requests[1]?.headers['x-nomad-token']).toBeUndefined();
  });

  it('exits 1 naming the address when the agent is unreachable', async () => {
    const dead = await deadAddress();
    const r = await runCli(['status', '-address', dead]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Address: ${dead}\n`);
    expect(r.stderr).toBe(`Error querying agent: Get "${dead}/v1/agent/health": connect ECONNREFUSED ${dead.slice(7)}\n`);
  });

  it('exits 1 when the agent refuses the token', async () => {
    agent.on('GET', '/v1/agent/health', { body: { status: 'ok' } });
    agent.on('GET', '/v1/acl/token/self', { status: 403, body: 'ACL token not found' });
    const r = await runCli(['status'], { env: { TOLLGATE_ADDR: agent.addr, TOLLGATE_TOKEN: 'bogus' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Agent: reachable\n');
    expect(r.stderr).toBe('Error reading token: Unexpected response code: 403 (ACL token not found)\n');
  });

  it('exits 1 when the agent reports itself unhealthy', async () => {
    agent.on('GET', '/v1/agent/health', { status: 500, body: 'state store closed' });
    const r = await runCli(['status'], { env: { TOLLGATE_ADDR: agent.addr } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error querying agent: Unexpected response code: 500 (state store closed)\n');
  });
});
