import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileExistsError } from '../errors.js';
import { createCa, createCert, TLS_DOMAIN } from './cert-authority.js';
import type { CertAndKey, CertKind, CreateCaOptions, CreateCertOptions } from './cert-authority.js';

/** `tollgate-agent-ca.pem`, as Nomad names `nomad-agent-ca.pem`. */
export const CA_FILE = `${TLS_DOMAIN}-agent-ca.pem`;
/** `tollgate-agent-ca-key.pem`. */
export const CA_KEY_FILE = `${TLS_DOMAIN}-agent-ca-key.pem`;

/** The files a certificate of `kind` in `region` is written to: `eu-west-server-tollgate.pem` and `…-key.pem`. */
export function certFileNames(kind: CertKind, region: string): { readonly cert: string; readonly key: string } {
  const base = `${region}-${kind}-${TLS_DOMAIN}`;
  return { cert: `${base}.pem`, key: `${base}-key.pem` };
}

/**
 * Writes a pair of files: the certificate 0644, the key 0600. Refuses
 * (`TOLLGATE_FILE_EXISTS`, naming the file) when either exists, and writes neither then.
 */
export function writeCertPair(dir: string, names: { cert: string; key: string }, pair: CertAndKey): { cert: string; key: string } {
  const cert = join(dir, names.cert);
  const key = join(dir, names.key);
  for (const f of [cert, key]) {
    if (existsSync(f)) throw new FileExistsError(f);
  }
  // Exclusive creation as well: a file appearing meanwhile is not overwritten either.
  writeFileSync(key, pair.keyPem, { flag: 'wx', mode: 0o600 });
  writeFileSync(cert, pair.certPem, { flag: 'wx', mode: 0o644 });
  return { cert, key };
}

/** `tollgate tls ca create`: makes a CA in `dir`; returns the paths written. */
export function writeCaFiles(dir: string, opts: CreateCaOptions = {}): { cert: string; key: string } {
  return writeCertPair(dir, { cert: CA_FILE, key: CA_KEY_FILE }, createCa(opts));
}

/**
 * `tollgate tls cert create`: reads the CA (`caFile`, `caKeyFile`, by default
 * the files of {@link writeCaFiles} in `dir`), makes a certificate and writes
 * it into `dir`; returns the paths written.
 */
export function writeCertFiles(
  dir: string,
  opts: Omit<CreateCertOptions, 'ca'> & { readonly caFile?: string; readonly caKeyFile?: string },
): { cert: string; key: string } {
  const ca: CertAndKey = {
    certPem: readFileSync(opts.caFile ?? join(dir, CA_FILE), 'utf8'),
    keyPem: readFileSync(opts.caKeyFile ?? join(dir, CA_KEY_FILE), 'utf8'),
  };
  return writeCertPair(dir, certFileNames(opts.kind, opts.region ?? 'global'), createCert({ ...opts, ca }));
}
