import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN, runCli, startFakeAgent } from '../../test/fake-agent.js';
import type { FakeAgent } from '../../test/fake-agent.js';

let agent: FakeAgent;
let env: Record<string, string>;
beforeAll(async () => {
  agent = await startFakeAgent();
});
afterAll(() => agent.close());
beforeEach(() => {
  agent.reset();
  env = { TOLLGATE_ADDR: agent.addr };
});

describe('tollgate acl bootstrap', () => {
  it('prints the bootstrap token block of seed 001 and exits 0', async () => {
    agent.on('POST', '/v1/acl/bootstrap', { body: BOOTSTRAP_TOKEN, index: 7 });
    const r = await runCli(['acl', 'bootstrap'], { env });
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Accessor ID  = 5b7fd453-d3f7-6814-81dc-fcfe6daedea5',
        'Secret ID    = 9184ec35-65d4-9258-61e3-0c066d0a45c5',
        'Name         = Bootstrap Token',
        'Type         = management',
        'Global       = true',
        'Policies     = n/a',
        'Create Time  = 2017-09-11 17:38:10.999089612 +0000 UTC',
        'Create Index = 7',
        'Modify Index = 7',
        '',
      ].join('\n'),
    });
    expect(agent.requests[0]?.body).toBe('');
  });

  it('reports an already bootstrapped cluster like nomad and exits 1', async () => {
    agent.on('POST', '/v1/acl/bootstrap', { status: 400, body: 'ACL bootstrap already done (reset index: 7)' });
    const r = await runCli(['acl', 'bootstrap'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error bootstrapping: Unexpected response code: 400 (ACL bootstrap already done (reset index: 7))\n');
  });

  it('reports a stale reset file with the mismatch message', async () => {
    agent.on('POST', '/v1/acl/bootstrap', {
      status: 400,
      body: 'Invalid bootstrap reset index (specified 7, reset index: 11)',
    });
    const r = await runCli(['acl', 'bootstrap'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(Invalid bootstrap reset index (specified 7, reset index: 11))');
  });

  it('sends an operator secret read from a file, without its trailing newline', async () => {
    agent.on('POST', '/v1/acl/bootstrap', { body: BOOTSTRAP_TOKEN });
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-'));
    const file = join(dir, 'secret');
    await writeFile(file, `${BOOTSTRAP_TOKEN.SecretID}\n`);
    const r = await runCli(['acl', 'bootstrap', file], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(agent.requests[0]?.body ?? '')).toEqual({ BootstrapSecret: BOOTSTRAP_TOKEN.SecretID });
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the operator secret from stdin when the path is -', async () => {
    agent.on('POST', '/v1/acl/bootstrap', { body: BOOTSTRAP_TOKEN });
    const r = await runCli(['acl', 'bootstrap', '-'], { env, stdin: 'abc\n' });
    expect(r.code).toBe(0);
    expect(JSON.parse(agent.requests[0]?.body ?? '')).toEqual({ BootstrapSecret: 'abc' });
  });

  it('fails before calling the agent when the secret file cannot be read', async () => {
    const r = await runCli(['acl', 'bootstrap', '/nonexistent/secret'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error reading provided token: open /nonexistent/secret: no such file or directory\n');
    expect(agent.requests).toHaveLength(0);
  });

  it('prints the agent\'s JSON with -json', async () => {
    agent.on('POST', '/v1/acl/bootstrap', { body: BOOTSTRAP_TOKEN });
    const r = await runCli(['acl', 'bootstrap', '-json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(BOOTSTRAP_TOKEN);
    expect(r.stdout).toContain('\n    "AccessorID": ');
  });

  it('refuses more than one argument', async () => {
    const r = await runCli(['acl', 'bootstrap', 'a', 'b'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("This command takes up to one argument\nFor additional help try 'tollgate acl bootstrap -h'\n");
  });
});
