import type { TlsOptions } from 'node:tls';
import type { ResolvedTlsConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { loadTlsMaterial } from './tls-material.js';
import type { TlsMaterial } from './tls-material.js';
import type { TlsMetrics } from './tls-metrics.js';
import type { ReloadableTls } from './rpc-listener.js';

/**
 * The agent's TLS state: the material read from `tls.ca_file`,
 * `tls.cert_file`, `tls.key_file`, and the secure contexts built from it.
 * `reload()` (SIGHUP) re-reads the files; when they do not check out the old
 * material stays and the error is logged, so a bad rotation never takes an
 * agent down. Listeners are told of every successful reload.
 */
export class AgentTls implements ReloadableTls {
  readonly config: ResolvedTlsConfig;
  readonly #log: Logger;
  readonly #metrics: TlsMetrics;
  #material: TlsMaterial;
  readonly #listeners = new Set<(m: TlsMaterial) => void>();

  /**
   * Reads and checks the files now.
   * @throws TlsFileError naming the file (the agent refuses to start).
   */
  constructor(config: ResolvedTlsConfig, log: Logger, metrics: TlsMetrics) {
    this.config = config;
    this.#log = log;
    this.#metrics = metrics;
    this.#material = this.#load();
    metrics.setCertExpiry(this.#material.notAfter);
  }

  /** The material in use now. */
  get material(): TlsMaterial {
    return this.#material;
  }

  /** Server-side options in use now (the RPC listener; HTTPS adds client verification). */
  serverOptions(): TlsOptions {
    const m = this.#material;
    return { ca: m.ca, cert: m.cert, key: m.key, minVersion: this.config.tlsMinVersion };
  }

  /** Calls `fn` after every successful reload; returns an unsubscribe function. */
  onReload(fn: (m: TlsMaterial) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Re-reads the files (SIGHUP). Returns whether the new material is in use. */
  reload(): boolean {
    let next: TlsMaterial;
    try {
      next = this.#load();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'TLS reload failed; keeping the current certificate');
      return false;
    }
    this.#material = next;
    this.#metrics.setCertExpiry(next.notAfter);
    this.#log.info({ fingerprint: next.fingerprint, notAfter: next.notAfter.toISOString() }, 'TLS certificate reloaded');
    for (const fn of this.#listeners) fn(next);
    return true;
  }

  #load(): TlsMaterial {
    const c = this.config;
    return loadTlsMaterial({ caFile: c.caFile!, certFile: c.certFile!, keyFile: c.keyFile! });
  }
}
