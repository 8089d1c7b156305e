import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface CertAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Which role a certificate is for, as `nomad tls cert create -server|-client|-cli`. */
export type CertKind = 'server' | 'client' | 'cli';

/** The domain every Tollgate certificate name ends in: `server.<region>.tollgate`. */
export const TLS_DOMAIN = 'tollgate';

/** Days a CA is valid by default (Nomad's five years). */
export const DEFAULT_CA_DAYS = 1825;
/** Days a server/client/cli certificate is valid by default (Nomad's one year). */
export const DEFAULT_CERT_DAYS = 365;

/** Options of {@link createCa}. */
export interface CreateCaOptions {
  /** @default 1825 */
  readonly days?: number;
  /** @default "Tollgate Agent CA <random hex>" */
  readonly commonName?: string;
}

/** Options of {@link createCert}. */
export interface CreateCertOptions {
  readonly ca: CertAndKey;
  readonly kind: CertKind;
  /** @default "global" */
  readonly region?: string;
  /** @default 365 */
  readonly days?: number;
  readonly additionalDnsNames?: readonly string[];
  readonly additionalIpAddresses?: readonly string[];
  /** Overrides the validity start (tests make expired certificates with it). @default now - 1 minute */
  readonly notBefore?: Date;
}

/** The DNS name a certificate of `kind` in `region` carries: `server.eu-west.tollgate`. */
export function roleName(kind: CertKind, region: string): string {
  return `${kind}.${region}.${TLS_DOMAIN}`;
}

/**
 * Makes a self-signed CA for agent and client certificates (2048-bit RSA,
 * SHA-256; the key pair comes from node:crypto, the X.509 encoding from
 * node-forge). Constrained to signing certificates: `pathlen 0`.
 *
 * @example const ca = createCa(); writeFileSync('ca.pem', ca.certPem);
 */
export function createCa(opts: CreateCaOptions = {}): CertAndKey {
  const days = checkDays(opts.days ?? DEFAULT_CA_DAYS);
  const { forgeKeys, keyPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgeKeys.publicKey;
  cert.serialNumber = serial();
  setValidity(cert, new Date(Date.now() - 60_000), days);
  const attrs = [
    { name: 'commonName', value: opts.commonName ?? `Tollgate Agent CA ${randomBytes(4).toString('hex')}` },
    { name: 'organizationName', value: 'Tollgate' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgeKeys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/**
 * Makes a certificate signed by `ca`, as `nomad tls cert create` does:
 * - server: `server.<region>.tollgate`, `localhost`, `127.0.0.1`; server and client auth
 *   (an agent is a TLS client of other regions' agents);
 * - client: `client.<region>.tollgate`, `localhost`, `127.0.0.1`; server and client auth;
 * - cli: `cli.<region>.tollgate`, `localhost`; client auth only.
 * Extra names and addresses are appended.
 *
 * @throws TypeError for an address that is not an IP or an empty DNS name.
 */
export function createCert(opts: CreateCertOptions): CertAndKey {
  const region = opts.region ?? 'global';
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(region)) throw new TypeError(`region: invalid region name "${region}"`);
  const days = checkDays(opts.days ?? DEFAULT_CERT_DAYS);
  const caCert = forge.pki.certificateFromPem(opts.ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(opts.ca.keyPem);
  const { forgeKeys, keyPem } = newKeyPair();
  const name = roleName(opts.kind, region);
  const dns = [name, 'localhost', ...(opts.additionalDnsNames ?? [])];
  const ips = [...(opts.kind === 'cli' ? [] : ['127.0.0.1']), ...(opts.additionalIpAddresses ?? [])];
  for (const d of dns) if (!/^[a-zA-Z0-9*._-]+$/.test(d)) throw new TypeError(`additional-dnsname: invalid DNS name "${d}"`);
  for (const ip of ips) if (isIP(ip) === 0) throw new TypeError(`additional-ipaddress: "${ip}" is not an IP address`);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgeKeys.publicKey;
  cert.serialNumber = serial();
  setValidity(cert, opts.notBefore ?? new Date(Date.now() - 60_000), days);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: opts.kind !== 'cli', clientAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...new Set(dns)].map((value) => ({ type: 2, value })).concat([...new Set(ips)].map((ip) => ({ type: 7, ip }) as never)),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

function newKeyPair(): { forgeKeys: forge.pki.rsa.KeyPair; keyPem: string } {
  // Native key generation (node-forge's own is pure JavaScript and slow).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { forgeKeys: { privateKey: priv, publicKey }, keyPem };
}

function setValidity(cert: forge.pki.Certificate, notBefore: Date, days: number): void {
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * 86_400_000);
}

/** A positive 128-bit serial (the top bit cleared so DER keeps it positive). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new RangeError(`days: must be a whole number of days from 1 to 36500 (got ${days})`);
  return days;
}
