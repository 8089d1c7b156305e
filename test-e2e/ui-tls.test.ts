/**
 * The web UI over HTTPS: two regions with TLS on everywhere (HTTP and RPC,
 * certificates from a test CA), and Debian's chromium trusting that CA the
 * way an operator's browser would (an NSS root, see browser.ts) — full
 * certificate checks, nothing ignored. The page is a secure context, its
 * CSP is enforced by the browser, every request stays on the agent's https
 * origin, and the SecretID never leaves sessionStorage and the
 * X-Nomad-Token header (no cookie, URL, localStorage or Referer).
 */
import { rm } from 'node:fs/promises';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyNewSecret, launchBrowser, signIn } from './browser.js';
import type { TestBrowser } from './browser.js';
import { api, startCluster } from './testkit.js';
import type { Cluster } from './testkit.js';
import { makeTlsLab } from './tls-kit.js';
import type { TlsLab } from './tls-kit.js';

const REGIONS = ['global', 'eu-west'];
let lab: TlsLab;
let cluster: Cluster;
let browser: TestBrowser;
const dataDirs: string[] = [];

beforeAll(async () => {
  lab = makeTlsLab(REGIONS);
  cluster = await startCluster({ regions: REGIONS, agentHcl: (r) => lab.hcl(r), fetch: lab.fetch });
  for (const r of cluster.regions) dataDirs.push(cluster.agent(r).dataDir);
  browser = await launchBrowser({ trustCaFile: lab.caFile });
});

afterAll(async () => {
  await browser?.close();
  await cluster?.close();
  await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
  lab?.remove();
});

describe('web UI over HTTPS', () => {
  it('a browser that does not trust the CA refuses the agent (the trust below is real)', async () => {
    const untrusting = await launchBrowser();
    try {
      const page = await untrusting.newPage();
      await expect(page.goto(`${cluster.agent('eu-west').addr}/ui/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });

  it('works against a follower with TLS on: strict CSP enforced, secret only in sessionStorage and the header, no cookies', async () => {
    const eu = cluster.agent('eu-west').addr;
    expect(eu).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const origin = new URL(eu).origin;
    const page = await browser.newPage();
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));

    const res = await page.goto(`${eu}/`);
    expect(page.url()).toBe(`${eu}/ui/`);
    expect(await page.evaluate('window.isSecureContext')).toBe(true);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("connect-src 'self'");
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['set-cookie']).toBeUndefined();

    // Sign in: kept in sessionStorage only.
    await signIn(page, eu, cluster.management);
    const signedInAt = requests.length;
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('management');
    expect(await page.evaluate('sessionStorage.getItem("tollgate.secretId")')).toBe(cluster.management);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('document.cookie')).toBe('');

    // A policy and a global token with it, written through the follower (forwarded over TLS RPC).
    await page.goto(`${eu}/ui/#/policies/new`);
    await page.getByLabel('Name').fill('tls-ui');
    await page.getByLabel('Rules (HCL or JSON)').fill('namespace "default" {\n  policy = "read"\n}\n');
    await page.getByText("Valid: the agent's parser accepts these rules.").waitFor();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.waitForURL(/#\/policies\/tls-ui$/);
    await page.goto(`${eu}/ui/#/tokens/new`);
    await page.getByLabel('Name').fill('tls-ui-token');
    await page.getByRole('checkbox', { name: /Global/ }).check();
    await page.getByRole('checkbox', { name: 'tls-ui' }).check();
    await page.getByRole('button', { name: 'Create' }).click();
    // The Clipboard API works: an https page is a secure context.
    const { shown: secret, copied } = await copyNewSecret(page);
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(copied).toBe(secret);
    expect((await api(cluster.agent('global').addr, 'GET', '/v1/acl/token/self', { token: secret, fetch: lab.fetch })).status).toBe(200);

    // Every page of the navigation loads over TLS, without an error from the API.
    for (const link of await page.getByRole('navigation', { name: 'Main' }).getByRole('link').all()) {
      const name = (await link.textContent())!;
      await link.click();
      await page.getByRole('heading', { level: 1, name }).waitFor();
      await expect.poll(() => page.getByRole('status').filter({ hasText: /^Loading/ }).count()).toBe(0);
      expect(await page.getByRole('alert').count(), name).toBe(0);
    }

    // The regions page follows replication over TLS.
    await page.goto(`${eu}/ui/#/regions`);
    await expect.poll(() => page.locator('article.region[data-region="eu-west"]').getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');

    // The browser enforces the CSP: an injected inline script does not run,
    // and a request to another origin is blocked before it is sent.
    // (A string: this file is type-checked without the DOM library.)
    const blocked = await page.evaluate(`(async () => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      let fetched = 'sent';
      try {
        await fetch('https://127.0.0.2:9/steal');
      } catch {
        fetched = 'blocked';
      }
      // Violation events are queued tasks: wait for both (5 s at most), not a fixed 100 ms.
      for (let i = 0; i < 100 && !(seen.includes('script-src-elem') && seen.includes('connect-src')); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      return { ran: window.__inlineRan === true, fetched, seen };
    })()`);
    expect(blocked).toEqual({ ran: false, fetched: 'blocked', seen: expect.arrayContaining(['script-src-elem', 'connect-src']) });
    // Those refusals are the only console errors of the whole visit.
    expect(browser.problems.filter((p) => !/Content Security Policy/.test(p))).toEqual([]);

    // Every request went to the agent's https origin; API calls carried the
    // secret in the header only, never in a URL, a cookie or a Referer.
    const sent = requests.filter((r) => !r.url().startsWith('https://127.0.0.2'));
    expect(sent.length).toBeGreaterThan(10);
    for (const r of sent) {
      expect(r.url().startsWith(`${origin}/`)).toBe(true);
      expect(r.url()).not.toContain(cluster.management);
      const h = await r.allHeaders();
      expect(h.cookie).toBeUndefined();
      expect(h.referer).toBeUndefined();
    }
    const apiCalls = requests.slice(signedInAt).filter((r) => new URL(r.url()).pathname.startsWith('/v1/'));
    expect(apiCalls.length).toBeGreaterThan(5);
    for (const r of apiCalls) expect((await r.allHeaders())['x-nomad-token']).toBe(cluster.management);
    expect(await browser.context.cookies()).toEqual([]);

    // Signing out forgets the secret.
    await page.goto(`${eu}/ui/#/tokens`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/#\/sign-in$/);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.close();
  });
});
