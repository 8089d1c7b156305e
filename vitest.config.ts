import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Every temp file of a run (tests' dirs, agents' -dev dirs, etcd and
// Prometheus data) goes under one dir of its own, removed when vitest exits:
// a test that forgets to clean up, or dies before it can, leaves nothing in
// /tmp. Tests still remove their own dirs; this is the net under them.
// Workers and the processes they start inherit TMPDIR (os.tmpdir() reads it).
if (!process.env.TOLLGATE_TEST_TMPDIR) {
  const runDir = mkdtempSync(join(tmpdir(), 'tollgate-test-run-'));
  process.env.TOLLGATE_TEST_TMPDIR = runDir;
  process.env.TMPDIR = runDir;
  process.once('exit', () => rmSync(runDir, { recursive: true, force: true }));
}

// Unit tests import sibling packages from source so that a change in one
// package is seen by the others without a rebuild; e2e tests run the built
// `dist/` through real agent processes.
// Exact matches only, so `@tollgate/testkit/region-log` (a subpath export)
// is not taken for `@tollgate/testkit` + "/region-log".
const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));
const alias = [
  ...['acl', 'filter', 'state', 'server', 'client', 'testkit'].map((name) => ({
    find: new RegExp(`^@tollgate/${name}$`),
    replacement: src(`${name}/src/index.ts`),
  })),
  { find: /^@tollgate\/testkit\/region-log$/, replacement: src('testkit/src/region-log-suite.ts') },
  { find: /^@tollgate\/testkit\/oidc$/, replacement: src('testkit/src/oidc-test-provider.ts') },
];

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.{ts,tsx}'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test-e2e/**/*.test.ts'],
          globalSetup: ['test-e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // expect.poll waits for a condition (a page re-rendered after a
          // fetch, an agent caught up): give it the browser pages' own
          // default timeout (test-e2e/browser.ts), not vitest's 1 s, which a
          // loaded CI machine can spend on one render.
          expect: { poll: { timeout: 15_000 } },
          // Real processes on loopback: run files one at a time so timings
          // and ports are not fought over on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
