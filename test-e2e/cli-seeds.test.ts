import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, runCli, startAgent } from './testkit.js';
import type { RunningAgent } from './testkit.js';

// Replays the CLI steps of seed 001 (bootstrap) and seed 000 (token
// fundamentals) against real agent processes, checking that each step prints
// the seed's lines with this agent's values.

/** The token block lines of seeds 000/001, in order. */
const SEED_TOKEN_LABELS = [
  'Accessor ID',
  'Secret ID',
  'Name',
  'Type',
  'Global',
  'Policies',
  'Create Time',
  'Create Index',
  'Modify Index',
];

/** Go's default time format for a UTC time, fraction trimmed (or absent). */
const GO_UTC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d*[1-9])? \+0000 UTC$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses `Key   = value` lines, keeping their order. */
function parseKV(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S(?:.*\S)?)\s+= (.*)$/.exec(line);
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/** Asserts a successful run printed exactly a seed-shaped token block; returns its fields. */
function expectTokenBlock(r: { code: number; stdout: string; stderr: string }): Map<string, string> {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.replace(/\n$/, '').split('\n');
  expect(lines.map((l) => l.slice(0, 12).trimEnd())).toEqual(SEED_TOKEN_LABELS);
  for (const l of lines) expect(l.slice(12, 15)).toBe(' = ');
  const kv = parseKV(r.stdout);
  expect(kv.get('Create Time')).toMatch(GO_UTC_TIME);
  expect(kv.get('Accessor ID')).toMatch(UUID);
  expect(kv.get('Secret ID')).toMatch(UUID);
  return kv;
}

/** The instant a Go-formatted UTC time stands for, in ms (sub-ms digits dropped). */
function goTimeToMs(goTime: string): number {
  return Date.parse(`${goTime.replace(' +0000 UTC', '').replace(' ', 'T')}Z`);
}

/** Checks the CLI's block against the token as the HTTP API returns it. */
async function expectBlockMatchesApi(agent: RunningAgent, kv: Map<string, string>, mgmt: string): Promise<void> {
  const res = await api(agent.addr, 'GET', `/v1/acl/token/${kv.get('Accessor ID')}`, { token: mgmt });
  expect(res.status).toBe(200);
  const t = res.body as Record<string, unknown>;
  expect(kv.get('Accessor ID')).toBe(t.AccessorID);
  expect(kv.get('Secret ID')).toBe(t.SecretID);
  expect(kv.get('Name')).toBe(t.Name === '' ? '<none>' : t.Name);
  expect(kv.get('Type')).toBe(t.Type);
  expect(kv.get('Global')).toBe(String(t.Global));
  expect(kv.get('Policies')).toBe(t.Type === 'management' ? 'n/a' : `[${((t.Policies as string[] | null) ?? []).join(' ')}]`);
  expect(goTimeToMs(kv.get('Create Time') ?? '')).toBe(Date.parse(String(t.CreateTime)));
  expect(kv.get('Create Index')).toBe(String(t.CreateIndex));
  expect(kv.get('Modify Index')).toBe(String(t.ModifyIndex));
}

const ANONYMOUS_POLICY = `namespace "*" {
  policy       = "write"
  capabilities = ["alloc-node-exec"]
}

agent {
  policy = "write"
}

operator {
  policy = "write"
}

quota {
  policy = "write"
}

node {
  policy = "write"
}

host_volume "*" {
  policy = "write"
}
`;

