import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tlsFetch } from '@tollgate/client';
import { loadAgentConfigFile } from '@tollgate/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, ensureCompose, findDockerEngine, sh } from './compose-kit.js';
import { REPO, api, eventually, freePort } from './testkit.js';

// The container lab (docker-compose.yml + deploy/). Its files are checked
// everywhere. Where a Docker engine answers, the lab also runs for real: its
// base images are built from Debian when they cannot be pulled
// (scripts/lab/build-images.sh), then the real Dockerfile and compose file
// start it. Where no engine answers it is reported as skipped, with the
// reason, never as passed; under CI=true with an engine it must run.

const run = promisify(execFile);
const SERVICES = ['certs', 'eu-west', 'global', 'grafana', 'lab-init', 'prometheus', 'us-east'];
const AGENTS = ['global', 'eu-west', 'us-east'];
/** The lab-only bootstrap secret docker-compose.yml defaults to. */
const LAB_SECRET = /TOLLGATE_LAB_BOOTSTRAP_SECRET:-([0-9a-f-]{36})/.exec(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8'))?.[1];

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

  it('keeps Grafana behind the `grafana` profile and passes the npm registry and CA build arguments', async (ctx) => {
    if (!compose) return ctx.skip();
    const out = await composeRun(['config'], { TOLLGATE_LAB_NPM_REGISTRY: 'https://npm.example.test/', TOLLGATE_LAB_IMAGE: 'tollgate-lab:probe' });
    const block = (name: string) => new RegExp(`\\n  ${name}:\\n([\\s\\S]*?)\\n  [a-z-]+:\\n`).exec(`${out}\n  end:\n`)?.[1] ?? '';
    expect(block('grafana')).toMatch(/profiles:\s+- grafana/);
    for (const service of ['global', 'prometheus', 'eu-west']) expect(block(service)).not.toContain('profiles');
    expect(block('global')).toMatch(/NPM_REGISTRY: https:\/\/npm\.example\.test\//);
    expect(block('global')).toContain('NPM_CA_PEM');
    for (const service of ['certs', 'global', 'lab-init', 'eu-west', 'us-east']) expect(block(service)).toContain('image: tollgate-lab:probe');
  });

  it('names no image that build-images.sh cannot make, and the script refuses an unknown one', async () => {
    const r = spawnSync('bash', [join(REPO, 'scripts/lab/build-images.sh'), 'grafana'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown image 'grafana' (valid: node, prometheus, etcd)");
    // Every image the default `up` needs is either built from deploy/Dockerfile
    // or one the script makes: the Dockerfile's FROM and Prometheus.
    const text = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');
    const images = [...text.matchAll(/^\s+image: "?([^"\s]+)"?/gm)].map((m) => m[1]);
    expect(images.sort()).toEqual(['${TOLLGATE_LAB_IMAGE:-tollgate-lab:latest}', '${TOLLGATE_LAB_IMAGE:-tollgate-lab:latest}', '${TOLLGATE_LAB_IMAGE:-tollgate-lab:latest}', 'grafana/grafana-oss:11.2.0', 'prom/prometheus:v2.53.2'].sort());
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


// ---------------------------------------------------------------------------
// The lab in containers, for real.

const engine = await findDockerEngine();
const hasDockerCli = spawnSync('docker', ['version'], { stdio: 'ignore' }).status === 0;
const inCi = process.env.CI === 'true';
const skipReason = !engine
  ? 'no Docker engine is reachable here (DOCKER_HOST, /var/run/docker.sock, rootless and Desktop sockets); .ci/run installs and starts one'
  : !hasDockerCli && !inCi
    ? 'a Docker engine answers but there is no `docker` CLI (apt-get install docker.io)'
    : undefined;
if (skipReason) console.warn(`[containers] SKIPPED the compose lab in containers: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('the compose lab in containers', () => {
  let lab: ComposeProject | undefined;
  const ports: Record<string, number> = {};
  const at = (service: string) => `https://127.0.0.1:${ports[service]}`;
  // The agents serve HTTPS with the lab CA (the certs service's), read out of a container.
  let labFetch: typeof fetch = fetch;
  let caDir: string | undefined;
  const image = `tollgate-lab-e2e:${process.pid}`;

  beforeAll(async () => {
    const compose = ensureCompose();
    if (!compose) throw new Error('no compose command (docker compose or docker-compose) and none can be installed (not root)');
    for (const s of [...AGENTS, 'prometheus']) ports[s] = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DOCKER_HOST: engine,
      TOLLGATE_LAB_IMAGE: image,
      TOLLGATE_LAB_GLOBAL_PORT: String(ports.global),
      TOLLGATE_LAB_EU_WEST_PORT: String(ports['eu-west']),
      TOLLGATE_LAB_US_EAST_PORT: String(ports['us-east']),
      TOLLGATE_LAB_PROMETHEUS_PORT: String(ports.prometheus),
      // npm inside the image build goes where this machine's npm goes, and
      // trusts what it trusts beyond Node's own store (a proxy's CA).
      TOLLGATE_LAB_NPM_REGISTRY: (await run('npm', ['config', 'get', 'registry'])).stdout.trim(),
      TOLLGATE_LAB_NPM_CA_PEM: (await run(process.execPath, [join(REPO, 'scripts/lab/npm-ca.js')])).stdout.trim(),
    };
    lab = new ComposeProject(compose, `tollgate-e2e-${process.pid}`, env);
    // Base images from Debian where they are missing (cached between runs).
    await sh('bash', [join(REPO, 'scripts/lab/build-images.sh'), 'node', 'prometheus'], { env, timeoutMs: 600_000 });
    await lab.run(['build', 'global'], 600_000);
    // Prometheus too; Grafana stays behind its profile.
    await lab.run(['up', '-d', 'certs', 'global', 'lab-init', 'eu-west', 'us-east', 'prometheus'], 300_000);
    for (const s of AGENTS) await lab.waitHealthy(s);
    caDir = await mkdtemp(join(tmpdir(), 'tollgate-compose-ca-'));
    const caFile = join(caDir, 'ca.pem');
    await writeFile(caFile, await sh('docker', ['exec', await lab.container('global'), 'cat', '/tls/tollgate-agent-ca.pem'], { env: lab.env }));
    labFetch = tlsFetch({ caCert: caFile });
  }, 1_200_000);

  afterAll(async () => {
    if (caDir) await rm(caDir, { recursive: true, force: true });
    if (!lab) return;
    await lab.run(['down', '-v', '--remove-orphans', '-t', '5'], 120_000).catch((err: unknown) => console.warn(String(err)));
    // The lab image this run built; the Debian base images stay cached.
    await sh('docker', ['rmi', '-f', image], { env: lab.env }).catch((err: unknown) => console.warn(String(err)));
  }, 180_000);

  /** A global management token made in `region`; its SecretID and AccessorID. */
  const globalToken = async (region: string, name: string) => {
    const r = await api(at(region), 'POST', '/v1/acl/token', { fetch: labFetch, token: LAB_SECRET!, body: { Name: name, Type: 'management', Global: true } });
    expect(r.status).toBe(200);
    return { secret: r.body.SecretID as string, accessor: r.body.AccessorID as string };
  };
  const resolvesIn = (region: string, secret: string, timeoutMs = 60_000) =>
    eventually(async () => (await api(at(region), 'GET', '/v1/acl/token/self', { token: secret, fetch: labFetch })).status === 200, timeoutMs, 250);

  it('was bootstrapped by the init job with the lab secret, which then made the replication token', async () => {
    expect(LAB_SECRET).toBeDefined();
    expect(await lab!.inspect('lab-init', '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 0');
    const logs = await lab!.run(['logs', '--no-color', 'lab-init']);
    expect(logs).toMatch(/bootstrapped ACLs with the lab secret/);
    expect(logs).toMatch(/created the replication token/);
    const self = await api(at('global'), 'GET', '/v1/acl/token/self', { token: LAB_SECRET!, fetch: labFetch });
    expect(self.body).toMatchObject({ Type: 'management', Global: true });
    // A second bootstrap is refused: the init job did it.
    expect((await api(at('global'), 'POST', '/v1/acl/bootstrap', { fetch: labFetch })).status).toBe(400);
    for (const follower of ['eu-west', 'us-east']) {
      const repl = await api(at(follower), 'GET', '/v1/acl/replication', { token: LAB_SECRET!, fetch: labFetch });
      expect(repl.status).toBe(200);
    }
  });

  it('replicates a global token created in eu-west to us-east', async () => {
    const t = await globalToken('eu-west', 'containers-e2e');
    await resolvesIn('us-east', t.secret);
    const self = await api(at('us-east'), 'GET', '/v1/acl/token/self', { token: t.secret, fetch: labFetch });
    expect(self.body).toMatchObject({ AccessorID: t.accessor, Global: true });
  });

  it('has Prometheus scraping replication lag for both followers', async () => {
    const regions = await eventually(async () => {
      const r = await api(`http://127.0.0.1:${ports.prometheus}`, 'GET', `/api/v1/query?query=${encodeURIComponent('tollgate_replication_lag_seconds')}`);
      const found = (r.body?.data?.result ?? []).map((x: { metric: { region: string } }) => x.metric.region).sort();
      return found.length === 2 ? found : undefined;
    }, 60_000, 1000);
    expect(regions).toEqual(['eu-west', 'us-east']);
  });

  it('catches a stopped region up once it is started again', async () => {
    await lab!.run(['stop', '-t', '5', 'us-east']);
    const t = await globalToken('global', 'while-us-east-stopped');
    await lab!.run(['start', 'us-east']);
    await lab!.waitHealthy('us-east');
    await resolvesIn('us-east', t.secret);
  });

  it('survives a network cut of a follower: writes in global meanwhile all arrive, nothing is lost or mass-deleted', async () => {
    const before = await globalToken('global', 'before-cut');
    await resolvesIn('eu-west', before.secret);
    const container = await lab!.container('eu-west');
    const network = (await lab!.inspect('eu-west', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}')).trim();
    expect(network).toMatch(/_lab$/);
    await sh('docker', ['network', 'disconnect', network, container], { env: lab!.env });
    let reconnected = false;
    try {
      const during: Array<{ secret: string; accessor: string }> = [];
      for (let i = 0; i < 5; i++) during.push(await globalToken('global', `during-cut-${i}`));
      // Cut off, eu-west still resolves what it held, and has none of the new ones.
      expect((await lab!.apiInside('eu-west', 'GET', '/v1/acl/token/self', before.secret)).status).toBe(200);
      expect((await lab!.apiInside('eu-west', 'GET', '/v1/acl/token/self', during[0]!.secret)).status).not.toBe(200);
      await sh('docker', ['network', 'connect', '--alias', 'eu-west', network, container], { env: lab!.env });
      reconnected = true;
      await eventually(async () => {
        for (const t of during) if ((await lab!.apiInside('eu-west', 'GET', '/v1/acl/token/self', t.secret)).status !== 200) return false;
        return true;
      }, 90_000, 500);
      // Nothing lost, nothing mass-deleted: eu-west holds every global token global has.
      const globalTokens = (await api(at('global'), 'GET', '/v1/acl/tokens', { token: LAB_SECRET!, fetch: labFetch })).body as Array<{ AccessorID: string; Global: boolean }>;
      const want = globalTokens.filter((t) => t.Global).map((t) => t.AccessorID).sort();
      const have = await eventually(async () => {
        const r = await lab!.apiInside('eu-west', 'GET', '/v1/acl/tokens', LAB_SECRET!);
        const ids = (r.body as Array<{ AccessorID: string; Global: boolean }>).filter((t) => t.Global).map((t) => t.AccessorID).sort();
        return ids.length === want.length ? ids : undefined;
      }, 30_000, 500);
      expect(have).toEqual(want);
      expect(have).toContain(before.accessor);
    } finally {
      if (!reconnected) await sh('docker', ['network', 'connect', '--alias', 'eu-west', network, container], { env: lab!.env }).catch(() => undefined);
    }
  });
});

// Where it cannot run, say so in the test report itself.
describe.runIf(skipReason !== undefined)('the compose lab in containers (cannot run here)', () => {
  it.skip(`skipped: ${skipReason ?? ''}`, () => undefined);
});
