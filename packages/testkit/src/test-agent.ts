import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent, REDACT_PATHS, resolveAgentConfig } from '@tollgate/server';
import type { AgentConfigInput } from '@tollgate/server';

/** An in-process agent on a free port with a temp data dir, for tests. */
export interface TestAgent {
  readonly agent: Agent;
  readonly addr: string;
  readonly dataDir: string;
  /** Every log line the agent wrote, raw. */
  readonly logText: () => string;
  /** HTTP call: status, parsed JSON (or text) body, headers. */
  call(method: string, path: string, opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/** The answer of `httpCall`: status, parsed JSON (or the text) body, headers. */
export interface HttpAnswer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/**
 * A JSON HTTP call against an agent at `addr`: `body` is sent as JSON (with
 * its content type, as every real client does), `raw` as is; the answer's
 * body is parsed when it is JSON and stays text otherwise.
 */
export async function httpCall(
  addr: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string>; fetch?: typeof fetch } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers['X-Nomad-Token'] = o.token;
  if (o.body !== undefined && o.raw === undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  const res = await (o.fetch ?? fetch)(addr + path, {
    method,
    headers,
    body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain-text error bodies stay text
  }
  return { status: res.status, body, text, headers: res.headers };
}

/**
 * Starts an agent in this process (for unit tests of the HTTP API). Logs go
 * to memory at debug level so tests can assert on them.
 */
export async function startTestAgent(input: AgentConfigInput = {}, opts: { dataDir?: string } = {}): Promise<TestAgent> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'tollgate-test-')));
  let logs = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: [...REDACT_PATHS], censor: '[Redacted]' } }, sink);
  const config = resolveAgentConfig({ data_dir: dataDir, bind_addr: '127.0.0.1', ...input, ports: { http: 0, rpc: 0, ...input.ports } });
  const agent = new Agent(config, { logger });
  await agent.start();
  const addr = agent.httpAddress;
  return {
    agent,
    addr,
    dataDir,
    logText: () => logs,
    call: (method, path, o = {}) => httpCall(addr, method, path, o),
    async close() {
      await agent.close();
      if (opts.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
