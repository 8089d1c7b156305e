import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startFakeAgent } from '../../test/fake-agent.js';
import type { FakeAgent } from '../../test/fake-agent.js';

let agent: FakeAgent;
let env: Record<string, string>;
let dir: string;
const RULES = 'namespace "*" {\n  policy       = "write"\n  capabilities = ["alloc-node-exec"]\n}\n';
beforeAll(async () => {
  agent = await startFakeAgent();
  dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-'));
});
afterAll(async () => {
  await agent.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  agent.reset();
  env = { TOLLGATE_ADDR: agent.addr, TOLLGATE_TOKEN: 'mgmt' };
});

describe('tollgate acl policy apply', () => {
  it('writes the policy from a file with its description, as in seed 001', async () => {
    const file = join(dir, 'anonymous.policy.hcl');
    await writeFile(file, RULES);
    agent.on('POST', '/v1/acl/policy/anonymous', { index: 12 });
    const r = await runCli(['acl', 'policy', 'apply', '-description', 'Anonymous policy (full-access)', 'anonymous', file], { env });
    expect(r).toEqual({ code: 0, stderr: '', stdout: 'Successfully wrote "anonymous" ACL policy!\n' });
    expect(JSON.parse(agent.requests[0]?.body ?? '')).toEqual({
      Name: 'anonymous',
      Description: 'Anonymous policy (full-access)',
      Rules: RULES,
      // As Nomad's Go client sends it when no workload is named.
      JobACL: null,
    });
  });

  it('reads the rules from stdin when the path is - (JSON works too; the agent parses it)', async () => {
    const json = '{"namespace":{"default":{"policy":"read"}}}';
    agent.on('POST', '/v1/acl/policy/readonly', {});
    const r = await runCli(['acl', 'policy', 'apply', '--description=ro', 'readonly', '-'], { env, stdin: json });
    expect(r.code).toBe(0);
    expect(JSON.parse(agent.requests[0]?.body ?? '')).toEqual({ Name: 'readonly', Description: 'ro', Rules: json, JobACL: null });
  });

  it('fails with Go\'s file error when the file does not exist, without calling the agent', async () => {
    const missing = join(dir, 'missing.hcl');
    const r = await runCli(['acl', 'policy', 'apply', 'anonymous', missing], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Failed to read file: open ${missing}: no such file or directory\n`);
    expect(agent.requests).toHaveLength(0);
  });

  it('fails when the path is a directory', async () => {
    const r = await runCli(['acl', 'policy', 'apply', 'anonymous', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Failed to read file: read ${dir}: is a directory\n`);
  });

  it('reports rules the agent rejects', async () => {
    const file = join(dir, 'bad.hcl');
    await writeFile(file, 'namespace "x" { policy = "sudo" }');
    agent.on('POST', '/v1/acl/policy/bad', { status: 400, body: 'Invalid policy: invalid namespace policy: "sudo"' });
    const r = await runCli(['acl', 'policy', 'apply', 'bad', file], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error writing ACL policy: Unexpected response code: 400 (Invalid policy: invalid namespace policy: "sudo")\n');
  });

  it('reports 403 for a non-management token', async () => {
    const file = join(dir, 'p.hcl');
    await writeFile(file, RULES);
    agent.on('POST', '/v1/acl/policy/p', { status: 403, body: 'Permission denied' });
    const r = await runCli(['acl', 'policy', 'apply', 'p', file], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error writing ACL policy: Unexpected response code: 403 (Permission denied)\n');
  });

  it('needs both a name and a path', async () => {
    const r = await runCli(['acl', 'policy', 'apply', 'anonymous'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('This command takes two arguments: <name> and <path>\n');
  });
});

describe('tollgate acl policy info', () => {
  const policy = { Name: 'anonymous', Description: 'Anonymous policy (full-access)', Rules: RULES, CreateIndex: 12, ModifyIndex: 14 };

  it('prints the metadata block, then the raw rules', async () => {
    agent.on('GET', '/v1/acl/policy/anonymous', { body: { ...policy, RulesJSON: {} } });
    const r = await runCli(['acl', 'policy', 'info', 'anonymous'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Name        = anonymous\n' +
        'Description = Anonymous policy (full-access)\n' +
        'CreateIndex = 12\n' +
        'ModifyIndex = 14\n' +
        '\nRules\n\n' +
        `${RULES}\n`,
    );
  });

  it('prints the policy as JSON with -json', async () => {
    agent.on('GET', '/v1/acl/policy/anonymous', { body: policy });
    expect(JSON.parse((await runCli(['acl', 'policy', 'info', '-json', 'anonymous'], { env })).stdout)).toEqual(policy);
  });

  it('reports a missing policy as the agent\'s 404', async () => {
    agent.on('GET', '/v1/acl/policy/nope', { status: 404, body: 'ACL policy not found' });
    const r = await runCli(['acl', 'policy', 'info', 'nope'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error fetching info on ACL policy: Unexpected response code: 404 (ACL policy not found)\n');
  });
});

describe('tollgate acl policy list', () => {
  it('prints a Name / Description table', async () => {
    agent.on('GET', '/v1/acl/policies', {
      body: [
        { Name: 'anonymous', Description: 'Anonymous policy (full-access)', CreateIndex: 1, ModifyIndex: 1 },
        { Name: 'app1', Description: '', CreateIndex: 2, ModifyIndex: 2 },
      ],
    });
    const r = await runCli(['acl', 'policy', 'list'], { env });
    expect(r.stdout).toBe('Name       Description\nanonymous  Anonymous policy (full-access)\napp1       <none>\n');
  });

  it('says so when there are no policies', async () => {
    agent.on('GET', '/v1/acl/policies', { body: [] });
    expect((await runCli(['acl', 'policy', 'list'], { env })).stdout).toBe('No policies found\n');
  });

  it('reports an agent error', async () => {
    agent.on('GET', '/v1/acl/policies', { status: 403, body: 'ACL token not found' });
    const r = await runCli(['acl', 'policy', 'list'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error fetching ACL policies: Unexpected response code: 403 (ACL token not found)\n');
  });
});

describe('tollgate acl policy delete', () => {
  it('deletes and says so like nomad', async () => {
    agent.on('DELETE', '/v1/acl/policy/app1', { index: 20 });
    const r = await runCli(['acl', 'policy', 'delete', 'app1'], { env });
    expect(r).toEqual({ code: 0, stderr: '', stdout: 'Successfully deleted app1 policy!\n' });
  });

  it('reports 403', async () => {
    agent.on('DELETE', '/v1/acl/policy/app1', { status: 403, body: 'Permission denied' });
    const r = await runCli(['acl', 'policy', 'delete', 'app1'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error deleting ACL policy: Unexpected response code: 403 (Permission denied)\n');
  });
});

describe('tollgate acl policy apply with a workload', () => {
  it('sends JobACL built from -namespace/-job/-group/-task', async () => {
    agent.on('POST', '/v1/acl/policy/wi', {});
    const r = await runCli(['acl', 'policy', 'apply', '-namespace', 'default', '-job', 'web', '-group', 'g', 'wi', '-'], { env, stdin: '' });
    expect(r.code).toBe(0);
    expect(JSON.parse(agent.requests[0]?.body ?? '').JobACL).toEqual({ Namespace: 'default', JobID: 'web', Group: 'g', Task: '' });
  });

  it.each([
    [['-job', 'web'], '-namespace is required if -job is set'],
    [['-namespace', 'n', '-group', 'g'], '-job is required if -group is set'],
    [['-namespace', 'n', '-job', 'j', '-task', 't'], '-group is required if -task is set'],
  ])('refuses %j without calling the agent', async (flags, message) => {
    const r = await runCli(['acl', 'policy', 'apply', ...flags, 'wi', '-'], { env, stdin: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(agent.requests).toHaveLength(0);
  });
});

describe('tollgate acl policy info with a workload', () => {
  it('prints the Associated Workload block between the metadata and the rules', async () => {
    agent.on('GET', '/v1/acl/policy/wi', {
      body: { Name: 'wi', Description: '', Rules: RULES, JobACL: { Namespace: 'default', JobID: 'web', Group: '', Task: '' }, CreateIndex: 3, ModifyIndex: 4 },
    });
    const r = await runCli(['acl', 'policy', 'info', 'wi'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Name        = wi\nDescription = <none>\nCreateIndex = 3\nModifyIndex = 4\n\n' +
        'Associated Workload\nNamespace = default\nJobID     = web\nGroup     = <none>\nTask      = <none>\n\n' +
        `Rules\n\n${RULES}\n`,
    );
  });
});

describe('tollgate acl policy self', () => {
  it('says so for a management token', async () => {
    agent.on('GET', '/v1/acl/token/self', { body: { Type: 'management', Policies: null } });
    agent.on('GET', '/v1/acl/policy/self', { body: [] });
    const r = await runCli(['acl', 'policy', 'self'], { env });
    expect(r).toEqual({ code: 0, stderr: '', stdout: 'This is a management token. No individual policies are assigned.\n' });
  });

  it('lists a client token\'s policies with their workload columns', async () => {
    agent.on('GET', '/v1/acl/token/self', { body: { Type: 'client', Policies: ['ops', 'wi'] } });
    agent.on('GET', '/v1/acl/policy/self', {
      body: [
        { Name: 'ops', Description: '', JobACL: null, CreateIndex: 1, ModifyIndex: 1 },
        { Name: 'wi', Description: '', JobACL: { Namespace: 'default', JobID: 'web', Group: 'g', Task: 't' }, CreateIndex: 2, ModifyIndex: 2 },
      ],
    });
    const r = await runCli(['acl', 'policy', 'self'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Name  Job ID  Group Name  Task Name\nops   <none>  <none>      <none>\nwi    web     g           t\n');
  });
});

describe('tollgate acl policy list -filter', () => {
  it('sends the expression as ?filter=', async () => {
    agent.on('GET', '/v1/acl/policies', { body: [] });
    const r = await runCli(['acl', 'policy', 'list', '-filter', 'Name contains "ci"'], { env });
    expect(r.code).toBe(0);
    expect(agent.requests[0]?.query.get('filter')).toBe('Name contains "ci"');
  });
});
