// @ts-check
// The container lab's one-shot `lab-init` service (docker-compose.yml):
// waits for the authoritative agent, bootstraps it with the lab-only
// BootstrapSecret (or finds it already bootstrapped with it, on a restart),
// makes sure a global management replication token exists, and writes
// <secrets dir>/replication.hcl for the followers' second -config file.
// Exits 0 when the followers can start, 1 otherwise.
//
// Environment:
//   TOLLGATE_LAB_BOOTSTRAP_SECRET  the management SecretID to bootstrap with
//                                  (a UUID; lab only, never in production)
//   TOLLGATE_LAB_GLOBAL_ADDR       default http://global:4646
//   TOLLGATE_LAB_SECRETS_DIR       default /lab-secrets
import { join } from 'node:path';
import { ensureManagementToken, ensureReplicationToken, waitHealthy, writeSecretFile } from './acl-setup.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const secret = process.env.TOLLGATE_LAB_BOOTSTRAP_SECRET ?? '';
const addr = process.env.TOLLGATE_LAB_GLOBAL_ADDR || 'http://global:4646';
const dir = process.env.TOLLGATE_LAB_SECRETS_DIR || '/lab-secrets';

/** @param {string} msg */
const say = (msg) => process.stdout.write(`[lab-init] ${msg}\n`);

if (!UUID_RE.test(secret)) {
  process.stderr.write('[lab-init] TOLLGATE_LAB_BOOTSTRAP_SECRET must be a UUID\n');
  process.exit(1);
}
try {
  say(`waiting for ${addr}`);
  await waitHealthy(addr, { timeoutMs: 120_000 });
  const mgmt = await ensureManagementToken({ addr, tokenFile: join(dir, 'management-token'), bootstrapSecret: secret });
  say(mgmt.how === 'bootstrapped' ? 'bootstrapped ACLs with the lab secret' : 'ACLs already bootstrapped with the lab secret');
  const repl = await ensureReplicationToken({ addr, managementToken: mgmt.secret, tokenFile: join(dir, 'replication-token') });
  say(repl.how === 'created' ? 'created the replication token' : 'reusing the replication token');
  await writeSecretFile(join(dir, 'replication.hcl'), `acl {\n  replication_token = ${JSON.stringify(repl.secret)}\n}\n`);
  say(`wrote ${join(dir, 'replication.hcl')}; followers can start`);
} catch (err) {
  process.stderr.write(`[lab-init] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
