/**
 * The web UI in a real browser (Debian's chromium via playwright-core) on a
 * real three-region cluster: the operator's day against a follower region
 * (global writes forwarded), and the regions page following replication
 * live while a follower stops and starts.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyNewSecret, launchBrowser, signIn } from './browser.js';
import type { TestBrowser } from './browser.js';
import { api, startCluster } from './testkit.js';
import type { Cluster } from './testkit.js';

let cluster: Cluster;
let browser: TestBrowser;
const dataDirs: string[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  for (const r of cluster.regions) dataDirs.push(cluster.agent(r).dataDir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await cluster?.close();
  await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('web UI', () => {
  it('serves the UI with a strict CSP, and the operator flow works against a follower region', async () => {
    const eu = cluster.agent('eu-west').addr;
    const page = await browser.newPage();

    // Served at /ui/ (and / redirects there) with a CSP that allows nothing inline or foreign.
    const res = await page.goto(`${eu}/`);
    expect(page.url()).toBe(`${eu}/ui/`);
    const csp = res!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('anonymous');

    // A wrong SecretID is refused with the API's own words.
    await page.goto(`${eu}/ui/#/sign-in`);
    await page.getByLabel('Secret ID').fill('00000000-0000-0000-0000-000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /^403\s*Permission denied/ }).waitFor();
    await browser.screenshot(page, 'sign-in');

    await signIn(page, eu, cluster.management);
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('management');
    // The secret lives in sessionStorage, never in the URL.
    expect(await page.evaluate('sessionStorage.getItem("tollgate.secretId")')).toBe(cluster.management);
    expect(page.url()).not.toContain(cluster.management);

    // A policy with a syntax error: the agent's parser answers as you type, with the position.
    await page.goto(`${eu}/ui/#/policies/new`);
    await page.getByLabel('Name').fill('ui-app');
    await page.getByLabel('Description').fill('Read default, submit to ops-*');
    await page.getByLabel('Rules (HCL or JSON)').fill('namespace "default" {\n  policy = "read"\n\nnamespace "ops-*" {\n  capabilities = ["submit-job"]\n}\n');
    const invalid = page.locator('#validation .error');
    await invalid.filter({ hasText: 'Failed to parse ACL Policy' }).waitFor();
    expect(await invalid.textContent()).toMatch(/Line \d+, column \d+/);
    expect(await page.locator('pre.code .error-line').count()).toBe(1);
    // The position is a button that puts the caret there.
    await page.getByRole('button', { name: /^Line \d+, column \d+$/ }).click();
    expect(await page.evaluate('document.activeElement.name')).toBe('rules');
    await browser.screenshot(page, 'policy-editor-error');
    // Saving anyway shows the write's 400 as the API words it.
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('alert').filter({ hasText: /^400/ }).filter({ hasText: 'policy 0 invalid' }).waitFor();
    // Fixed: valid, saved (forwarded to the authoritative region), shown highlighted.
    await page.getByLabel('Rules (HCL or JSON)').fill('namespace "default" {\n  policy = "read"\n}\n\nnamespace "ops-*" {\n  capabilities = ["submit-job"]\n}\n');
    await page.getByText("Valid: the agent's parser accepts these rules.").waitFor();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.waitForURL(/#\/policies\/ui-app$/);
    await page.locator('.hl-block', { hasText: 'namespace' }).first().waitFor();
    expect((await api(cluster.agent('global').addr, 'GET', '/v1/acl/policy/ui-app', { token: cluster.management })).status).toBe(200);
    await page.goto(`${eu}/ui/#/policies`);
    await page.getByRole('link', { name: 'ui-app' }).waitFor();
    await browser.screenshot(page, 'policies');

    // A global client token with that policy: the SecretID is shown once, with a copy button.
    await page.goto(`${eu}/ui/#/tokens/new`);
    await page.getByLabel('Name').fill('ui-ci');
    await page.getByRole('checkbox', { name: /Global/ }).check();
    await page.getByRole('checkbox', { name: 'ui-app' }).check();
    await browser.screenshot(page, 'token-create');
    await page.getByRole('button', { name: 'Create' }).click();
    const { shown: secret, copied } = await copyNewSecret(page);
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(copied).toBe(secret);
    await browser.screenshot(page, 'token-created');
    await page.getByRole('link', { name: 'open the token' }).click();
    await page.getByRole('heading', { name: 'ui-ci' }).waitFor();
    const accessor = page.url().split('/').pop()!;
    expect(await page.content()).not.toContain(secret);
    await browser.screenshot(page, 'token-detail');
    // The policy lists the tokens that use it.
    await page.getByRole('link', { name: 'ui-app' }).click();
    await page.getByRole('heading', { name: 'Used by tokens' }).waitFor();
    await page.locator('tbody tr', { hasText: 'ui-ci' }).waitFor();
    await browser.screenshot(page, 'policy-detail');

    // Found by AccessorID prefix, on the server.
    await page.goto(`${eu}/ui/#/tokens`);
    await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    await browser.screenshot(page, 'tokens');
    await page.getByLabel('Accessor ID prefix').fill(accessor.slice(0, 8));
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').textContent()).toContain('ui-ci');
    // By go-bexpr filter, on the server; a bad expression is the agent's 400, in its words.
    await page.getByLabel('Accessor ID prefix').fill('');
    await page.getByRole('textbox', { name: /^Filter/ }).fill('Name == "ui-ci"');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').textContent()).toContain(accessor);
    await page.getByRole('textbox', { name: /^Filter/ }).fill('SecretID == "x"');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').filter({ hasText: /^400/ }).filter({ hasText: 'unknown field "SecretID"' }).waitFor();

    // The playground: Allowed with the policy that allowed it, Denied with why.
    await page.goto(`${eu}/ui/#/playground`);
    // Picked from the region's tokens (its secret is read and sent, never shown).
    await page.getByLabel('Token to check').selectOption(accessor);
    await page.getByRole('button', { name: 'Add check' }).click();
    await page.locator('input[name="name-1"]').fill('prod');
    await page.locator('input[name="capability-1"]').fill('submit-job');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const results = page.locator('ol.results li');
    await expect.poll(() => results.count()).toBe(2);
    expect(await results.nth(0).getAttribute('data-allowed')).toBe('true');
    expect(await results.nth(0).textContent()).toMatch(/Allowed.*allowed by policy "ui-app"/s);
    expect(await results.nth(1).getAttribute('data-allowed')).toBe('false');
    expect(await results.nth(1).textContent()).toMatch(/Denied.*no rule matched namespace "prod"/s);
    expect(await page.content()).not.toContain(secret);
    await browser.screenshot(page, 'playground');
    // The same check for a pasted SecretID.
    await page.getByLabel('Token to check').selectOption('');
    await page.getByLabel(/Check another token's Secret ID/).fill(secret);
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByRole('heading', { name: `Results for accessor ${accessor}` }).waitFor();
    expect(await results.count()).toBe(2);

    // Revoked after a confirmation, by keyboard: the dialog opens on Cancel,
    // Escape backs out (nothing revoked), Tab + Enter confirms.
    await page.goto(`${eu}/ui/#/tokens/${accessor}`);
    await page.getByRole('button', { name: 'Revoke' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByText('cannot be undone').waitFor();
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect((await api(eu, 'GET', '/v1/acl/token/self', { token: secret })).status).toBe(200);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByText('cannot be undone').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Revoke token');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/tokens$/);
    expect((await api(eu, 'GET', '/v1/acl/token/self', { token: secret })).status).toBe(403);

    // Narrow and dark still read.
    await page.setViewportSize({ width: 420, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${eu}/ui/#/policies/ui-app`);
    await page.locator('.hl-block').first().waitFor();
    await browser.screenshot(page, 'policy-detail-narrow-dark');
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it('anonymous browsing shows what the anonymous policy allows', async () => {
    const eu = cluster.agent('eu-west').addr;
    const global = cluster.agent('global').addr;
    const body = { Name: 'anonymous', Description: 'What anyone may do', Rules: 'namespace "default" {\n  policy = "read"\n}\n' };
    expect((await api(global, 'POST', '/v1/acl/policy/anonymous', { token: cluster.management, body })).status).toBe(200);
    await cluster.waitReplicated();
    const page = await browser.newPage();
    try {
      await page.goto(`${eu}/ui/#/policies`);
      await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('anonymous');
      // The anonymous token's policy is listed and readable, with its rules.
      await page.getByRole('main').getByRole('link', { name: 'anonymous' }).click();
      await page.locator('.hl-block', { hasText: 'namespace' }).first().waitFor();
      // The playground checks the anonymous token when nobody is signed in.
      await page.goto(`${eu}/ui/#/playground`);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      await expect.poll(() => page.locator('ol.results li').first().textContent()).toMatch(/Allowed.*allowed by policy "anonymous"/s);
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
    } finally {
      await page.close();
      expect((await api(global, 'DELETE', '/v1/acl/policy/anonymous', { token: cluster.management })).status).toBe(200);
      await cluster.waitReplicated();
    }
  });

  it("roles: list and filter, create (with the API's words for a bad one), edit, link to a token, delete — against a follower", async () => {
    const eu = cluster.agent('eu-west').addr;
    const global = cluster.agent('global').addr;
    const management = { token: cluster.management };
    for (const [name, ns] of [['ui-role-read', 'default'], ['ui-role-ops', 'ops']] as const) {
      const body = { Name: name, Rules: `namespace "${ns}" {\n  policy = "read"\n}\n` };
      expect((await api(global, 'POST', `/v1/acl/policy/${name}`, { ...management, body })).status).toBe(200);
    }
    const page = await browser.newPage();
    await signIn(page, eu, cluster.management);

    // Without a policy the agent refuses the role, and the form shows its words.
    await page.getByRole('link', { name: 'Roles' }).click();
    await page.getByRole('link', { name: 'Create role' }).click();
    await page.getByLabel('Name').fill('ui-deployers');
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('alert').filter({ hasText: /^400/ }).filter({ hasText: 'at least one policy should be specified' }).waitFor();
    await browser.screenshot(page, 'role-create');
    // With one: created through the follower (forwarded), then shown with its policy as a link.
    await page.getByLabel('Description').fill('Deploys to default');
    await page.getByRole('checkbox', { name: 'ui-role-read' }).check();
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('heading', { name: 'ui-deployers' }).waitFor();
    const roleId = decodeURIComponent(page.url().split('/').pop()!);
    expect(roleId).toMatch(/^[0-9a-f-]{36}$/);
    const stored = await api(global, 'GET', `/v1/acl/role/${roleId}`, management);
    expect(stored.body).toMatchObject({ Name: 'ui-deployers', Description: 'Deploys to default', Policies: [{ Name: 'ui-role-read' }] });

    // Edited: a second policy; the page reads the agent's answer back.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('checkbox', { name: 'ui-role-ops' }).check();
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.waitForURL(new RegExp(`#/roles/${roleId}$`));
    await page.locator('dd').getByRole('link', { name: 'ui-role-ops' }).waitFor();
    expect((await api(global, 'GET', `/v1/acl/role/${roleId}`, management)).body.Policies).toEqual([{ Name: 'ui-role-read' }, { Name: 'ui-role-ops' }]);

    // Assigned on the tokens page: the token shows the role as a link, and the role its token.
    await page.goto(`${eu}/ui/#/tokens/new`);
    await page.getByLabel('Name').fill('ui-deployer-1');
    await page.getByRole('group', { name: 'Roles' }).getByRole('checkbox', { name: 'ui-deployers' }).check();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#new-secret').waitFor();
    await page.getByRole('link', { name: 'open the token' }).click();
    await page.getByRole('heading', { name: 'ui-deployer-1' }).waitFor();
    const accessor = page.url().split('/').pop()!;
    expect((await api(eu, 'GET', `/v1/acl/token/${accessor}`, management)).body.Roles).toEqual([{ ID: roleId, Name: 'ui-deployers' }]);
    await page.getByRole('link', { name: 'ui-deployers' }).click();
    await page.waitForURL(new RegExp(`#/roles/${roleId}$`));
    await page.locator('tbody tr', { hasText: 'ui-deployer-1' }).waitFor();
    await browser.screenshot(page, 'role-detail');
    // The policy lists the role that uses it.
    await page.locator('dd').getByRole('link', { name: 'ui-role-ops' }).click();
    await page.getByRole('heading', { name: 'Used by roles' }).waitFor();
    await page.getByRole('link', { name: 'ui-deployers' }).waitFor();
    // The playground names the role that granted a check.
    await page.goto(`${eu}/ui/#/playground`);
    await page.getByLabel('Token to check').selectOption(accessor);
    await page.locator('input[name="name-0"]').fill('ops');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await expect.poll(() => page.locator('ol.results li').first().textContent()).toMatch(/Allowed.*policy "ui-role-ops".*role "ui-deployers"/s);

    // Listed and filtered on the agent (go-bexpr); a bad expression is the agent's 400.
    const other = { Name: 'ui-auditors', Description: '', Policies: [{ Name: 'ui-role-read' }] };
    expect((await api(global, 'POST', '/v1/acl/role', { ...management, body: other })).status).toBe(200);
    await cluster.waitReplicated();
    await page.goto(`${eu}/ui/#/roles`);
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(2);
    await page.getByRole('textbox', { name: /^Filter/ }).fill('Name contains "deploy"');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.textContent()).toContain('ui-deployers');
    await browser.screenshot(page, 'roles');
    await page.getByRole('textbox', { name: /^Filter/ }).fill('Nope == "x"');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').filter({ hasText: /^400/ }).waitFor();

    // Deleted after a confirmation; the token no longer links it.
    await page.goto(`${eu}/ui/#/roles/${roleId}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete role' }).click();
    await page.waitForURL(/#\/roles$/);
    expect((await api(global, 'GET', `/v1/acl/role/${roleId}`, management)).status).toBe(404);
    await page.goto(`${eu}/ui/#/tokens/${accessor}`);
    await page.getByRole('heading', { name: 'ui-deployer-1' }).waitFor();
    await expect.poll(() => page.locator('.facts div', { hasText: 'Roles' }).locator('dd').textContent(), { timeout: 10_000 }).toBe('none');
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it("auth methods and binding rules: create (with the agent's errors), view, edit, delete — the OIDC client secret never shown", async () => {
    const eu = cluster.agent('eu-west').addr;
    const global = cluster.agent('global').addr;
    const management = { token: cluster.management };
    const clientSecret = `ui-oidc-secret-${Date.now()}`;
    const page = await browser.newPage();
    // Everything the agent answers, to show the secret is never sent back.
    const answers: Array<Promise<string>> = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/')) answers.push(r.text().catch(() => ''));
    });
    await signIn(page, eu, cluster.management);
    const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

    // A JWT method without a key source: the agent's 400, as worded.
    await nav('Auth methods').click();
    await page.getByRole('link', { name: 'Create auth method' }).click();
    await page.getByLabel('Name', { exact: true }).fill('ui-sso');
    await page.getByLabel('Config (JSON)').fill('{}');
    await page.getByRole('button', { name: 'Create auth method' }).click();
    await page.getByRole('alert').filter({ hasText: /^400/ }).filter({ hasText: 'one of JWTValidationPubKeys, JWKSURL or OIDCDiscoveryURL is required' }).waitFor();
    // An OIDC method, its client secret typed in its own masked field; created through the follower.
    await page.getByRole('radio', { name: 'OIDC' }).check();
    await page.getByLabel('Display name').fill('Corp SSO');
    const config = { OIDCDiscoveryURL: 'https://idp.example.com', OIDCClientID: 'tollgate', AllowedRedirectURIs: ['http://localhost:4649/oidc/callback'], ListClaimMappings: { groups: 'groups' } };
    await page.getByLabel('Config (JSON)').fill(JSON.stringify(config, null, 2));
    const secretField = page.getByLabel(/^OIDC client secret/);
    expect(await secretField.getAttribute('type')).toBe('password');
    await secretField.fill(clientSecret);
    await page.getByRole('button', { name: 'Create auth method' }).click();
    await page.getByRole('heading', { name: 'ui-sso' }).waitFor();
    await page.locator('.facts div', { hasText: 'OIDCClientSecret' }).getByText('set (never shown)').waitFor();
    await page.locator('.facts', { hasText: 'OIDCDiscoveryURL' }).getByText('https://idp.example.com').waitFor();
    expect(await page.content()).not.toContain(clientSecret);
    await browser.screenshot(page, 'auth-method-detail');
    const stored = await api(global, 'GET', '/v1/acl/auth-method/ui-sso', management);
    expect(stored.body).toMatchObject({ Type: 'OIDC', DisplayName: 'Corp SSO', TokenLocality: 'local', Config: { OIDCClientID: 'tollgate', OIDCClientSecret: 'redacted' } });

    // Edited without retyping the secret: the agent keeps it (the form sends `redacted`, never the value).
    await page.getByRole('link', { name: 'Edit' }).click();
    expect(await page.getByLabel('Config (JSON)').inputValue()).not.toContain('OIDCClientSecret');
    expect(await page.getByLabel(/^OIDC client secret/).inputValue()).toBe('');
    await page.getByLabel('Display name').fill('Corporate SSO');
    await page.getByRole('button', { name: 'Save auth method' }).click();
    await page.getByRole('heading', { name: 'ui-sso' }).waitFor();
    await page.getByText('Corporate SSO').waitFor();
    expect((await api(global, 'GET', '/v1/acl/auth-method/ui-sso', management)).body.Config.OIDCClientSecret).toBe('redacted');
    await nav('Auth methods').click();
    await page.locator('tbody tr', { hasText: 'ui-sso' }).getByText('OIDC').waitFor();
    await browser.screenshot(page, 'auth-methods');

    // A binding rule: a bad selector is the agent's 400; then a role rule for the engineering group.
    await nav('Binding rules').click();
    await page.getByRole('link', { name: 'Create binding rule' }).click();
    await expect.poll(() => page.getByLabel('Auth method').inputValue()).toBe('ui-sso');
    await page.getByLabel('Description').fill('engineers deploy');
    await page.getByLabel(/^Selector/).fill('list.groups ==');
    await page.getByLabel(/^Bind name/).fill('${value.team}-deployers');
    await page.getByRole('button', { name: 'Create binding rule' }).click();
    await page.getByRole('alert').filter({ hasText: /^400/ }).filter({ hasText: 'selector is invalid' }).waitFor();
    await page.getByLabel(/^Selector/).fill('"engineering" in list.groups');
    await browser.screenshot(page, 'binding-rule-create');
    await page.getByRole('button', { name: 'Create binding rule' }).click();
    await page.getByRole('heading', { name: 'engineers deploy' }).waitFor();
    const ruleId = decodeURIComponent(page.url().split('/').pop()!);
    expect((await api(global, 'GET', `/v1/acl/binding-rule/${ruleId}`, management)).body).toMatchObject({
      AuthMethod: 'ui-sso',
      Selector: '"engineering" in list.groups',
      BindType: 'role',
      BindName: '${value.team}-deployers',
    });
    // The method lists its rule; the list filters on the agent.
    await page.getByRole('main').getByRole('link', { name: 'ui-sso' }).click();
    await page.locator('tbody tr', { hasText: 'engineers deploy' }).waitFor();
    await page.goto(`${eu}/ui/#/binding-rules`);
    await page.getByRole('textbox', { name: /^Filter/ }).fill('AuthMethod == "ui-sso"');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await browser.screenshot(page, 'binding-rules');

    // Deleted after confirmations: the rule, then the method.
    await page.getByRole('link', { name: ruleId }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete binding rule' }).click();
    await page.waitForURL(/#\/binding-rules$/);
    expect((await api(global, 'GET', `/v1/acl/binding-rule/${ruleId}`, management)).status).toBe(404);
    await page.goto(`${eu}/ui/#/auth-methods/ui-sso`);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete auth method' }).click();
    await page.waitForURL(/#\/auth-methods$/);
    expect((await api(global, 'GET', '/v1/acl/auth-method/ui-sso', management)).status).toBe(404);

    // The client secret went to the agent once, in the create, and never came back.
    for (const text of await Promise.all(answers)) expect(text).not.toContain(clientSecret);
    expect(answers.length).toBeGreaterThan(10);
    expect(browser.problems).toEqual([]);
    await page.close();
  });

  it('shows every region live: followers streaming, a stopped follower red, then recovered', async () => {
    const global = cluster.agent('global').addr;
    const page = await browser.newPage();
    const replicationReads: number[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/acl/replication')) replicationReads.push(Date.now());
    });
    await signIn(page, global, cluster.management);
    await page.goto(`${global}/ui/#/regions`);
    const cards = page.locator('article.region');
    await expect.poll(() => cards.count()).toBe(3);
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-region')))).toEqual(['global', 'eu-west', 'us-east']);
    const card = (r: string) => page.locator(`article.region[data-region="${r}"]`);
    for (const r of ['eu-west', 'us-east']) {
      await expect.poll(() => card(r).getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
      expect(await card(r).getByTestId('phase').textContent()).toBe('streaming');
      expect(Number.parseFloat((await card(r).getByTestId('lag').textContent())!)).toBeLessThan(1);
      expect(await card(r).getByTestId('index-lag').textContent()).toBe('0');
    }
    expect(await card('global').getByTestId('counts').textContent()).toMatch(/^\d+ global tokens? · 0 local tokens · \d+ polic(y|ies)$/);
    // Blocking queries, not polling: a quiet cluster costs a few reads per region per 10 s.
    const since = Date.now();
    await page.waitForTimeout(5_000);
    expect(replicationReads.filter((t) => t >= since).length).toBeLessThanOrEqual(9);
    await browser.screenshot(page, 'regions');

    await cluster.agent('us-east').stop();
    // Red at once (its stream ends as it drains), then unreachable with the API's words.
    await expect.poll(() => card('us-east').getAttribute('data-state'), { timeout: 30_000 }).toBe('bad');
    await expect.poll(() => card('us-east').getByTestId('phase').textContent(), { timeout: 30_000 }).toBe('unreachable');
    expect(await card('us-east').getByRole('alert').textContent()).toContain('us-east');
    expect(await card('eu-west').getAttribute('data-state')).toBe('ok');
    await browser.screenshot(page, 'regions-follower-down');

    await cluster.restart('us-east');
    await expect.poll(() => card('us-east').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    expect(await card('us-east').getByTestId('phase').textContent()).toBe('streaming');
    expect(browser.problems).toEqual([]);
    await page.close();
  });
});