describe('seed 001: bootstrap the ACL system with the tollgate CLI', () => {
  let agent: RunningAgent;
  let env: Record<string, string>;
  let boot: Map<string, string>;
  beforeAll(async () => {
    agent = await startAgent();
    env = { TOLLGATE_ADDR: agent.addr };
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('tollgate acl bootstrap prints the bootstrap token block', async () => {
    boot = expectTokenBlock(await runCli(['acl', 'bootstrap'], { env }));
    expect(boot.get('Name')).toBe('Bootstrap Token');
    expect(boot.get('Type')).toBe('management');
    expect(boot.get('Global')).toBe('true');
    expect(boot.get('Policies')).toBe('n/a');
    expect(boot.get('Create Index')).toBe(boot.get('Modify Index'));
    await expectBlockMatchesApi(agent, boot, boot.get('Secret ID') as string);
  });

  it('refuses a management command without a token: 403 (Permission denied)', async () => {
    const r = await runCli(['acl', 'token', 'list'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error listing ACL tokens: Unexpected response code: 403 (Permission denied)\n');
  });

  it('tollgate status works with the bootstrap token in TOLLGATE_TOKEN', async () => {
    const r = await runCli(['status'], { env: { ...env, TOLLGATE_TOKEN: boot.get('Secret ID') as string } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Address: ${agent.addr}\nAgent: reachable\nToken: management "Bootstrap Token" (accessor ${boot.get('Accessor ID')})\n`,
    );
  });

  it('tollgate acl policy apply -description … anonymous anonymous.policy.hcl writes the anonymous policy', async () => {
    const file = join(agent.dataDir, 'anonymous.policy.hcl');
    await writeFile(file, ANONYMOUS_POLICY);
    const r = await runCli(['acl', 'policy', 'apply', '-description', 'Anonymous policy (full-access)', 'anonymous', file], {
      env: { ...env, TOLLGATE_TOKEN: boot.get('Secret ID') as string },
    });
    expect(r).toEqual({ code: 0, stdout: 'Successfully wrote "anonymous" ACL policy!\n', stderr: '' });
  });

  it('anonymous requests now succeed: status and policy info without a token', async () => {
    const status = await runCli(['status'], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Token: anonymous\n');
    const info = await runCli(['acl', 'policy', 'info', 'anonymous'], { env });
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^Name        = anonymous\nDescription = Anonymous policy \(full-access\)\nCreateIndex = \d+\nModifyIndex = \d+\n\nRules\n\n/);
    expect(info.stdout).toContain(ANONYMOUS_POLICY);
  });

  it('creates the replication token with -token, -type="management" and -global=true', async () => {
    const r = await runCli(
      ['acl', 'token', 'create', '-type=management', '-global=true', '-name=Cluster A Replication Token', `-token=${boot.get('Secret ID')}`],
      { env },
    );
    const kv = expectTokenBlock(r);
    expect(kv.get('Name')).toBe('Cluster A Replication Token');
    expect(kv.get('Type')).toBe('management');
    expect(kv.get('Global')).toBe('true');
    expect(kv.get('Policies')).toBe('n/a');
    await expectBlockMatchesApi(agent, kv, boot.get('Secret ID') as string);
  });

  it('re-bootstraps only with the reset file, and a stale file gives the mismatch error', async () => {
    const resetIndex = boot.get('Create Index') as string;
    const again = await runCli(['acl', 'bootstrap'], { env });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      `Error bootstrapping: Unexpected response code: 400 (ACL bootstrap already done (reset index: ${resetIndex}))\n`,
    );

    // $ echo 7 >> /nomad-data-dir/server/acl-bootstrap-reset
    await mkdir(join(agent.dataDir, 'server'), { recursive: true });
    await writeFile(join(agent.dataDir, 'server', 'acl-bootstrap-reset'), `${resetIndex}\n`, { flag: 'a' });
    const reboot = expectTokenBlock(await runCli(['acl', 'bootstrap'], { env }));
    expect(reboot.get('Name')).toBe('Bootstrap Token');
    expect(reboot.get('Accessor ID')).not.toBe(boot.get('Accessor ID'));
    expect(Number(reboot.get('Create Index'))).toBeGreaterThan(Number(resetIndex));
    await expectBlockMatchesApi(agent, reboot, reboot.get('Secret ID') as string);

    const stale = await runCli(['acl', 'bootstrap'], { env });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(
      `Error bootstrapping: Unexpected response code: 400 (Invalid bootstrap reset index (specified ${resetIndex}, reset index: ${reboot.get('Create Index')}))\n`,
    );
  });
});

describe('seed 000: ACL token fundamentals with the tollgate CLI', () => {
  let agent: RunningAgent;
  let addr: Record<string, string>;
  let boot: Map<string, string>;
  let mgmt: string;
  const created: Record<string, Map<string, string>> = {};
  beforeAll(async () => {
    agent = await startAgent();
    addr = { TOLLGATE_ADDR: agent.addr };
    boot = expectTokenBlock(await runCli(['acl', 'bootstrap'], { env: addr }));
    mgmt = boot.get('Secret ID') as string;
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('tollgate acl token self shows the bootstrap token from TOLLGATE_TOKEN', async () => {
    const r = await runCli(['acl', 'token', 'self'], { env: { ...addr, TOLLGATE_TOKEN: mgmt } });
    const kv = expectTokenBlock(r);
    expect([...kv]).toEqual([...boot]);
  });

  it('keeps a unicode token name (🤞); a client token needs a policy, as in current Nomad', async () => {
    const bare = await runCli(['acl', 'token', 'create', '-name=🤞'], { env: { ...addr, TOLLGATE_TOKEN: mgmt } });
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/^Error creating token: Unexpected response code: 400 \(.*client token missing policies or roles/s);

    const kv = expectTokenBlock(await runCli(['acl', 'token', 'create', '-name=🤞', '-policy=app1'], { env: { ...addr, TOLLGATE_TOKEN: mgmt } }));
    expect(kv.get('Name')).toBe('🤞');
    expect(kv.get('Type')).toBe('client');
    expect(kv.get('Global')).toBe('false');
    expect(kv.get('Policies')).toBe('[app1]');
    await expectBlockMatchesApi(agent, kv, mgmt);
  });

  it('creates "New Management Token" with -type="management"', async () => {
    const kv = expectTokenBlock(
      await runCli(['acl', 'token', 'create', '-name=New Management Token', '-type=management'], { env: { ...addr, TOLLGATE_TOKEN: mgmt } }),
    );
    expect(kv.get('Name')).toBe('New Management Token');
    expect(kv.get('Type')).toBe('management');
    expect(kv.get('Global')).toBe('false');
    expect(kv.get('Policies')).toBe('n/a');
    created.management = kv;
  });

  it('creates client1 with -policy="app1" -policy="app2" using the new token from NOMAD_TOKEN', async () => {
    const env = { ...addr, NOMAD_TOKEN: created.management?.get('Secret ID') as string };
    const kv = expectTokenBlock(await runCli(['acl', 'token', 'create', '-name=client1', '-policy=app1', '-policy=app2'], { env }));
    expect(kv.get('Name')).toBe('client1');
    expect(kv.get('Type')).toBe('client');
    expect(kv.get('Global')).toBe('false');
    expect(kv.get('Policies')).toBe('[app1 app2]');
    await expectBlockMatchesApi(agent, kv, mgmt);
    created.client1 = kv;
  });

  it('creates the global client2 with -global -policy="app2"', async () => {
    const env = { ...addr, NOMAD_TOKEN: created.management?.get('Secret ID') as string };
    const kv = expectTokenBlock(await runCli(['acl', 'token', 'create', '-name=client2', '-global', '-policy=app2'], { env }));
    expect(kv.get('Global')).toBe('true');
    expect(kv.get('Policies')).toBe('[app2]');
    created.client2 = kv;
  });

  it('tollgate acl token self -token=<secret> and TOLLGATE_TOKEN both show client1', async () => {
    const secret = created.client1?.get('Secret ID') as string;
    const viaFlag = expectTokenBlock(await runCli(['acl', 'token', 'self', `-token=${secret}`], { env: addr }));
    const viaEnv = expectTokenBlock(await runCli(['acl', 'token', 'self'], { env: { ...addr, TOLLGATE_TOKEN: secret } }));
    expect([...viaFlag]).toEqual([...(created.client1 as Map<string, string>)]);
    expect([...viaEnv]).toEqual([...viaFlag]);
  });

  it('tollgate acl token info <accessor> prints the same block as create did', async () => {
    const r = await runCli(['acl', 'token', 'info', created.client1?.get('Accessor ID') as string], { env: { ...addr, TOLLGATE_TOKEN: mgmt } });
    const kv = expectTokenBlock(r);
    expect([...kv]).toEqual([...(created.client1 as Map<string, string>)]);
  });

  it('tollgate acl token list shows every token in a table, and -json the same tokens', async () => {
    const r = await runCli(['acl', 'token', 'list'], { env: { ...addr, TOLLGATE_TOKEN: mgmt } });
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^Name\s+Type\s+Global\s+Accessor ID\s+Expired$/);
    for (const name of ['management', 'client1', 'client2']) {
      const kv = created[name] as Map<string, string>;
      const row = rows.find((l) => l.includes(kv.get('Accessor ID') as string));
      expect(row).toMatch(new RegExp(`^${kv.get('Name')}\\s+${kv.get('Type')}\\s+${kv.get('Global')}\\s+${kv.get('Accessor ID')}\\s+false$`));
    }
    const json = await runCli(['acl', 'token', 'list', '-json'], { env: { ...addr, TOLLGATE_TOKEN: mgmt } });
    const listed = JSON.parse(json.stdout) as { AccessorID: string; SecretID?: string }[];
    expect(listed).toHaveLength(rows.length);
    expect(listed.every((t) => t.SecretID === undefined)).toBe(true);
  });

  it('tollgate acl token delete revokes client1, client2 and the management token', async () => {
    const env = { ...addr, TOLLGATE_TOKEN: mgmt };
    for (const name of ['client1', 'client2', 'management']) {
      const accessor = created[name]?.get('Accessor ID') as string;
      expect(await runCli(['acl', 'token', 'delete', accessor], { env })).toEqual({
        code: 0,
        stdout: `Token ${accessor} successfully deleted\n`,
        stderr: '',
      });
      const gone = await runCli(['acl', 'token', 'info', accessor], { env });
      expect(gone.code).toBe(1);
      expect(gone.stderr).toBe('Error fetching token: Unexpected response code: 404 (ACL token not found)\n');
    }
    const revoked = await runCli(['acl', 'token', 'self'], { env: { ...addr, TOLLGATE_TOKEN: created.client1?.get('Secret ID') as string } });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/^Error fetching self token: Unexpected response code: 403 \(/);
  });
});
