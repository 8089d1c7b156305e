/**
 * The token detail page and the token lifecycle (issue 13) in a real
 * browser: Meta, parent and children as links, and Renew, whose answer —
 * the new expiry or the agent's refusal — is shown as the API gives it.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signIn } from './browser.js';
import type { TestBrowser } from './browser.js';
import { api, startAgent } from './testkit.js';
import type { RunningAgent } from './testkit.js';

let agent: RunningAgent;
let browser: TestBrowser;

beforeAll(async () => {
  agent = await startAgent({ hcl: 'acl {\n  child_tokens = true\n}\n' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop();
  if (agent) await rm(agent.dataDir, { recursive: true, force: true });
});

describe('web UI: token lifecycle', () => {
  it('shows Meta, parent and children, renews a lease, and shows the agent\'s refusal to renew a token without one', async () => {
    const boot = (await api(agent.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const policy = await api(agent.addr, 'POST', '/v1/acl/policy/ui-read', { token: boot, body: { Name: 'ui-read', Rules: 'namespace "default" {\n  policy = "read"\n}\n' } });
    expect(policy.status, policy.text).toBe(200);
    // A management parent (no lease) and its child: a client token with Meta and a 10-minute TTL.
    const parent = await api(agent.addr, 'POST', '/v1/acl/token', { token: boot, body: { Name: 'ui-parent', Type: 'management' } });
    expect(parent.status).toBe(200);
    const child = await api(agent.addr, 'POST', '/v1/acl/token', {
      token: parent.body.SecretID,
      body: { Name: 'ui-child', Type: 'client', Policies: ['ui-read'], ExpirationTTL: '10m', Meta: { team: 'payments', env: 'staging' } },
    });
    expect(child.status, child.text).toBe(200);
    expect(child.body.ParentAccessorID).toBe(parent.body.AccessorID);
    const childId = child.body.AccessorID as string;
    const parentId = parent.body.AccessorID as string;

    const page = await browser.newPage();
    await signIn(page, agent.addr, boot);
    await page.goto(`${agent.addr}/ui/#/tokens/${childId}`);
    await page.getByRole('heading', { name: 'ui-child' }).waitFor();
    // Meta as a key/value table, sorted by key.
    const metaRows = page.locator('#token-meta tbody tr');
    await expect.poll(() => metaRows.allTextContents()).toEqual(['envstaging', 'teampayments']);
    expect(await page.locator('dd', { hasText: 'revoked with its parent' }).count()).toBe(1);
    await browser.screenshot(page, 'token-detail-lifecycle');

    // Renew with an increment: the page shows the new expiry the agent answered.
    const expires = page.locator('#token-expires time');
    const before = Date.parse((await expires.getAttribute('datetime'))!);
    expect(before).toBe(Date.parse(child.body.ExpirationTime));
    await page.getByLabel(/^Increment/).fill('1h');
    await page.getByRole('button', { name: 'Renew' }).click();
    await expect.poll(async () => Date.parse((await expires.getAttribute('datetime'))!)).toBeGreaterThan(before + 40 * 60_000);
    const shown = await expires.getAttribute('datetime');
    const stored = await api(agent.addr, 'GET', `/v1/acl/token/${childId}`, { token: boot });
    expect(Date.parse(stored.body.ExpirationTime)).toBe(Date.parse(shown!));

    // The parent link opens the parent, whose page lists the child.
    await page.locator('#token-parent').click();
    await page.getByRole('heading', { name: 'ui-parent' }).waitFor();
    expect(page.url()).toContain(parentId);
    const childRow = page.locator('tbody tr', { hasText: 'ui-child' });
    await childRow.waitFor();
    expect(await childRow.textContent()).toContain(childId);

    // The parent has no lease: Renew shows the agent's 400 in its own words, and nothing changes.
    const refused = await api(agent.addr, 'POST', `/v1/acl/token/${parentId}/renew`, { token: boot, body: {} });
    expect(refused.status).toBe(400);
    await page.getByRole('button', { name: 'Renew' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Renew failed' });
    await alert.waitFor();
    expect(await alert.locator('.status').textContent()).toBe('400');
    expect((await alert.locator('pre').textContent())!.trim()).toBe(refused.text.trim());
    expect(await page.locator('#token-expires').textContent()).toBe('never');

    // And the child link leads back.
    await childRow.getByRole('link', { name: childId }).click();
    await page.getByRole('heading', { name: 'ui-child' }).waitFor();

    // Meta is edited as key=value lines: a line without "=" is refused before sending; a good edit is saved.
    await page.getByRole('link', { name: 'Edit' }).click();
    const metaField = page.getByRole('textbox', { name: /^Meta/ });
    await expect.poll(() => metaField.inputValue()).toBe('env=staging\nteam=payments');
    await metaField.fill('env=prod\nteam');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Meta line 2: expected key=value, got "team"' }).waitFor();
    await metaField.fill('env=prod\nowner=ops');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'ui-child' }).waitFor();
    await expect.poll(() => metaRows.allTextContents()).toEqual(['envprod', 'ownerops']);
    const saved = await api(agent.addr, 'GET', `/v1/acl/token/${childId}`, { token: boot });
    expect(saved.body.Meta).toEqual({ env: 'prod', owner: 'ops' });
    await page.close();
  });
});
