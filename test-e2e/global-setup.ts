import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './testkit.js';

/**
 * Debian packages the e2e tests drive for real. Installed here when missing
 * (the machines are Debian and tests run as root); a user without root
 * installs them once by hand: `apt-get install -y etcd-server prometheus chromium libnss3-tools`.
 */
const SYSTEM_PACKAGES: ReadonlyArray<{ bin: string; pkg: string }> = [
  { bin: 'etcd', pkg: 'etcd-server' },
  { bin: 'prometheus', pkg: 'prometheus' },
  // The UI's browser tests drive Debian's chromium (never a browser download).
  { bin: 'chromium', pkg: 'chromium' },
  // certutil: the HTTPS browser test trusts its test CA the way an operator would (browser.ts).
  { bin: 'certutil', pkg: 'libnss3-tools' },
];

export default function setup(): void {
  if (!existsSync(join(REPO, 'packages/cli/dist/index.js'))) {
    throw new Error('packages are not built: run `npm run build` (npm test does it first)');
  }
  const missing = SYSTEM_PACKAGES.filter(({ bin }) => spawnSync('which', [bin]).status !== 0).map((p) => p.pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.warn(`[e2e] not root: cannot install ${missing.join(', ')}; tests that need them will fail`);
    return;
  }
  console.log(`[e2e] installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}
