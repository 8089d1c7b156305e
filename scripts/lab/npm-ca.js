// @ts-check
// Prints, as PEM, the CA certificates this machine's npm trusts beyond Node's
// own store: the certificates in npm's `cafile` (or NODE_EXTRA_CA_CERTS) that
// are not among Node's bundled roots. Behind a TLS-intercepting proxy that is
// the proxy's CA, which `npm ci` inside the container lab's image build needs
// (deploy/Dockerfile's NPM_CA_PEM build argument); the full bundle would not
// fit in a build argument. Prints nothing where npm trusts only Node's store.
//
//   export TOLLGATE_LAB_NPM_CA_PEM="$(node scripts/lab/npm-ca.js)"
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { pathToFileURL } from 'node:url';

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** @param {string} pem the base64 body of one certificate, whitespace removed */
const body = (pem) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

/**
 * The certificates in `bundle` (PEM text) that Node does not trust by itself.
 * @param {string} bundle
 * @returns {string[]}
 */
export function extraCertificates(bundle) {
  const known = new Set(rootCertificates.map(body));
  return (bundle.match(PEM_RE) ?? []).filter((pem) => !known.has(body(pem)));
}

/** The CA file npm uses here: `npm config get cafile`, else NODE_EXTRA_CA_CERTS. */
export function npmCaFile() {
  let cafile = '';
  try {
    cafile = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // no npm on PATH: fall back to Node's variable
  }
  if (cafile && cafile !== 'null' && cafile !== 'undefined') return cafile;
  return process.env.NODE_EXTRA_CA_CERTS || undefined;
}

/** PEM text of the extra CAs npm trusts on this machine ('' when none). */
export function npmExtraCaPem() {
  const file = npmCaFile();
  if (!file) return '';
  return extraCertificates(readFileSync(file, 'utf8')).join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const pem = npmExtraCaPem();
  if (pem) process.stdout.write(`${pem}\n`);
}
