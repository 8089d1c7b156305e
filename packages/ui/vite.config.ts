import { defineConfig } from 'vite';

// Built into dist/ by the root `npm run build` (the `prepare` of `npm ci`);
// the agent serves dist/ at /ui/. Relative asset URLs, so the UI works under
// any path prefix, over http or https.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline modulepreload polyfill: every script is a file ('self' CSP).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
