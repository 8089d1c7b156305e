import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tlsFetch } from '@tollgate/client';
import { loadAgentConfigFile } from '@tollgate/server';
import type { StartedDockerComposeEnvironment } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, api, eventually } from './testkit.js';

// The container lab (docker-compose.yml + deploy/). Its files are checked
// everywhere; starting it needs a Docker engine, which this project's own
// machines do not have, so that part runs only where one answers and is
// reported as skipped (never as passed) elsewhere.

const run = promisify(execFile);
const SERVICES = ['certs', 'eu-west', 'global', 'grafana', 'lab-init', 'prometheus', 'us-east'];
const AGENTS = ['global', 'eu-west', 'us-east'];
/** The lab-only bootstrap secret docker-compose.yml defaults to. */
const LAB_SECRET = /TOLLGATE_LAB_BOOTSTRAP_SECRET:-([0-9a-f-]{36})/.exec(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8'))?.[1];

/** `docker-compose` (Debian's package) or the `docker compose` plugin, if either runs. */
function composeCommand(): string[] | undefined {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return undefined;
}

/** Installs Debian's docker-compose when no compose command exists and we are root. */
function ensureCompose(): string[] | undefined {
  const found = composeCommand();
  if (found || process.getuid?.() !== 0) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker-compose'], { stdio: 'ignore', env });
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker-compose'], { stdio: 'ignore', env });
  }
  return composeCommand();
}

