/**
 * Replays the curl steps of seed 002 (ACL Tokens HTTP API) and the policy API
 * against a real agent process, checking the seed's response shapes with this
 * agent's values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startAgent } from './testkit.js';
import type { RunningAgent } from './testkit.js';

let agent: RunningAgent;
let mgmt: string;

beforeAll(async () => {
  agent = await startAgent();
});
afterAll(async () => {
  await agent?.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('seed 002: ACL Tokens HTTP API', () => {
  it('POST /v1/acl/bootstrap answers the bootstrap token', async () => {
    const r = await api(agent.addr, 'POST', '/v1/acl/bootstrap');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ Name: 'Bootstrap Token', Type: 'management', Policies: null, Global: true });
    expect(r.body.AccessorID).toMatch(UUID);
    expect(r.body.SecretID).toMatch(UUID);
    expect(r.body.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(r.body.CreateIndex).toBe(r.body.ModifyIndex);
    mgmt = r.body.SecretID;
  });

  it('GET /v1/acl/tokens lists stubs without secrets', async () => {
    const r = await api(agent.addr, 'GET', '/v1/acl/tokens', { token: mgmt });
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(1);
    expect(r.body[0]).toMatchObject({ Name: 'Bootstrap Token', Type: 'management', Policies: null, Global: true });
    expect(r.body[0]).not.toHaveProperty('SecretID');
    expect(Number(r.headers.get('x-nomad-index'))).toBeGreaterThan(0);
  });

  let created: Record<string, unknown>;
  it('POST /v1/acl/token with the sample payload creates a client token', async () => {
    // curl --data @payload.json sends form encoding; the agent reads JSON anyway.
    const r = await api(agent.addr, 'POST', '/v1/acl/token', {
      token: mgmt,
      rawBody: JSON.stringify({ Name: 'Readonly token', Type: 'client', Policies: ['readonly'], Global: false }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ Name: 'Readonly token', Type: 'client', Policies: ['readonly'], Global: false });
    expect(r.body.SecretID).toMatch(UUID);
    created = r.body;
  });

  it('POST /v1/acl/token/:accessor_id updates it (the sample payload, trailing comma and all, is rejected as bad JSON)', async () => {
    const id = created.AccessorID as string;
    const sample = `{\n    "AccessorID": "${id}",\n    "Name": "Read-write token",\n    "Type": "client",\n    "Policies": ["readwrite"],\n}`;
    const bad = await api(agent.addr, 'POST', `/v1/acl/token/${id}`, { token: mgmt, rawBody: sample });
    expect(bad.status).toBe(400);
    const r = await api(agent.addr, 'POST', `/v1/acl/token/${id}`, {
      token: mgmt,
      body: { AccessorID: id, Name: 'Read-write token', Type: 'client', Policies: ['readwrite'] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ AccessorID: id, SecretID: created.SecretID, Name: 'Read-write token', Policies: ['readwrite'], CreateIndex: created.CreateIndex });
    expect(r.body.ModifyIndex).toBeGreaterThan(created.ModifyIndex as number);
    created = r.body;
  });

  it('GET /v1/acl/token/:accessor_id and /v1/acl/token/self read it back', async () => {
    const byId = await api(agent.addr, 'GET', `/v1/acl/token/${created.AccessorID}`, { token: mgmt });
    expect(byId.body).toEqual(created);
    const self = await api(agent.addr, 'GET', '/v1/acl/token/self', { token: created.SecretID as string });
    expect(self.body).toEqual(created);
  });

  it('DELETE /v1/acl/token/:accessor_id revokes it', async () => {
    const r = await api(agent.addr, 'DELETE', `/v1/acl/token/${created.AccessorID}`, { token: mgmt });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    const self = await api(agent.addr, 'GET', '/v1/acl/token/self', { token: created.SecretID as string });
    expect(self.status).toBe(403);
  });
});

describe('seed 001: anonymous policy through the API', () => {
  it('denies anonymous requests, then allows them once the anonymous policy exists', async () => {
    const check = { Checks: [{ Resource: 'namespace', Name: 'default', Capability: 'submit-job' }] };
    const before = await api(agent.addr, 'POST', '/v1/acl/authorize', { body: check });
    expect(before.body.Results[0].Allowed).toBe(false);
    const rules = `namespace "*" {\n  policy       = "write"\n  capabilities = ["alloc-node-exec"]\n}\nagent {\n  policy = "write"\n}\noperator {\n  policy = "write"\n}\nquota {\n  policy = "write"\n}\nnode {\n  policy = "write"\n}\nhost_volume "*" {\n  policy = "write"\n}\n`;
    const w = await api(agent.addr, 'POST', '/v1/acl/policy/anonymous', {
      token: mgmt,
      body: { Name: 'anonymous', Description: 'Anonymous policy (full-access)', Rules: rules },
    });
    expect(w.status).toBe(200);
    const after = await api(agent.addr, 'POST', '/v1/acl/authorize', {
      body: { Checks: [...check.Checks, { Resource: 'namespace', Name: 'default', Capability: 'alloc-node-exec' }, { Resource: 'host_volume', Name: 'any', Capability: 'mount-readwrite' }] },
    });
    expect(after.body.Results.map((x: { Allowed: boolean }) => x.Allowed)).toEqual([true, true, true]);
  });
});
