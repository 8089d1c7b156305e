import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpStatusFor } from '../errors.js';
import { registerAuditHooks } from './audit-hooks.js';
import { deriveAuditKey } from '../audit/audit-key.js';
import { FileSink } from '../audit/audit-sink.js';
import { FailingSink } from '../audit/failing-sink.js';
import { AuditWriter } from '../audit/audit-writer.js';
import { RequestAuditor } from '../audit/request-auditor.js';

/** The Fastify hooks on a bare app whose audit file can be made to fail. */

let dir: string;
let app: FastifyInstance;
let sink: FailingSink;
let writer: AuditWriter;
let writes = 0;

async function build(failOpen: boolean): Promise<void> {
  sink = new FailingSink(new FileSink(join(dir, 'audit.log')), { code: 'EROFS', message: 'read-only file system', partialFraction: 0 });
  const auditKey = deriveAuditKey(Buffer.alloc(32, 1), 'global');
  writer = new AuditWriter({ sink, auditKey, region: 'global', agent: 't', failOpen, rotateBytes: 0, rotateMaxFiles: 1, queueLines: 100, log: pino({ level: 'silent' }), retryMs: 60_000 });
  await writer.open();
  app = Fastify();
  app.setErrorHandler((err, _req, reply) => void reply.code(httpStatusFor(err)).send((err as Error).message));
  registerAuditHooks(app, new RequestAuditor({ writer, auditKey, region: 'global', agent: 't', tokens: () => ({ tokenBySecret: () => undefined }) }));
  app.post('/v1/acl/token', async (_req, reply) => {
    writes++;
    reply.header('X-Nomad-Index', '7');
    return { AccessorID: 'a-1', SecretID: 's-1' };
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-hooks-'));
  writes = 0;
});
afterEach(async () => {
  await app.close();
  await writer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('audit hooks', () => {
  it('fail-closed: a write whose line cannot be written answers 503 naming its index; later requests are refused before they run', async () => {
    await build(false);
    expect((await app.inject({ method: 'POST', url: '/v1/acl/token', payload: {} })).statusCode).toBe(200);
    sink.failing = true;
    const res = await app.inject({ method: 'POST', url: '/v1/acl/token', payload: {} });
    expect(res.statusCode).toBe(503);
    expect(res.body).toBe('audit log unavailable: audit log cannot be written: EROFS: read-only file system; the write was committed at index 7 but is not in the audit log');
    expect(res.headers['x-nomad-index']).toBeUndefined();
    expect(writes).toBe(2);
    const refused = await app.inject({ method: 'POST', url: '/v1/acl/token', payload: {} });
    expect(refused.statusCode).toBe(503);
    expect(refused.body).toMatch(/^audit log unavailable, request refused: EROFS/);
    expect(writes).toBe(2);
    const text = await readFile(join(dir, 'audit.log'), 'utf8');
    expect(text.split('\n').filter((l) => l.includes('"op":"acl.token.create"'))).toHaveLength(1);
    expect(text).not.toContain('s-1');
  });

  it('fail-open: writes answer without waiting for a log that cannot be written', async () => {
    await build(true);
    sink.failing = true;
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'POST', url: '/v1/acl/token', payload: {} })).statusCode).toBe(200);
    expect(writes).toBe(3);
    await writer.flush();
    expect(writer.failure).toMatch(/EROFS/);
    expect((await app.inject({ method: 'POST', url: '/v1/acl/token', payload: {} })).statusCode).toBe(200);
  });
});
