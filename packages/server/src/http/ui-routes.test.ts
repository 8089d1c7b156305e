import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentContext } from '../agent-context.js';
import { parseAgentConfig, resolveAgentConfig } from '../config.js';
import { startTestAgent } from '@tollgate/testkit';
import { registerUiRoutes, UI_CONTENT_SECURITY_POLICY } from './ui-routes.js';

let assets: string;
let app: FastifyInstance;
let warnings: string[];

function ctx(enabled: boolean): AgentContext {
  return {
    config: { ui: { enabled } },
    log: { warn: (msg: string) => warnings.push(msg) },
  } as unknown as AgentContext;
}

beforeEach(async () => {
  assets = await mkdtemp(join(tmpdir(), 'tollgate-ui-'));
  await mkdir(join(assets, 'assets'));
  await writeFile(join(assets, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(assets, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(assets, '.secret'), 'no');
  app = Fastify();
  warnings = [];
});

afterEach(async () => {
  await app.close();
  await rm(assets, { recursive: true, force: true });
});

describe('the UI routes', () => {
  it('serve the built files at /ui/ with a strict CSP, and redirect / and /ui there', async () => {
    expect(registerUiRoutes(app, ctx(true), { root: assets })).toBe(true);
    const index = await app.inject('/ui/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|https?:|\*/);
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['cache-control']).toBe('no-cache');
    const js = await app.inject('/ui/assets/index-abc.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    for (const url of ['/', '/ui']) {
      const r = await app.inject(url);
      expect(r.statusCode).toBe(307);
      expect(r.headers.location).toBe('ui/');
    }
  });

  it('serve nothing outside the assets: no dotfiles, no traversal, no listing', async () => {
    registerUiRoutes(app, ctx(true), { root: assets });
    expect((await app.inject('/ui/.secret')).statusCode).toBeGreaterThanOrEqual(400);
    expect((await app.inject('/ui/../package.json')).statusCode).toBe(404);
    expect((await app.inject('/ui/%2e%2e/%2e%2e/etc/passwd')).statusCode).toBeGreaterThanOrEqual(400);
    expect((await app.inject('/ui/assets/')).statusCode).toBe(404);
  });

  it('are off with ui.enabled = false, and absent (with a warning) when the UI is not built', async () => {
    expect(registerUiRoutes(app, ctx(false), { root: assets })).toBe(false);
    expect((await app.inject('/ui/')).statusCode).toBe(404);
    const other = Fastify();
    expect(registerUiRoutes(other, ctx(true), { root: undefined })).toBe(false);
    expect((await other.inject('/ui/')).statusCode).toBe(404);
    expect(warnings.join()).toContain('the web UI is not built');
    await other.close();
  });
});

describe('ui config', () => {
  it('parses ui { enabled = false } and rejects unknown ui keys', () => {
    const input = parseAgentConfig('ui {\n  enabled = false\n}\n', 'a.hcl');
    expect(resolveAgentConfig({ ...input, data_dir: '/tmp/x' }).ui.enabled).toBe(false);
    expect(resolveAgentConfig({ data_dir: '/tmp/x' }).ui.enabled).toBe(true);
    expect(() => parseAgentConfig('ui { dir = "/x" }', 'a.hcl')).toThrow(/unknown key "ui.dir"/);
  });

  it('an agent with the UI off still serves the API', async () => {
    const t = await startTestAgent({ ui: { enabled: false } });
    try {
      expect((await t.call('GET', '/ui/')).status).toBe(404);
      expect((await t.call('GET', '/v1/agent/health')).status).toBe(200);
      expect((await t.call('POST', '/v1/acl/bootstrap')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
