import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/fake-agent.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-tls-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tollgate tls', () => {
  it('creates a CA, then server, client and cli certificates with Nomad-style names, SANs and 0600 keys', async () => {
    expect((await runCli(['tls', 'ca', 'create'], { cwd: dir })).code).toBe(0);
    const server = await runCli(['tls', 'cert', 'create', '-server', '-region=eu-west', '-additional-dnsname=tollgate.example.com', '-additional-ipaddress=10.0.0.7'], { cwd: dir });
    expect(server).toEqual({
      code: 0,
      stderr: '',
      stdout: `==> Certificate saved to: ${join(dir, 'eu-west-server-tollgate.pem')}\n==> Certificate key saved to: ${join(dir, 'eu-west-server-tollgate-key.pem')}\n`,
    });
    expect((await runCli(['tls', 'cert', 'create', '-client'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['tls', 'cert', 'create', '-cli', '-days=30'], { cwd: dir })).code).toBe(0);
    const ca = new X509Certificate(readFileSync(join(dir, 'tollgate-agent-ca.pem')));
    expect(ca.ca).toBe(true);
    const cert = new X509Certificate(readFileSync(join(dir, 'eu-west-server-tollgate.pem')));
    expect(cert.subjectAltName).toBe('DNS:server.eu-west.tollgate, DNS:localhost, DNS:tollgate.example.com, IP Address:127.0.0.1, IP Address:10.0.0.7');
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(new X509Certificate(readFileSync(join(dir, 'global-client-tollgate.pem'))).subjectAltName).toContain('DNS:client.global.tollgate');
    const cli = new X509Certificate(readFileSync(join(dir, 'global-cli-tollgate.pem')));
    expect(cli.subjectAltName).toBe('DNS:cli.global.tollgate, DNS:localhost');
    expect(Date.parse(cli.validTo) - Date.now()).toBeLessThan(31 * 86_400_000);
    for (const key of ['tollgate-agent-ca-key.pem', 'eu-west-server-tollgate-key.pem', 'global-client-tollgate-key.pem', 'global-cli-tollgate-key.pem']) {
      expect(statSync(join(dir, key)).mode & 0o777).toBe(0o600);
    }
  });

  it('refuses to overwrite existing files and leaves them unchanged', async () => {
    await runCli(['tls', 'ca', 'create'], { cwd: dir });
    const before = readFileSync(join(dir, 'tollgate-agent-ca.pem'), 'utf8');
    const again = await runCli(['tls', 'ca', 'create'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${join(dir, 'tollgate-agent-ca.pem')} already exists`);
    expect(readFileSync(join(dir, 'tollgate-agent-ca.pem'), 'utf8')).toBe(before);
    await runCli(['tls', 'cert', 'create', '-server'], { cwd: dir });
    expect((await runCli(['tls', 'cert', 'create', '-server'], { cwd: dir })).stderr).toContain('global-server-tollgate.pem already exists');
  });

  it('needs exactly one of -server, -client, -cli, a CA, and valid names', async () => {
    expect((await runCli(['tls', 'cert', 'create'], { cwd: dir })).stderr).toContain('Exactly one of -server, -client or -cli');
    expect((await runCli(['tls', 'cert', 'create', '-server', '-client'], { cwd: dir })).code).toBe(1);
    const noCa = await runCli(['tls', 'cert', 'create', '-server'], { cwd: dir });
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toContain('tollgate-agent-ca.pem');
    await runCli(['tls', 'ca', 'create'], { cwd: dir });
    expect((await runCli(['tls', 'cert', 'create', '-server', '-additional-ipaddress=not-an-ip'], { cwd: dir })).stderr).toContain('"not-an-ip" is not an IP address');
    expect((await runCli(['tls', 'cert', 'create', '-server', '-days=zero'], { cwd: dir })).stderr).toContain('-days must be a positive number');
  });
});
