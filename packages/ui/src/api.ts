import { ApiError, ConnectionError, TollgateClient } from '@tollgate/client';
import { currentSecret } from './session';

/**
 * The agent's address: the origin and path prefix this page was loaded
 * from, without `/ui/…`, so requests stay on the same origin (http or
 * https, behind a proxy prefix too) and the CSP's `connect-src 'self'` holds.
 */
export function agentAddress(loc: Location = window.location): string {
  return loc.origin + loc.pathname.replace(/\/ui(\/.*)?$/, '');
}

/**
 * A client for the agent that served the UI, sending the signed-in
 * SecretID as `X-Nomad-Token`; `region` sends `?region=` (the agent
 * forwards the request to that region).
 */
export function api(region?: string): TollgateClient {
  return new TollgateClient({
    address: agentAddress(),
    token: currentSecret() ?? '',
    ...(region === undefined ? {} : { region }),
    env: {},
    fetch: (input, init) => window.fetch(input, init),
    timeoutMs: 30_000,
  });
}

/** An error as the API worded it: the body of a non-2xx answer, else the client's message. */
export function apiMessage(err: unknown): { status?: number; text: string } {
  if (err instanceof ApiError) return { status: err.status, text: err.body.trim() || `HTTP ${err.status}` };
  if (err instanceof ConnectionError) return { text: err.message };
  return { text: err instanceof Error ? err.message : String(err) };
}
