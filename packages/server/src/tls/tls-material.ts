import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsFileError } from '../errors.js';

export { TlsFileError };

/** The CA, certificate and key an agent serves and connects with, as read from disk. */
export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The certificate's notAfter, for the log and the expiry metric. */
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the certificate (logged on load and reload). */
  readonly fingerprint: string;
}


/**
 * Reads and checks `caFile`, `certFile`, `keyFile`: each parses; the
 * certificate is valid now, signed by the CA, and matches the key. Errors
 * name the file at fault, so an agent refuses to start (or a SIGHUP reload
 * keeps the old material) with a message that says what to fix.
 *
 * @throws TlsFileError
 */
export function loadTlsMaterial(files: { caFile: string; certFile: string; keyFile: string }, now = new Date()): TlsMaterial {
  const ca = readTlsFile(files.caFile, 'tls.ca_file');
  const cert = readTlsFile(files.certFile, 'tls.cert_file');
  const key = readTlsFile(files.keyFile, 'tls.key_file');
  const caCerts = parseCerts(ca, files.caFile, 'tls.ca_file');
  const [leaf] = parseCerts(cert, files.certFile, 'tls.cert_file');
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsFileError(`tls.key_file ${files.keyFile}: not a PEM private key`, { cause: err });
  }
  if (!leaf!.checkPrivateKey(privateKey)) {
    throw new TlsFileError(`tls.key_file ${files.keyFile}: the key does not match the certificate in ${files.certFile}`);
  }
  checkValidity(leaf!, files.certFile, 'tls.cert_file', now);
  for (const c of caCerts) checkValidity(c, files.caFile, 'tls.ca_file', now);
  if (!caCerts.some((c) => leaf!.checkIssued(c) && leaf!.verify(c.publicKey))) {
    throw new TlsFileError(`tls.cert_file ${files.certFile}: not signed by the CA in ${files.caFile}`);
  }
  return { ca, cert, key, notAfter: new Date(leaf!.validTo), fingerprint: leaf!.fingerprint256 };
}

function readTlsFile(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsFileError(`${key} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

function parseCerts(pem: Buffer, file: string, key: string): X509Certificate[] {
  const blocks = pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TlsFileError(`${key} ${file}: no PEM certificate in the file`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new TlsFileError(`${key} ${file}: not a valid certificate`, { cause: err });
    }
  });
}

function checkValidity(c: X509Certificate, file: string, key: string, now: Date): void {
  if (Date.parse(c.validTo) <= now.getTime()) throw new TlsFileError(`${key} ${file}: certificate expired on ${new Date(c.validTo).toISOString()}`);
  if (Date.parse(c.validFrom) > now.getTime()) throw new TlsFileError(`${key} ${file}: certificate not valid before ${new Date(c.validFrom).toISOString()}`);
}

/**
 * The DNS names in a peer certificate's subjectAltName (`DNS:a, DNS:b, IP
 * Address:…` as node:tls reports it).
 */
export function dnsNamesOf(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  return subjectaltname
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}

/** `server.<region>.tollgate` → region; anything else → undefined. */
export function serverRegionOf(dnsName: string): string | undefined {
  const m = /^server\.([a-zA-Z0-9_-]{1,64})\.tollgate$/.exec(dnsName);
  return m?.[1];
}
