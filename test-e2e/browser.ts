/**
 * Debian's chromium driven by playwright-core, for the UI's browser tests:
 * never a browser download, a fresh profile per browser, removed on close.
 */
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

export async function launchBrowser(opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'tollgate-chromium-'));
  const shots = process.env.TOLLGATE_UI_SCREENSHOTS === '1' ? join(REPO, 'docs/ui') : join(profile, 'shots');
  await mkdir(shots, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
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
