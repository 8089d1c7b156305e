import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** `nomad login`'s default callback listener address. */
export const DEFAULT_OIDC_CALLBACK_ADDR = 'localhost:4649';

/** What the provider sent the browser back with. */
export interface OidcCallback {
  readonly code: string;
  readonly state: string;
  /** RFC 9207's `iss`, when the provider sends it. */
  readonly iss?: string;
}

/**
 * The local listener of an interactive OIDC login (`tollgate login`): the
 * provider sends the user's browser to `http://<addr>/oidc/callback` with a
 * code and a state, and this hands them to the CLI. It also makes the
 * client nonce. A callback whose `state` is not the one expected (set once
 * the agent answered the auth URL) gets an error page and the wait goes
 * on: a stray or forged request cannot end the login. A provider error
 * (`?error=access_denied`) with the expected state ends it.
 */
export class OidcCallbackServer {
  /** The `ClientNonce` of this login (random, 32 bytes base64url). */
  readonly nonce = randomBytes(32).toString('base64url');
  readonly redirectUri: string;
  readonly #server: Server;
  #expectedState: string | undefined;
  #settle: { resolve: (cb: OidcCallback) => void; reject: (err: Error) => void } | undefined;
  readonly #result: Promise<OidcCallback>;

  private constructor(server: Server, redirectUri: string) {
    this.#server = server;
    this.redirectUri = redirectUri;
    this.#result = new Promise<OidcCallback>((resolve, reject) => (this.#settle = { resolve, reject }));
    // Rejections are read by `wait`; until then they must not count as unhandled.
    this.#result.catch(() => undefined);
    server.on('request', (req, res) => this.#handle(req, res));
  }

  /**
   * Listens on `addr` (`host:port`, e.g. `localhost:4649`, `127.0.0.1:0`).
   * @throws Error naming the address when it cannot be listened on.
   */
  static async listen(addr: string): Promise<OidcCallbackServer> {
    const m = /^(.*):(\d{1,5})$/.exec(addr);
    if (m === null || m[1] === '') throw new TypeError(`oidc-callback-addr must be <host>:<port>, got ${JSON.stringify(addr)}`);
    const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen for the OIDC callback on ${addr}: ${err.code ?? err.message}`)),
      );
      server.listen(Number(m[2]), host, () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    return new OidcCallbackServer(server, `http://${shownHost}:${port}/oidc/callback`);
  }

  /** The state the callback must carry (from the auth URL the agent answered). */
  expectState(state: string): void {
    this.#expectedState = state;
  }

  /** Resolves with the callback, or rejects on a provider error or after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<OidcCallback> {
    const timer = setTimeout(() => this.#settle?.reject(new Error('timed out waiting for the OIDC callback')), timeoutMs);
    try {
      return await this.#result;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://callback.invalid');
    if (req.method !== 'GET' || url.pathname !== '/oidc/callback') {
      page(res, 404, 'Not found.');
      return;
    }
    const q = url.searchParams;
    const state = q.get('state') ?? '';
    if (this.#expectedState === undefined || state !== this.#expectedState) {
      page(res, 400, 'This callback does not belong to the login in progress (state mismatch).');
      return;
    }
    const error = q.get('error');
    if (error !== null) {
      const desc = q.get('error_description');
      page(res, 400, 'The identity provider refused the login. Return to the terminal.');
      this.#settle?.reject(new Error(`the OIDC provider answered ${error}${desc === null ? '' : `: ${desc}`}`));
      return;
    }
    const code = q.get('code') ?? '';
    if (code === '') {
      page(res, 400, 'The callback carries no code.');
      return;
    }
    const iss = q.get('iss');
    page(res, 200, 'Signed in to Tollgate. You can close this window and return to the terminal.');
    this.#settle?.resolve({ code, state, ...(iss === null ? {} : { iss }) });
  }
}

function page(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
  res.end(`<!doctype html><title>Tollgate login</title><p>${text}</p>`);
}
