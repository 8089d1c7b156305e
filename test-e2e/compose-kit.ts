/**
 * Driving the container lab (docker-compose.yml) from tests: finding a Docker
 * engine and a compose command (the v2 plugin or Debian's docker-compose
 * 1.x, whichever exists), building the lab's images offline, and running
 * commands in one compose project that the test removes afterwards. Nothing
 * here pulls an image or starts a helper container.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './testkit.js';

const run = promisify(execFile);

/** `docker compose` (v2 plugin) or `docker-compose` (v1, Debian's package), if either runs. */
export function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return undefined;
}

/** Installs Debian's docker-compose when no compose command exists and we are root. */
export function ensureCompose(): string[] | undefined {
  const found = composeCommand();
  if (found || process.getuid?.() !== 0) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker-compose'], { stdio: 'ignore', env });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    install();
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
 * The DOCKER_HOST of an engine that answers: DOCKER_HOST itself, then the
 * usual sockets (system, rootless, Docker Desktop).
 */
export async function findDockerEngine(): Promise<string | undefined> {
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

/** Runs a command, failing with its output (not just "exit 1") when it fails. */
export async function sh(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  try {
    const r = await run(cmd, args, { cwd: REPO, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
    return r.stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${(e.stdout ?? '').slice(-3000)}\n${(e.stderr ?? '').slice(-3000)}`);
  }
}

/** One compose project of the lab: its name, environment and commands. */
export class ComposeProject {
  constructor(
    readonly compose: readonly string[],
    readonly project: string,
    readonly env: NodeJS.ProcessEnv,
    readonly files: readonly string[] = ['docker-compose.yml'],
  ) {}

  /** `<compose> -p <project> -f ... <args>` */
  run(args: readonly string[], timeoutMs = 120_000): Promise<string> {
    const [cmd, ...pre] = this.compose;
    const fileArgs = this.files.flatMap((f) => ['-f', join(REPO, f)]);
    return sh(cmd!, [...pre, '-p', this.project, ...fileArgs, ...args], { env: this.env, timeoutMs });
  }

  /** The container id of a service (its only container). */
  async container(service: string): Promise<string> {
    const id = (await this.run(['ps', '-a', '-q', service])).trim().split('\n')[0];
    if (!id) throw new Error(`no container for ${service}`);
    return id;
  }

  /** `docker inspect -f <format> <service's container>` */
  async inspect(service: string, format: string): Promise<string> {
    return (await sh('docker', ['inspect', '-f', format, await this.container(service)], { env: this.env })).trim();
  }

  /** Waits until the service's container reports healthy. */
  async waitHealthy(service: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.inspect(service, '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}');
      if (state === 'running/healthy') return;
      if (Date.now() > deadline) throw new Error(`${service} not healthy within ${timeoutMs} ms (${state})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * An HTTP request made inside the service's container, to its own agent
   * (https://127.0.0.1:4646, trusted through the container's
   * NODE_EXTRA_CA_CERTS): works while the container is cut off the lab
   * network, when its published port does not answer.
   */
  async apiInside(service: string, method: string, path: string, token?: string): Promise<{ status: number; body: any }> {
    const script =
      `fetch('https://127.0.0.1:4646'+process.argv[1],{method:process.argv[2],headers:process.argv[3]?{'X-Nomad-Token':process.argv[3]}:{}})` +
      `.then(async r=>{const t=await r.text();let b=t;try{b=JSON.parse(t)}catch{}console.log(JSON.stringify({status:r.status,body:b}))})`;
    const out = await sh('docker', ['exec', await this.container(service), 'node', '-e', script, path, method, token ?? ''], { env: this.env });
    return JSON.parse(out) as { status: number; body: any };
  }
}
