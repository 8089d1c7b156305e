// @ts-check
// The container lab's one-shot `certs` service (docker-compose.yml): makes the
// lab CA and one server certificate per region into the lab-tls volume, with
// the compose service names as extra DNS names (agents dial `global:4647`,
// lab-init and Prometheus `https://global:4646`). Existing files are kept, so
// a restart reuses them. Runs as root to own the fresh volume, then hands the
// files to the agents' user (keys 0600).
//
// Environment:
//   TOLLGATE_LAB_TLS_DIR     default /tls
//   TOLLGATE_LAB_TLS_OWNER   uid:gid of the agents' user, default 1000:1000 (node)
import { chmod, chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureLabCerts } from './certs.js';

const REGIONS = ['global', 'eu-west', 'us-east'];
const dir = process.env.TOLLGATE_LAB_TLS_DIR || '/tls';
const [uid, gid] = (process.env.TOLLGATE_LAB_TLS_OWNER || '1000:1000').split(':').map(Number);

try {
  const certs = await ensureLabCerts(dir, REGIONS, {
    log: (line) => process.stdout.write(`[certs] ${line}\n`),
    // HA overlay: each region's second agent is `<region>-2`.
    additionalDnsNames: (region) => [region, `${region}-2`],
  });
  // Readable by every container (Prometheus runs as nobody): certificates
  // 0644 and the directory 0755; keys stay 0600, owned by the agents' user.
  await chmod(dir, 0o755);
  for (const f of await readdir(dir)) await chown(join(dir, f), uid ?? 1000, gid ?? 1000);
  process.stdout.write(`[certs] CA and certificates ready in ${dir} (CA ${certs.caFile})\n`);
} catch (err) {
  process.stderr.write(`[certs] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
