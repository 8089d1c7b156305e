/**
 * Debian's chromium driven by playwright-core, for the UI's browser tests:
 * never a browser download, a fresh profile per browser, removed on close.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { REPO } from './testkit.js';

export const CHROMIUM = '/usr/bin/chromium';

/** The flags the UI tests run chromium with: headless, no sandbox (root), nothing phoning home. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab at 1280×800 that records console errors and failed CSP checks. */
  newPage(): Promise<Page>;
  /** Console errors and page errors seen so far (CSP violations show up here). */
  readonly problems: string[];
  /** Saves a screenshot as `<name>.png`: into docs/ui/ with TOLLGATE_UI_SCREENSHOTS=1, else a temp dir. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * `trustCaFile`: a CA certificate (PEM) this browser trusts as a root, as an
 * operator would install their CA: it goes into an NSS database in the
 * browser's own temp HOME (`certutil`, Debian's libnss3-tools), where
 * chromium on Linux reads user-trusted roots. Certificates are then checked
 * in full — chain to that CA, validity, the host name or IP against the
 * SANs — and nothing else is relaxed (no --ignore-certificate-errors).
 */
export async function launchBrowser(opts: { colorScheme?: 'light' | 'dark'; trustCaFile?: string } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'tollgate-chromium-'));
  // A HOME of its own: chromium reads ~/.pki/nssdb, never the real user's.
  const home = join(profile, 'home');
  const nssdb = join(home, '.pki', 'nssdb');
  await mkdir(nssdb, { recursive: true });
  if (opts.trustCaFile !== undefined) {
    execFileSync('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'tollgate-test-ca', '-i', opts.trustCaFile], { stdio: 'pipe' });
  }
  const shots = process.env.TOLLGATE_UI_SCREENSHOTS === '1' ? join(REPO, 'docs/ui') : join(profile, 'shots');
  await mkdir(shots, { recursive: true });
  const context = await chromium.launchPersistentContext(join(profile, 'chromium'), {
    executablePath: CHROMIUM,
    env: { ...process.env, HOME: home },
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: opts.colorScheme ?? 'light',
    // Clipboard writes are allowed so that the copy button can be tested.
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const problems: string[] = [];
  return {
    context,
    problems,
    async newPage() {
      const page = await context.newPage();
      // Bounded: a missing element fails in seconds, not minutes.
      page.setDefaultTimeout(15_000);
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      return page;
    },
    async screenshot(page, name) {
      const path = join(shots, `${name}.png`);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in on the UI at `addr` with a SecretID and waits for the tokens page. */
export async function signIn(page: Page, addr: string, secret: string): Promise<void> {
  await page.goto(`${addr}/ui/#/sign-in`);
  await page.getByLabel('Secret ID').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/#\/tokens$/);
}

/**
 * On the "Token created" page: the SecretID shown once, copied with its
 * button; returns what the page showed and what the clipboard then holds.
 */
export async function copyNewSecret(page: Page): Promise<{ shown: string; copied: unknown }> {
  const shown = (await page.locator('#new-secret').textContent())!.trim();
  await page.getByRole('button', { name: 'Copy Secret ID' }).click();
  await page.getByText('Copied').waitFor();
  return { shown, copied: await page.evaluate('navigator.clipboard.readText()') };
}
