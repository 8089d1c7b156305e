import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli, startAgent } from './testkit.js';
import type { RunningAgent } from './testkit.js';

// The CLI's error paths against a real agent process: each prints the
// command's prefix and the agent's status and text, and exits 1.

let agent: RunningAgent;
let addr: Record<string, string>;
let mgmt: Record<string, string>;
let client: Record<string, string>;
let dir: string;

const secretOf = (stdout: string) => /^Secret ID\s+= (\S+)$/m.exec(stdout)?.[1] ?? '';

beforeAll(async () => {
  agent = await startAgent();
  dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-e2e-'));
  addr = { TOLLGATE_ADDR: agent.addr };
  const boot = await runCli(['acl', 'bootstrap'], { env: addr });
  expect(boot.code).toBe(0);
  mgmt = { ...addr, TOLLGATE_TOKEN: secretOf(boot.stdout) };
  const c = await runCli(['acl', 'token', 'create', '-name=ci', '-policy=readonly'], { env: mgmt });
  expect(c.code).toBe(0);
  client = { ...addr, TOLLGATE_TOKEN: secretOf(c.stdout) };
});
afterAll(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(agent.dataDir, { recursive: true, force: true });
});

describe('tollgate against a real agent: error paths', () => {
  it('prints the version from the bin', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string };
    expect(await runCli(['version'])).toEqual({ code: 0, stdout: `Tollgate v${pkg.version}\n`, stderr: '' });
  });

  it('403: a client token may not list, create or delete tokens, nor write or delete policies', async () => {
    const denied = 'Unexpected response code: 403 (Permission denied)\n';
    const cases: [string[], string][] = [
      [['acl', 'token', 'list'], 'Error listing ACL tokens'],
      [['acl', 'token', 'create', '-policy=x'], 'Error creating token'],
      [['acl', 'token', 'delete', '00000000-0000-0000-0000-000000000000'], 'Error deleting token'],
      [['acl', 'policy', 'apply', 'p', '-'], 'Error writing ACL policy'],
      [['acl', 'policy', 'delete', 'p'], 'Error deleting ACL policy'],
    ];
    for (const [argv, prefix] of cases) {
      const r = await runCli(argv, { env: client, stdin: 'namespace "default" { policy = "read" }' });
      expect({ argv, code: r.code, stderr: r.stderr }).toEqual({ argv, code: 1, stderr: `${prefix}: ${denied}` });
    }
  });

  it('403: an unknown token is refused, not treated as anonymous', async () => {
    const r = await runCli(['acl', 'token', 'self'], { env: { ...addr, TOLLGATE_TOKEN: '11111111-2222-3333-4444-555555555555' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error fetching self token: Unexpected response code: 403 \(/);
  });

  it('404: unknown token accessor and unknown policy', async () => {
    const tok = await runCli(['acl', 'token', 'info', '00000000-0000-0000-0000-000000000000'], { env: mgmt });
    expect(tok.code).toBe(1);
    expect(tok.stderr).toBe('Error fetching token: Unexpected response code: 404 (ACL token not found)\n');
    const pol = await runCli(['acl', 'policy', 'info', 'nope'], { env: mgmt });
    expect(pol.code).toBe(1);
    expect(pol.stderr).toBe('Error fetching info on ACL policy: Unexpected response code: 404 (ACL policy not found)\n');
  });

  it('bad flags: an undefined flag and a flag without its value exit 1 with usage', async () => {
    const r = await runCli(['acl', 'token', 'create', '-bogus'], { env: mgmt });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flag provided but not defined: -bogus\nUsage: tollgate acl token create \[options\]/);
    const v = await runCli(['acl', 'policy', 'apply', '-description'], { env: mgmt });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^flag needs an argument: -description\n/);
  });

  it('unreadable policy file: Go-style file error, nothing written', async () => {
    const missing = join(dir, 'missing.hcl');
    const r = await runCli(['acl', 'policy', 'apply', 'ghost', missing], { env: mgmt });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Failed to read file: open ${missing}: no such file or directory\n`);
    const info = await runCli(['acl', 'policy', 'info', 'ghost'], { env: mgmt });
    expect(info.code).toBe(1);
  });

  it('policy rules from stdin are applied, and invalid rules come back as the agent\'s 400', async () => {
    const ok = await runCli(['acl', 'policy', 'apply', '--description', 'read only', 'readonly', '-'], {
      env: mgmt,
      stdin: 'namespace "default" {\n  policy = "read"\n}\n',
    });
    expect(ok).toEqual({ code: 0, stdout: 'Successfully wrote "readonly" ACL policy!\n', stderr: '' });
    const list = await runCli(['acl', 'policy', 'list'], { env: mgmt });
    expect(list.stdout).toMatch(/^Name\s+Description\n(.*\n)*readonly\s+read only\n/);

    const bad = join(dir, 'bad.hcl');
    await writeFile(bad, 'namespace "default" {\n  policy = "sudo"\n}\n');
    const r = await runCli(['acl', 'policy', 'apply', 'bad', bad], { env: mgmt });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error writing ACL policy: Unexpected response code: 400 \(.+sudo.+\)\n$/s);
  });

  it('-ttl: a valid TTL adds the Expiry Time line; one below the agent\'s minimum is its 400', async () => {
    const ok = await runCli(['acl', 'token', 'create', '-policy=readonly', '-ttl=1h'], { env: mgmt });
    expect(ok.code).toBe(0);
    const created = Date.parse(`${/^Create Time\s+= (\S+ \S+)/m.exec(ok.stdout)?.[1]?.replace(' ', 'T')}Z`);
    const expiry = Date.parse(`${/^Expiry Time\s+= (\S+ \S+)/m.exec(ok.stdout)?.[1]?.replace(' ', 'T')}Z`);
    expect(expiry - created).toBe(3_600_000);
    const short = await runCli(['acl', 'token', 'create', '-policy=readonly', '-ttl=30s'], { env: mgmt });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/^Error creating token: Unexpected response code: 400 \(.*expiration time cannot be less than 1m0s in the future \(was 30s\)\)\n$/s);
    const bad = await runCli(['acl', 'token', 'create', '-policy=readonly', '-ttl=1d'], { env: mgmt });
    expect(bad).toEqual({ code: 1, stdout: '', stderr: 'Failed to parse TTL as time duration: time: invalid duration "1d"\n' });
  });

  it('acl token self without any token says so and exits 1', async () => {
    const r = await runCli(['acl', 'token', 'self'], { env: addr });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'No token present in the environment or set via the CLI flag\n' });
  });

  it('unreachable agent: status and acl commands name the address and exit 1', async () => {
    const spare = await startAgent();
    const dead = spare.addr;
    await spare.stop();
    const status = await runCli(['status', `-address=${dead}`]);
    expect(status.code).toBe(1);
    expect(status.stdout).toBe(`Address: ${dead}\n`);
    expect(status.stderr).toMatch(new RegExp(`^Error querying agent: Get "${dead}/v1/agent/health": connect ECONNREFUSED`));
    const list = await runCli(['acl', 'policy', 'list'], { env: { TOLLGATE_ADDR: dead } });
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(new RegExp(`^Error fetching ACL policies: Get "${dead}/v1/acl/policies": connect ECONNREFUSED`));
  });
});
