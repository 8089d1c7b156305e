import type { ClientTlsOptions, ResolvedClientTls } from './client-tls.js';

/*
 * The browser build of client-tls.ts (package.json `browser` field): in a
 * page, TLS is the browser's (its trust store, its certificates), so there
 * are no CA or client-certificate files to load, and neither node:fs nor
 * undici is bundled. Same exports, same types.
 */

/** No TLS settings apply in a browser; asking for any is a TypeError. */
export function resolveClientTls(opts: ClientTlsOptions, _env: NodeJS.ProcessEnv): ResolvedClientTls {
  if (opts.caCert !== undefined || opts.clientCert !== undefined || opts.clientKey !== undefined || opts.tlsServerName !== undefined || opts.tlsSkipVerify === true) {
    throw new TypeError('TLS settings are not available in a browser: the browser verifies the agent itself');
  }
  return {};
}

export function hasCustomTls(_t: ResolvedClientTls): boolean {
  return false;
}

export function tlsFetch(_t: ResolvedClientTls): typeof fetch {
  throw new TypeError('TLS settings are not available in a browser');
}
