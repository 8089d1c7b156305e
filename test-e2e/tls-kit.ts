/**
 * TLS pieces of the e2e test kit: a temp directory with a CA and per-region
 * server certificates (made by the same code as `tollgate tls`, imported
 * from source), the `tls` block that uses them, and a fetch that trusts the CA.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tlsFetch } from '../packages/client/src/client-tls.js';
import { createCa, createCert } from '../packages/server/src/tls/cert-authority.js';
import type { CertAndKey, CreateCertOptions } from '../packages/server/src/tls/cert-authority.js';

/** A CA and certificates in a temp dir. */
export interface TlsLab {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: CertAndKey;
  /** `{cert, key}` paths of region R's server certificate. */
  server(region: string): { cert: string; key: string };
  /** Writes another certificate signed by this CA (or `ca`) under `name`; returns its paths. */
  issue(name: string, opts: Omit<CreateCertOptions, 'ca'> & { ca?: CertAndKey }): { cert: string; key: string };
  /** The `tls { … }` block of region R's agent. */
  hcl(region: string, extra?: string): string;
  /** A fetch that trusts the CA (and presents a cli certificate). */
  readonly fetch: typeof fetch;
  remove(): void;
}

/** Makes a CA and a server certificate for each region. */
export function makeTlsLab(regions: readonly string[]): TlsLab {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-tls-'));
  const ca = createCa();
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  const issue: TlsLab['issue'] = (name, opts) => {
    const pair = createCert({ ...opts, ca: opts.ca ?? ca });
    const cert = join(dir, `${name}.pem`);
    const key = join(dir, `${name}-key.pem`);
    writeFileSync(cert, pair.certPem);
    writeFileSync(key, pair.keyPem, { mode: 0o600 });
    return { cert, key };
  };
  for (const r of regions) issue(`${r}-server`, { kind: 'server', region: r });
  const cli = issue('cli', { kind: 'cli' });
  const server = (r: string): { cert: string; key: string } => ({ cert: join(dir, `${r}-server.pem`), key: join(dir, `${r}-server-key.pem`) });
  return {
    dir,
    caFile,
    ca,
    server,
    issue,
    hcl(region, extra = '') {
      const s = server(region);
      return (
        `tls {\n  http = true\n  rpc = true\n  ca_file = "${caFile}"\n  cert_file = "${s.cert}"\n  key_file = "${s.key}"\n` +
        `  verify_server_hostname = true\n${extra}}\n`
      );
    },
    fetch: tlsFetch({ caCert: caFile, clientCert: cli.cert, clientKey: cli.key }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
