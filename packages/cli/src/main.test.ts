import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadAddress, runCli, startFakeAgent } from '../test/fake-agent.js';
import type { FakeAgent } from '../test/fake-agent.js';
import { COMMANDS } from './command-tree.js';

let agent: FakeAgent;
let dead: string;
beforeAll(async () => {
  agent = await startFakeAgent();
  dead = await deadAddress();
});
afterAll(() => agent.close());

// One invocation per agent-talking command that gets as far as the HTTP call.
const API_CALLS: [string, string[], string][] = [
  ['acl bootstrap', ['acl', 'bootstrap'], 'Error bootstrapping'],
  ['acl token create', ['acl', 'token', 'create', '-policy=a'], 'Error creating token'],
  ['acl token update', ['acl', 'token', 'update', '-name=x', 'abc'], 'Error fetching token'],
  ['acl token info', ['acl', 'token', 'info', 'abc'], 'Error fetching token'],
  ['acl token self', ['acl', 'token', 'self'], 'Error fetching self token'],
  ['acl token list', ['acl', 'token', 'list'], 'Error listing ACL tokens'],
  ['acl token delete', ['acl', 'token', 'delete', 'abc'], 'Error deleting token'],
  ['acl policy apply', ['acl', 'policy', 'apply', 'p', '-'], 'Error writing ACL policy'],
  ['acl policy info', ['acl', 'policy', 'info', 'p'], 'Error fetching info on ACL policy'],
  ['acl policy list', ['acl', 'policy', 'list'], 'Error fetching ACL policies'],
  ['acl policy delete', ['acl', 'policy', 'delete', 'p'], 'Error deleting ACL policy'],
  ['acl policy self', ['acl', 'policy', 'self'], 'Error fetching policies'],
  ['acl role create', ['acl', 'role', 'create', '-name=r', '-policy=p'], 'Error creating ACL role'],
  ['acl role update', ['acl', 'role', 'update', 'abc'], 'Error reading ACL role'],
  ['acl role info', ['acl', 'role', 'info', 'abc'], 'Error reading ACL role'],
  ['acl role list', ['acl', 'role', 'list'], 'Error listing ACL roles'],
  ['acl role delete', ['acl', 'role', 'delete', 'abc'], 'Error deleting ACL role'],
  ['acl auth-method create', ['acl', 'auth-method', 'create', '-name=m', '-type=JWT', '-max-token-ttl=1h', '-token-locality=local', '-config={}'], 'Error creating ACL auth method'],
  ['acl auth-method update', ['acl', 'auth-method', 'update', 'm'], 'Error updating ACL auth method'],
  ['acl auth-method info', ['acl', 'auth-method', 'info', 'm'], 'Error reading ACL auth method'],
  ['acl auth-method list', ['acl', 'auth-method', 'list'], 'Error listing ACL auth methods'],
  ['acl auth-method delete', ['acl', 'auth-method', 'delete', 'm'], 'Error deleting ACL auth method'],
  ['acl binding-rule create', ['acl', 'binding-rule', 'create', '-auth-method=m', '-bind-type=management'], 'Error creating ACL binding rule'],
  ['acl binding-rule update', ['acl', 'binding-rule', 'update', 'abc'], 'Error updating ACL binding rule'],
  ['acl binding-rule info', ['acl', 'binding-rule', 'info', 'abc'], 'Error reading ACL binding rule'],
  ['acl binding-rule list', ['acl', 'binding-rule', 'list'], 'Error listing ACL binding rules'],
  ['acl binding-rule delete', ['acl', 'binding-rule', 'delete', 'abc'], 'Error deleting ACL binding rule'],
  ['login', ['login', '-method=m', '-login-token=x.y.z'], 'Error listing ACL auth methods'],
  ['status', ['status'], 'Error querying agent'],
  ['audit hash', ['audit', 'hash', '-'], 'Error hashing'],
  ['acl token renew', ['acl', 'token', 'renew', 'abc'], 'Error renewing token'],
];

