// @ts-check
// The lab's certificates: a CA and one server certificate per region (plus a
// CLI certificate), made on the first start into <base-dir>/tls with the same
// code as `tollgate tls ca create` / `tollgate tls cert create`, and reused
// afterwards. The container lab's one-shot `certs` service runs this too.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * @typedef {{ dir: string, caFile: string, server: (region: string) => { cert: string, key: string }, cli: { cert: string, key: string } }} LabCerts
 */

/**
 * Makes whatever is missing: the CA, each region's server certificate, the
 * CLI certificate. Existing files are kept (the CA above all: certificates
 * already handed out stay valid).
 *
 * @param {string} dir
 * @param {readonly string[]} regions
 * @param {{ log?: (line: string) => void, additionalDnsNames?: (region: string) => string[] }} [opts]
 * @returns {Promise<LabCerts>}
 */
export async function ensureLabCerts(dir, regions, opts = {}) {
  const tls = await import('@tollgate/server');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, tls.CA_FILE);
  if (!existsSync(caFile)) {
    tls.writeCaFiles(dir, { commonName: 'Tollgate Lab CA' });
    opts.log?.(`made a lab CA in ${caFile}`);
  }
  /** @param {'server' | 'cli'} kind @param {string} region */
  const paths = (kind, region) => {
    const n = tls.certFileNames(kind, region);
    return { cert: join(dir, n.cert), key: join(dir, n.key) };
  };
  for (const region of regions) {
    if (existsSync(paths('server', region).cert)) continue;
    tls.writeCertFiles(dir, { kind: 'server', region, additionalDnsNames: opts.additionalDnsNames?.(region) ?? [] });
    opts.log?.(`made the ${region} server certificate`);
  }
  const cliRegion = regions[0] ?? 'global';
  if (!existsSync(paths('cli', cliRegion).cert)) tls.writeCertFiles(dir, { kind: 'cli', region: cliRegion });
  return { dir, caFile, server: (r) => paths('server', r), cli: paths('cli', cliRegion) };
}
