import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../config.js';
import { AgentTls } from './agent-tls.js';
import { createCa, createCert } from './cert-authority.js';
import { noopTlsMetrics } from './tls-metrics.js';

let dir: string;
let logs: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-agent-tls-'));
  logs = '';
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ca = createCa();

function setup(): { tls: AgentTls; certFile: string; keyFile: string } {
  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const first = createCert({ ca, kind: 'server' });
  writeFileSync(caFile, ca.certPem);
  writeFileSync(certFile, first.certPem);
  writeFileSync(keyFile, first.keyPem);
  const config = resolveAgentConfig({ data_dir: dir, tls: { rpc: true, ca_file: caFile, cert_file: certFile, key_file: keyFile } });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  return { tls: new AgentTls(config.tls, pino(sink), noopTlsMetrics), certFile, keyFile };
}

describe('AgentTls.reload (SIGHUP)', () => {
  it('takes new files that check out and tells its listeners', () => {
    const { tls, certFile, keyFile } = setup();
    const before = tls.material.fingerprint;
    const seen: string[] = [];
    tls.onReload((m) => seen.push(m.fingerprint));
    const next = createCert({ ca, kind: 'server' });
    writeFileSync(certFile, next.certPem);
    writeFileSync(keyFile, next.keyPem);
    expect(tls.reload()).toBe(true);
    expect(tls.material.fingerprint).not.toBe(before);
    expect(seen).toEqual([tls.material.fingerprint]);
    expect(tls.serverOptions().cert).toEqual(Buffer.from(next.certPem));
  });

  it('keeps the current certificate when the new files do not check out, and says why', () => {
    const { tls, certFile } = setup();
    const before = tls.material.fingerprint;
    let called = false;
    tls.onReload(() => (called = true));
    // A new certificate without its key: the pair does not match.
    writeFileSync(certFile, createCert({ ca, kind: 'server' }).certPem);
    expect(tls.reload()).toBe(false);
    expect(tls.material.fingerprint).toBe(before);
    expect(called).toBe(false);
    expect(logs).toContain('TLS reload failed; keeping the current certificate');
    expect(logs).toContain('the key does not match the certificate');
  });
});