describe('every agent command', () => {
  it('is covered by the table below', () => {
    const covered = new Set(API_CALLS.map(([name]) => name));
    const needClient = COMMANDS.filter((c) => c.clientFlags).map((c) => c.name);
    expect(needClient.filter((n) => !covered.has(n))).toEqual([]);
  });

  it.each(API_CALLS)('%s exits 1 with its prefix and the address when the agent is unreachable', async (_, argv, prefix) => {
    const r = await runCli(argv, { env: { TOLLGATE_ADDR: dead, TOLLGATE_TOKEN: 'secret' }, stdin: 'x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${prefix}: (Get|Post|Delete) "${dead}/v1/[^"]+": connect ECONNREFUSED `));
  });

  it.each(API_CALLS)('%s exits 1 with the 403 body when the agent denies it', async (_, argv, prefix) => {
    const denied = await startFakeAgent();
    try {
      for (const m of ['GET', 'POST', 'DELETE']) {
        for (const p of ['/v1/acl/bootstrap', '/v1/acl/token', '/v1/acl/token/abc', '/v1/acl/token/self', '/v1/acl/tokens', '/v1/acl/policy/p', '/v1/acl/policies', '/v1/agent/health', '/v1/audit/hash', '/v1/acl/role', '/v1/acl/role/abc', '/v1/acl/roles', '/v1/acl/auth-method', '/v1/acl/auth-method/m', '/v1/acl/auth-methods', '/v1/acl/binding-rule', '/v1/acl/binding-rule/abc', '/v1/acl/binding-rules', '/v1/acl/token/abc/renew']) {
          denied.on(m, p, { status: 403, body: 'Permission denied' });
        }
      }
      const r = await runCli(argv, { env: { TOLLGATE_ADDR: denied.addr, TOLLGATE_TOKEN: 'secret' }, stdin: 'x' });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${prefix}: Unexpected response code: 403 (Permission denied)\n`);
    } finally {
      await denied.close();
    }
  });

  // `agent` hands its flags to the server, which rejects unknown ones itself
  // (covered by the server's tests); loading the server has no place here.
  const parsedHere = COMMANDS.filter((c) => !c.passThrough).map((c) => [c.name] as const);
  it.each(parsedHere)('%s rejects an undefined flag with exit 1 and its usage', async (name) => {
    const r = await runCli([...name.split(' '), '-bogus'], { env: { TOLLGATE_ADDR: dead } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^flag provided but not defined: -bogus\\nUsage: tollgate ${name}`));
  });

  it.each(COMMANDS.map((c) => [c.name] as const))('%s prints its help on -h to stdout and exits 0', async (name) => {
    const r = await runCli([...name.split(' '), '-h']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: tollgate ${name}`));
  });

  it('reports a bad -address before any request', async () => {
    const r = await runCli(['acl', 'token', 'list', '-address=http://bad host:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error initializing client: address: "http://bad host:1" is not a valid URL\n');
  });
});

describe('tollgate dispatch', () => {
  it('prints the version from the cli package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await runCli(['version'])).toEqual({ code: 0, stdout: `Tollgate v${pkg.version}\n`, stderr: '' });
    expect((await runCli(['--version'])).stdout).toBe(`Tollgate v${pkg.version}\n`);
  });

  it('prints the top-level help to stderr and exits 1 with no command', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: tollgate <subcommand>/);
    expect(r.stderr).toContain('    acl        Interact with ACL policies, roles, tokens, auth methods and binding rules\n');
  });

  it('lists a group\'s subcommands on -h with exit 0', async () => {
    const r = await runCli(['acl', 'token', '-h']);
    expect(r.code).toBe(0);
    for (const sub of ['create', 'delete', 'info', 'list', 'self', 'update']) expect(r.stdout).toContain(`    ${sub} `);
  });

  it('names an unknown command and exits 1', async () => {
    const r = await runCli(['acl', 'frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Unknown command: acl frobnicate\n\nUsage: tollgate acl <subcommand>/);
  });

  it('prints the group help with exit 1 for a group without a subcommand', async () => {
    const r = await runCli(['acl', 'policy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Usage: tollgate acl policy <subcommand>/);
  });

  it('documents the agent flags on agent -h without loading the server', async () => {
    const r = await runCli(['agent', '-h']);
    expect(r.code).toBe(0);
    for (const f of ['-config=<path>', '-dev', '-region=<region>', '-data-dir=<path>', '-bind=<addr>', '-http-port=<port>', '-rpc-port=<port>']) {
      expect(r.stdout).toContain(`  ${f}\n`);
    }
  });
});
