import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests import sibling packages from source so that a change in one
// package is seen by the others without a rebuild; e2e tests run the built
// `dist/` through real agent processes.
const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));
const alias = {
  '@tollgate/acl': pkg('acl'),
  '@tollgate/filter': pkg('filter'),
  '@tollgate/state': pkg('state'),
  '@tollgate/server': pkg('server'),
  '@tollgate/client': pkg('client'),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
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
          // Real processes on loopback: run files one at a time so timings
          // and ports are not fought over on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
