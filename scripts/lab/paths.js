// @ts-check
// Where the lab finds the repository's pieces, wherever it is started from.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (scripts/lab/../..). */
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The `tollgate` executable script; it runs the built packages' dist/. */
export const BIN = join(REPO, 'packages/cli/bin/tollgate.js');

/** The lab's Prometheus config, copied into the base dir on each run. */
export const PROMETHEUS_LAB_CONFIG = join(REPO, 'deploy/prometheus-lab.yml');
