import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { OidcCallbackServer } from './oidc-callback-server.js';
import { canOpenBrowser } from './open-browser.js';

const servers: OidcCallbackServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function listen(): Promise<OidcCallbackServer> {
  const s = await OidcCallbackServer.listen('127.0.0.1:0');
  servers.push(s);
  return s;
}

describe('OIDC callback server', () => {
  it('serves /oidc/callback on the given address and makes a long random nonce', async () => {
    const s = await listen();
    expect(s.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oidc\/callback$/);
    expect(s.nonce).toMatch(/^[\w-]{43}$/);
    expect(s.nonce).not.toBe((await listen()).nonce);
  });

  it('ignores a callback with another state, then hands over the right one', async () => {
    const s = await listen();
    s.expectState('good-state');
    const wrong = await fetch(`${s.redirectUri}?code=c1&state=evil`);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('state mismatch');
    const right = await fetch(`${s.redirectUri}?code=c2&state=good-state&iss=https%3A%2F%2Fidp`);
    expect(right.status).toBe(200);
    expect(await s.wait(5_000)).toEqual({ code: 'c2', state: 'good-state', iss: 'https://idp' });
  });

  it('a provider error with the right state ends the wait with that error', async () => {
    const s = await listen();
    s.expectState('st');
    const res = await fetch(`${s.redirectUri}?state=st&error=access_denied&error_description=no+way`);
    expect(res.status).toBe(400);
    await expect(s.wait(5_000)).rejects.toThrow('access_denied: no way');
  });

  it('refuses callbacks before the state is known, and other paths', async () => {
    const s = await listen();
    expect((await fetch(`${s.redirectUri}?code=c&state=x`)).status).toBe(400);
    expect((await fetch(s.redirectUri.replace('/oidc/callback', '/other'))).status).toBe(404);
  });

  it('times out', async () => {
    const s = await listen();
    await expect(s.wait(1)).rejects.toThrow('timed out');
  });

  it('names the address it cannot listen on', async () => {
    const s = await listen();
    const port = new URL(s.redirectUri).port;
    await expect(OidcCallbackServer.listen(`127.0.0.1:${port}`)).rejects.toThrow(`127.0.0.1:${port}: EADDRINUSE`);
    await expect(OidcCallbackServer.listen('nonsense')).rejects.toThrow('<host>:<port>');
  });
});

describe('canOpenBrowser', () => {
  const io = (isTTY: boolean, env: Record<string, string>): CliIo =>
    ({ stdout: { isTTY, write: () => true }, stderr: { write: () => true }, stdin: [], env }) as unknown as CliIo;
  it('only for a terminal on a desktop, never under CI', () => {
    expect(canOpenBrowser(io(false, { DISPLAY: ':0' }), 'linux')).toBe(false);
    expect(canOpenBrowser(io(true, {}), 'linux')).toBe(false);
    expect(canOpenBrowser(io(true, { DISPLAY: ':0' }), 'linux')).toBe(true);
    expect(canOpenBrowser(io(true, { DISPLAY: ':0', CI: 'true' }), 'linux')).toBe(false);
    expect(canOpenBrowser(io(true, {}), 'darwin')).toBe(true);
  });
});
