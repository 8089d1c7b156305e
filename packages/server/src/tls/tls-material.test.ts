import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCa, createCert } from './cert-authority.js';
import { dnsNamesOf, loadTlsMaterial, serverRegionOf, TlsFileError } from './tls-material.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ca = createCa();
const good = createCert({ ca, kind: 'server', region: 'global' });

function files(cert: string, key: string, caPem = ca.certPem): { caFile: string; certFile: string; keyFile: string } {
  const f = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  writeFileSync(f.caFile, caPem);
  writeFileSync(f.certFile, cert);
  writeFileSync(f.keyFile, key);
  return f;
}

describe('loadTlsMaterial', () => {
  it('loads a certificate signed by the CA with its key', () => {
    const m = loadTlsMaterial(files(good.certPem, good.keyPem));
    expect(m.fingerprint).toMatch(/^[0-9A-F:]+$/);
    expect(m.notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it('names the file for each kind of bad input', () => {
    const old = createCert({ ca, kind: 'server', days: 1, notBefore: new Date(Date.now() - 3 * 86_400_000) });
    const other = createCert({ ca, kind: 'server' });
    const foreign = createCert({ ca: createCa(), kind: 'server' });
    const cases: Array<[string, string, string, (f: ReturnType<typeof files>) => RegExp]> = [
      ['expired', old.certPem, old.keyPem, (f) => new RegExp(`^tls\\.cert_file ${f.certFile}: certificate expired on `)],
      ['mismatched key', good.certPem, other.keyPem, (f) => new RegExp(`^tls\\.key_file ${f.keyFile}: the key does not match the certificate in ${f.certFile}$`)],
      ['another CA', foreign.certPem, foreign.keyPem, (f) => new RegExp(`^tls\\.cert_file ${f.certFile}: not signed by the CA in ${f.caFile}$`)],
      ['not PEM', 'not a certificate', good.keyPem, (f) => new RegExp(`^tls\\.cert_file ${f.certFile}: no PEM certificate in the file$`)],
      ['bad key', good.certPem, 'garbage', (f) => new RegExp(`^tls\\.key_file ${f.keyFile}: not a PEM private key$`)],
    ];
    for (const [what, cert, key, re] of cases) {
      const f = files(cert, key);
      let err: unknown;
      try {
        loadTlsMaterial(f);
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(TlsFileError);
      expect((err as TlsFileError).code).toBe('TOLLGATE_TLS_INVALID');
      expect((err as Error).message, what).toMatch(re(f));
    }
    expect(() => loadTlsMaterial({ caFile: join(dir, 'missing.pem'), certFile: 'x', keyFile: 'y' })).toThrow(/^tls\.ca_file .*missing\.pem: cannot read \(ENOENT\)$/);
  });
});

describe('certificate names', () => {
  it('reads DNS names from a subjectAltName and the region from a server name', () => {
    expect(dnsNamesOf('DNS:server.eu-west.tollgate, DNS:localhost, IP Address:127.0.0.1')).toEqual(['server.eu-west.tollgate', 'localhost']);
    expect(dnsNamesOf(undefined)).toEqual([]);
    expect(serverRegionOf('server.eu-west.tollgate')).toBe('eu-west');
    for (const n of ['client.eu-west.tollgate', 'server.eu-west.tollgate.evil', 'server..tollgate', 'xserver.a.tollgate']) expect(serverRegionOf(n)).toBeUndefined();
  });
});
