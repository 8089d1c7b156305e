import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startFakeAgent } from '../../test/fake-agent.js';
import type { FakeAgent } from '../../test/fake-agent.js';

let agent: FakeAgent;
let dir: string;
beforeAll(async () => {
  agent = await startFakeAgent();
  dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-audit-'));
});
afterAll(async () => {
  await agent.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tollgate audit hash', () => {
  it('sends the secret read from stdin (one trailing newline cut) and prints the hash', async () => {
    agent.on('POST', '/v1/audit/hash', { status: 200, body: { Hash: 'hmac-sha256:' + 'ab'.repeat(32) } });
    const r = await runCli(['audit', 'hash', '-'], { env: { TOLLGATE_ADDR: agent.addr, TOLLGATE_TOKEN: 'mgmt' }, stdin: 'the-secret\n' });
    expect(r).toMatchObject({ code: 0, stdout: `hmac-sha256:${'ab'.repeat(32)}\n` });
    expect(JSON.parse(agent.requests.at(-1)?.body ?? '')).toEqual({ Input: 'the-secret' });
  });

  it('needs exactly one argument and a non-empty secret', async () => {
    expect((await runCli(['audit', 'hash'], { env: { TOLLGATE_ADDR: agent.addr } })).code).toBe(1);
    const empty = await runCli(['audit', 'hash', '-'], { env: { TOLLGATE_ADDR: agent.addr }, stdin: '\n' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/must not be empty/);
  });
});

describe('tollgate audit verify', () => {
  it('reports a file that is not an audit log with its line, exit 1', async () => {
    const f = join(dir, 'junk.log');
    await writeFile(f, 'hello\n');
    const r = await runCli(['audit', 'verify', f]);
    expect(r).toMatchObject({ code: 1, stdout: `${f}:1: not an audit line (edited, or not an audit log)\n` });
  });

  it('refuses a key file that does not hold 32 bytes, and a missing file', async () => {
    const f = join(dir, 'empty.log');
    await writeFile(f, '');
    const key = join(dir, 'key');
    await writeFile(key, 'c2hvcnQ=\n');
    expect((await runCli(['audit', 'verify', `-key-file=${key}`, f])).stderr).toMatch(/must hold base64 of 32 bytes/);
    const missing = await runCli(['audit', 'verify', join(dir, 'nope.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Error reading audit log: open .*nope\.log: no such file or directory/);
  });
});
