// Test helpers for the CLI's unit tests: a fake agent on a loopback port that
// answers with canned Nomad-shaped responses and records what it was sent, and
// an in-process runner for `main` with captured output. Not part of the build.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { main } from '../src/main.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Canned {
  status?: number;
  /** A string is sent as is (plain-text errors); anything else as JSON. */
  body?: unknown;
  index?: number;
  /** `X-Nomad-NextToken`: another page follows. */
  nextToken?: string;
}

export interface FakeAgent {
  readonly addr: string;
  readonly requests: RecordedRequest[];
  /** Answer `METHOD /path` with `answer` (or a function of the request). */
  on(method: string, path: string, answer: Canned | ((req: RecordedRequest) => Canned)): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeAgent(): Promise<FakeAgent> {
  const routes = new Map<string, Canned | ((req: RecordedRequest) => Canned)>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rec: RecordedRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      requests.push(rec);
      const route = routes.get(`${rec.method} ${rec.path}`);
      const c: Canned = route === undefined ? { status: 404, body: `no route for ${rec.method} ${rec.path}` } : typeof route === 'function' ? route(rec) : route;
      const headers: Record<string, string> = {};
      if (c.index !== undefined) headers['X-Nomad-Index'] = String(c.index);
      if (c.nextToken !== undefined) headers['X-Nomad-NextToken'] = c.nextToken;
      const text = c.body === undefined ? '' : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      if (typeof c.body !== 'string' && c.body !== undefined) headers['Content-Type'] = 'application/json';
      res.writeHead(c.status ?? 200, headers).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    addr,
    requests,
    on: (method, path, answer) => void routes.set(`${method} ${path}`, answer),
    reset: () => {
      routes.clear();
      requests.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A loopback address where nothing listens (a port that was just freed). */
export async function deadAddress(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tollgate <argv>` in-process with the given environment and stdin. */
export async function runCli(argv: string[], opts: { env?: Record<string, string>; stdin?: string; cwd?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin, 'utf8')]),
    env: opts.env ?? {},
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  return { code, stdout, stderr };
}

/** Seed 001's bootstrap token, as the agent sends it. */
export const BOOTSTRAP_TOKEN = {
  AccessorID: '5b7fd453-d3f7-6814-81dc-fcfe6daedea5',
  SecretID: '9184ec35-65d4-9258-61e3-0c066d0a45c5',
  Name: 'Bootstrap Token',
  Type: 'management',
  Policies: null,
  Global: true,
  Hash: 'oIm2wsIYtlgjYLbV0wBlzeC4vyIo7nOPDIQzk/pDdm0=',
  CreateTime: '2017-09-11T17:38:10.999089612Z',
  ExpirationTime: null,
  ExpirationTTL: 0,
  CreateIndex: 7,
  ModifyIndex: 7,
} as const;

/** Seed 000's "client1" token. */
export const CLIENT1_TOKEN = {
  AccessorID: 'a7bef400-a66c-d163-52c4-5ff4978f19b8',
  SecretID: '950e462b-b333-dd52-1e18-76837e9b97fa',
  Name: 'client1',
  Type: 'client',
  Policies: ['app1', 'app2'],
  Global: false,
  Hash: 'bY2538leml33LX7mIIBYT2ngBDMhpie065x+4/pQWJ0=',
  CreateTime: '2020-01-23T20:10:11.600915Z',
  ExpirationTime: null,
  ExpirationTTL: 0,
  CreateIndex: 19,
  ModifyIndex: 19,
} as const;
