import { hasCustomTls, resolveClientTls, tlsFetch } from './client-tls.js';
import type { ClientTlsOptions, ResolvedClientTls } from './client-tls.js';

/** Address used when neither an option nor an environment variable names one. */
export const DEFAULT_ADDRESS = 'http://127.0.0.1:4646';

/** Per-request timeout when none is given; generous, since writes may be forwarded across regions. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** What a {@link TollgateClient} is built from. Every field is optional. */
export interface TollgateClientOptions extends ClientTlsOptions {
  /**
   * Agent HTTP address, e.g. `http://127.0.0.1:4646`. A bare `host:port` gets
   * `http://`. @default `TOLLGATE_ADDR`, else `NOMAD_ADDR`, else `http://127.0.0.1:4646`
   */
  address?: string;
  /** SecretID sent as `X-Nomad-Token`. @default `TOLLGATE_TOKEN`, else `NOMAD_TOKEN`, else none (anonymous) */
  token?: string;
  /** Region sent as `?region=`. @default `TOLLGATE_REGION`, else `NOMAD_REGION`, else the agent's own */
  region?: string;
  /** Where the env defaults come from; pass `{}` to ignore the environment. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Timeout of one request in ms; blocking queries get their wait on top. @default 60000 */
  timeoutMs?: number;
}

/** Options after defaults: what the client runs on. */
export interface ResolvedClientOptions {
  /** Normalised: scheme present, no trailing slash. */
  readonly address: string;
  /** `undefined` means no token header (the anonymous token). */
  readonly token: string | undefined;
  readonly region: string | undefined;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  /** CA, client certificate, server name, skip-verify (after the env fallbacks). */
  readonly tls: ResolvedClientTls;
}

/**
 * Compiles {@link TollgateClientOptions} into {@link ResolvedClientOptions}:
 * explicit option, then `TOLLGATE_*`, then `NOMAD_*`, then the default. Empty
 * strings count as unset, so `TOLLGATE_TOKEN=` does not mask `NOMAD_TOKEN`.
 *
 * @throws TypeError when the address is not an http(s) URL.
 * @throws RangeError when timeoutMs is not a positive finite number.
 */
export function resolveClientOptions(opts: TollgateClientOptions = {}): ResolvedClientOptions {
  const env = opts.env ?? process.env;
  const address = normaliseAddress(
    firstSet(opts.address, env['TOLLGATE_ADDR'], env['NOMAD_ADDR']) ?? DEFAULT_ADDRESS,
  );
  const token = firstSet(opts.token, env['TOLLGATE_TOKEN'], env['NOMAD_TOKEN'])?.trim();
  const region = firstSet(opts.region, env['TOLLGATE_REGION'], env['NOMAD_REGION']);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  const tls = resolveClientTls(opts, env);
  // A custom CA, client certificate or server name needs a connection pool of its own.
  const fetchImpl = opts.fetch ?? (hasCustomTls(tls) ? tlsFetch(tls) : globalThis.fetch);
  if (typeof fetchImpl !== 'function') {
    throw new TypeError('fetch must be a function (Node 20 has a global fetch)');
  }
  return { address, token: token === '' ? undefined : token, region, fetch: fetchImpl, timeoutMs, tls };
}

function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((v) => v !== undefined && v !== '');
}

function normaliseAddress(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`address: "${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`address: unsupported scheme "${url.protocol}" in "${raw}" (use http or https)`);
  }
  // Keep a path prefix (for agents behind a reverse proxy) but drop the
  // trailing slash, so `${address}/v1/...` never doubles it.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