/** GET /_ping on a Docker API endpoint; true when an engine answers "OK". */
function ping(endpoint: { socketPath: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...endpoint, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Where a Docker engine answers, as testcontainers would look for it:
 * DOCKER_HOST, then the usual sockets (system, rootless, Docker Desktop).
 * Found without importing testcontainers, so that the skip message is ours.
 */
async function findDockerEngine(): Promise<string | undefined> {
  const candidates: string[] = [];
  if (process.env.DOCKER_HOST) candidates.push(process.env.DOCKER_HOST);
  candidates.push('unix:///var/run/docker.sock');
  if (process.env.XDG_RUNTIME_DIR) candidates.push(`unix://${process.env.XDG_RUNTIME_DIR}/docker.sock`);
  candidates.push(`unix://${homedir()}/.docker/run/docker.sock`, `unix://${homedir()}/.docker/desktop/docker.sock`);
  for (const c of candidates) {
    if (c.startsWith('unix://') && (await ping({ socketPath: c.slice('unix://'.length) }))) return c;
    const tcp = /^tcp:\/\/([^:/]+):(\d+)/.exec(c);
    if (tcp && (await ping({ host: tcp[1]!, port: Number(tcp[2]) }))) return c;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('container lab files', () => {
  let compose: string[] | undefined;
  beforeAll(() => {
    compose = ensureCompose();
    if (!compose) console.warn('[containers] docker-compose is not installed and cannot be (not root): compose checks skipped');
  });

  const composeRun = async (args: string[], env: Record<string, string> = {}) => {
    const [cmd, ...pre] = compose!;
    const r = await run(cmd!, [...pre, '-f', join(REPO, 'docker-compose.yml'), ...args], { cwd: REPO, env: { ...process.env, ...env } });
    return r.stdout;
  };

  it('passes `docker-compose config` and declares the three regions, the init job, Prometheus and Grafana', async (ctx) => {
    if (!compose) return ctx.skip();
    await composeRun(['config', '-q']);
    expect((await composeRun(['config', '--services'])).trim().split('\n').sort()).toEqual(SERVICES);
    expect((await composeRun(['config', '--volumes'])).trim().split('\n').sort()).toEqual(
      ['eu-west-data', 'global-data', 'lab-secrets', 'lab-tls', 'prometheus-data', 'us-east-data'],
    );
  });

  it('publishes the documented ports on 127.0.0.1, and other ports when the environment says so', async (ctx) => {
    if (!compose) return ctx.skip();
    const defaults = await composeRun(['config']);
    for (const [port, inner] of [[4646, 4646], [5646, 4646], [6646, 4646], [9090, 9090], [3000, 3000]]) {
      expect(defaults).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}:${inner}`));
    }
    const moved = await composeRun(['config'], { TOLLGATE_LAB_EU_WEST_PORT: '15646', TOLLGATE_LAB_BIND: '0.0.0.0' });
    expect(moved).toMatch(/0\.0\.0\.0:15646:4646/);
    expect(moved).not.toMatch(/127\.0\.0\.1:5646:4646/);
  });

  it('starts the followers only after the init job succeeded, with its replication token config', async (ctx) => {
    if (!compose) return ctx.skip();
    const out = await composeRun(['config']);
    for (const follower of ['eu-west', 'us-east']) {
      const block = new RegExp(`\\n  ${follower}:\\n([\\s\\S]*?)\\n  [a-z-]+:\\n`).exec(`${out}\n  end:\n`)?.[1] ?? '';
      expect(block).toMatch(/lab-init:\s+condition: service_completed_successfully/);
      expect(block).toContain('-config=/lab-secrets/replication.hcl');
    }
  });

  it('ships agent configs whose peers are the compose services, all naming global as authoritative', () => {
    for (const region of AGENTS) {
      const cfg = loadAgentConfigFile(join(REPO, 'deploy/compose', `${region}.hcl`));
      const peers = Object.fromEntries(AGENTS.filter((r) => r !== region).map((r) => [r, [`${r}:4647`]]));
      expect(cfg).toMatchObject({ region, bind_addr: '0.0.0.0', ports: { http: 4646, rpc: 4647 } });
      expect(cfg.server).toEqual({ authoritative_region: 'global', region_peers: peers });
      // TLS everywhere, with the certs service's files.
      expect(cfg.tls).toEqual({
        http: true,
        rpc: true,
        ca_file: '/tls/tollgate-agent-ca.pem',
        cert_file: `/tls/${region}-server-tollgate.pem`,
        key_file: `/tls/${region}-server-tollgate-key.pem`,
        verify_server_hostname: true,
      });
    }
  });

  it('makes the CA and certificates in a one-shot certs service before any agent or Prometheus starts', async (ctx) => {
    if (!compose) return ctx.skip();
    const out = await composeRun(['config']);
    for (const svc of ['global', 'prometheus']) {
      const block = new RegExp(`\\n  ${svc}:\\n([\\s\\S]*?)\\n  [a-z-]+:\\n`).exec(`${out}\n  end:\n`)?.[1] ?? '';
      expect(block).toMatch(/certs:\s+condition: service_completed_successfully/);
    }
    expect(readFileSync(join(REPO, 'deploy/prometheus.yml'), 'utf8')).toMatch(/scheme: https\s+tls_config:\s+ca_file: \/tls\/tollgate-agent-ca\.pem/);
  });

  it('has Prometheus configs that promtool accepts, scraping every agent', async (ctx) => {
    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status !== 0) return ctx.skip();
    for (const file of ['deploy/prometheus.yml', 'deploy/prometheus-lab.yml']) {
      const r = spawnSync('promtool', ['check', 'config', join(REPO, file)], { encoding: 'utf8' });
      expect({ file, status: r.status, out: r.stdout + r.stderr }).toMatchObject({ file, status: 0 });
    }
    const text = readFileSync(join(REPO, 'deploy/prometheus.yml'), 'utf8');
    for (const a of AGENTS) expect(text).toContain(`- ${a}:4646`);
    expect(text).toMatch(/metrics_path: \/v1\/metrics\s+params:\s+format: \[prometheus\]/);
  });

  it('has a Grafana dashboard, on a datasource variable that defaults to the provisioned Prometheus, with panels for lag, index lag, errors and authorize rate', () => {
    const dash = JSON.parse(readFileSync(join(REPO, 'deploy/grafana/dashboards/replication-lag.json'), 'utf8')) as {
      uid: string;
      templating: { list: Array<{ name: string; type: string; query: unknown }> };
      panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
    };
    expect(dash.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(dash.panels.every((p) => p.datasource.uid === '${datasource}')).toBe(true);
    const datasource = readFileSync(join(REPO, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    expect(datasource).toMatch(/type: prometheus[\s\S]*url: http:\/\/prometheus:9090[\s\S]*isDefault: true/);
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'tollgate_replication_lag_seconds',
      'tollgate_replication_index_lag',
      'tollgate_replication_errors_total',
      'tollgate_replication_last_success_timestamp_seconds',
      'tollgate_authorize_checks_total',
    ]) {
      expect(exprs).toContain(metric);
    }
    const provider = readFileSync(join(REPO, 'deploy/grafana/provisioning/dashboards/tollgate.yml'), 'utf8');
    expect(provider).toContain('path: /var/lib/grafana/dashboards');
  });
});

const engine = await findDockerEngine();
const skipReason = 'no Docker engine is reachable here (DOCKER_HOST, /var/run/docker.sock, rootless and Desktop sockets)';
if (!engine) console.warn(`[containers] SKIPPED the compose lab in containers: ${skipReason}`);

describe.skipIf(!engine)('the compose lab in containers', () => {
  let env: StartedDockerComposeEnvironment | undefined;
  const ports: Record<string, number> = {};
  let labFetch: typeof fetch = fetch;

  beforeAll(async () => {
    // Imported only here: testcontainers needs an engine, and its HTTP stack
    // (undici 8 in testcontainers 12) needs Node >= 22.19.
    const { DockerComposeEnvironment, Wait } = await import('testcontainers');
    for (const r of AGENTS) ports[r] = await freePort();
    env = await new DockerComposeEnvironment(REPO, 'docker-compose.yml')
      .withBuild()
      .withEnvironment({
        TOLLGATE_LAB_GLOBAL_PORT: String(ports.global),
        TOLLGATE_LAB_EU_WEST_PORT: String(ports['eu-west']),
        TOLLGATE_LAB_US_EAST_PORT: String(ports['us-east']),
      })
      .withWaitStrategy('certs-1', Wait.forOneShotStartup())
      .withWaitStrategy('global-1', Wait.forHealthCheck())
      .withWaitStrategy('lab-init-1', Wait.forOneShotStartup())
      .withWaitStrategy('eu-west-1', Wait.forHealthCheck())
      .withWaitStrategy('us-east-1', Wait.forHealthCheck())
      .withStartupTimeout(300_000)
      // Prometheus and Grafana are left out: pulling them proves nothing here.
      .up(['certs', 'global', 'lab-init', 'eu-west', 'us-east']);
    // The agents serve HTTPS with the lab CA: read it out of a container.
    const ca = await env.getContainer('global-1').exec(['cat', '/tls/tollgate-agent-ca.pem']);
    const caFile = join(await mkdtemp(join(tmpdir(), 'tollgate-compose-ca-')), 'ca.pem');
    writeFileSync(caFile, ca.output);
    labFetch = tlsFetch({ caCert: caFile });
  }, 600_000);
  afterAll(async () => {
    await env?.down({ removeVolumes: true });
  }, 120_000);

  it('replicates a global token created in eu-west to us-east', async () => {
    expect(LAB_SECRET).toBeDefined();
    const at = (r: string) => `https://127.0.0.1:${ports[r]}`;
    const created = await api(at('eu-west'), 'POST', '/v1/acl/token', {
      fetch: labFetch,
      token: LAB_SECRET!,
      body: { Name: 'containers-e2e', Type: 'management', Global: true },
    });
    expect(created.status).toBe(200);
    const secret = created.body.SecretID as string;
    const self = await eventually(async () => {
      const r = await api(at('us-east'), 'GET', '/v1/acl/token/self', { token: secret, fetch: labFetch });
      return r.status === 200 ? r.body : undefined;
    }, 30_000, 200);
    expect(self).toMatchObject({ AccessorID: created.body.AccessorID, Global: true });
  });
});

// Where there is no engine, say so in the test report itself.
describe.runIf(!engine)('the compose lab in containers (no engine)', () => {
  it.skip(`skipped: ${skipReason}`, () => undefined);
});
