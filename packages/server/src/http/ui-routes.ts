import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ResolvedAgentConfig } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * The UI's Content-Security-Policy: everything from this origin only, no
 * inline scripts or styles, no third-party origins, no framing. The UI's
 * scripts talk to the API on the same origin (`connect-src 'self'`).
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where the built UI lives: the `dist/` of the `@tollgate/ui` package, or
 * `undefined` when the package is not installed or not built (the agent
 * then serves the API alone).
 */
export function findUiAssets(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@tollgate/ui/package.json');
    const dist = join(dirname(pkg), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}

export interface UiRoutePorts {
  readonly config: Pick<ResolvedAgentConfig, 'ui'>;
  readonly log: Pick<Logger, 'warn'>;
}

/**
 * Serves the operator UI at `/ui/` from static files (`ui.enabled`, on by
 * default), with a strict CSP on every file; `/` and `/ui` redirect there
 * as in Nomad. Returns whether the UI is served. `assets.root` (tests)
 * overrides where the files are; `undefined` = not built.
 */
export function registerUiRoutes(
  app: FastifyInstance,
  ctx: UiRoutePorts,
  assets: { readonly root: string | undefined } = { root: findUiAssets() },
): boolean {
  if (!ctx.config.ui.enabled) return false;
  const root = assets.root;
  if (root === undefined) {
    ctx.log.warn('the web UI is not built (no @tollgate/ui dist): /ui/ is not served; the API is unaffected');
    return false;
  }
  void app.register(fastifyStatic, {
    root,
    prefix: '/ui/',
    index: ['index.html'],
    // Files are read per request; directory listings and dotfiles never.
    list: false,
    dotfiles: 'deny',
    // Vite names assets by content hash, so they never change; index.html does.
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('Content-Security-Policy', UI_CONTENT_SECURITY_POLICY);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('X-Frame-Options', 'DENY');
      reply.header('Referrer-Policy', 'no-referrer');
      reply.header('Cross-Origin-Opener-Policy', 'same-origin');
      reply.header('Cache-Control', path.includes(`${join('/', 'assets', '/')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const url of ['/', '/ui']) {
    app.get(url, (_req, reply) => reply.redirect('ui/', 307));
  }
  return true;
}
