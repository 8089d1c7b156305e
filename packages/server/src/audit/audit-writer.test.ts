import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJson } from './audit-chain.js';
import { deriveAuditKey } from './audit-key.js';
import { FileSink, StreamSink } from './audit-sink.js';
import type { AuditSink } from './audit-sink.js';
import { FailingSink } from './failing-sink.js';
import { AuditWriter } from './audit-writer.js';
import type { AuditWriterOptions } from './audit-writer.js';
import { verifyAuditLog } from './audit-verify.js';

const KEY = deriveAuditKey(Buffer.alloc(32, 7), 'global');
const log = pino({ level: 'silent' });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function writer(sink: AuditSink, extra: Partial<AuditWriterOptions> = {}): AuditWriter {
  return new AuditWriter({ sink, auditKey: KEY, region: 'global', agent: 'test', failOpen: false, rotateBytes: 0, rotateMaxFiles: 3, queueLines: 1000, log, retryMs: 20, ...extra });
}

const rec = (i: number): string => openJson({ type: 'audit', time: new Date().toISOString(), n: i });

async function writeLines(w: AuditWriter, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) w.append(rec(i));
  await w.flush();
}

async function files(path: string): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(dir)).filter((f) => f.startsWith('audit.log')).sort((a, b) => suffix(b) - suffix(a));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
  function suffix(n: string): number {
    return n === 'audit.log' ? 0 : Number(n.slice(n.lastIndexOf('.') + 1));
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('AuditWriter and verifyAuditLog', () => {
  it('writes a signed header and chained lines that verify, with and without the key', async () => {
    const path = join(dir, 'audit.log');
    const w = writer(new FileSink(path));
    await w.open();
    await writeLines(w, 20);
    await w.appendDurable(rec(99));
    await w.close();
    const text = await readFile(path, 'utf8');
    expect(lines(text)).toHaveLength(22);
    expect(lines(text)[0]).toMatch(/^\{"type":"audit-header",.*"reason":"start".*"seq":1,"prev":"0{64}","sig":"hmac-sha256:[0-9a-f]{64}"\}$/);
    expect(verifyAuditLog([{ name: 'audit.log', text }], { auditKey: KEY })).toEqual({ ok: true, lines: 22, headers: 1, signaturesChecked: true, skipped: 0 });
    expect(verifyAuditLog([{ name: 'audit.log', text }]).ok).toBe(true);
  });

  it('reports the first edited, removed and reordered line', async () => {
    const path = join(dir, 'audit.log');
    const w = writer(new FileSink(path));
    await w.open();
    await writeLines(w, 10);
    await w.close();
    const orig = lines(await readFile(path, 'utf8'));
    const check = (ls: string[]) => verifyAuditLog([{ name: 'audit.log', text: ls.join('\n') + '\n' }], { auditKey: KEY });

    const edited = [...orig];
    edited[4] = (edited[4] as string).replace('"n":3', '"n":33');
    expect(check(edited)).toMatchObject({ ok: false, line: 5, problem: expect.stringMatching(/^edited/) });

    const removed = orig.filter((_, i) => i !== 6);
    expect(check(removed)).toMatchObject({ ok: false, line: 7, problem: expect.stringMatching(/1 line\(s\) removed/) });

    const reordered = [...orig];
    [reordered[3], reordered[4]] = [reordered[4] as string, reordered[3] as string];
    expect(check(reordered)).toMatchObject({ ok: false, line: 4, problem: expect.stringMatching(/reordered/) });

    const garbled = [...orig];
    garbled[2] = '{"type":"audit", not json';
    expect(check(garbled)).toMatchObject({ ok: false, line: 3, problem: expect.stringMatching(/not an audit line/) });

    expect(check(orig.slice(3))).toMatchObject({ ok: false, line: 1, problem: expect.stringMatching(/does not start with a header/) });

    const forged = [...orig];
    forged[0] = (forged[0] as string).replace('"region":"global"', '"region":"elsewhere"');
    expect(check(forged)).toMatchObject({ ok: false, line: 1, problem: expect.stringMatching(/signature/) });
  });

  it('rotates by size, keeps rotate_max_files, and the rotated set verifies as one chain', async () => {
    const path = join(dir, 'audit.log');
    const w = writer(new FileSink(path), { rotateBytes: 4096, rotateMaxFiles: 3 });
    await w.open();
    for (let round = 0; round < 12; round++) await writeLines(w, 10, round * 10);
    await w.close();
    const set = await files(path);
    expect(set.map((f) => f.name)).toEqual(['audit.log.3', 'audit.log.2', 'audit.log.1', 'audit.log']);
    for (const f of set.slice(1)) expect(lines(f.text)[0]).toMatch(/"reason":"rotate"/);
    const res = verifyAuditLog(set, { auditKey: KEY });
    expect(res.ok).toBe(true);
    // Dropping a file from the middle of the set breaks the chain.
    expect(verifyAuditLog([set[0], set[2], set[3]] as typeof set, { auditKey: KEY })).toMatchObject({ ok: false, file: 'audit.log.1', line: 1 });
  });

  it('continues the chain of an existing file after a restart and cuts off a partial last line', async () => {
    const path = join(dir, 'audit.log');
    const w1 = writer(new FileSink(path));
    await w1.open();
    await writeLines(w1, 5);
    await w1.close();
    await writeFile(path, (await readFile(path, 'utf8')) + '{"type":"audit","time":"2026-', { flag: 'w' });
    const w2 = writer(new FileSink(path));
    await w2.open();
    await writeLines(w2, 5, 5);
    await w2.close();
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain('"time":"2026-{');
    expect(lines(text).filter((l) => l.includes('"type":"audit-header"'))).toHaveLength(2);
    expect(verifyAuditLog([{ name: 'audit.log', text }], { auditKey: KEY })).toMatchObject({ ok: true, lines: 12, headers: 2 });
  });

  it('accepts a new chain started on an empty path after the old file was moved away', async () => {
    const path = join(dir, 'audit.log');
    const w1 = writer(new FileSink(path));
    await w1.open();
    await writeLines(w1, 3);
    await w1.close();
    await rename(path, `${path}.1`);
    const w2 = writer(new FileSink(path));
    await w2.open();
    await writeLines(w2, 3);
    await w2.close();
    expect(verifyAuditLog(await files(path), { auditKey: KEY })).toMatchObject({ ok: true, lines: 8, headers: 2 });
  });

  it('reopens the path (SIGHUP) after an external rotation; old and new file verify together', async () => {
    const path = join(dir, 'audit.log');
    const w = writer(new FileSink(path));
    await w.open();
    await writeLines(w, 5);
    await rename(path, `${path}.1`);
    w.reopen();
    await writeLines(w, 5, 5);
    await w.close();
    const set = await files(path);
    expect(lines((set[1] as { text: string }).text)[0]).toMatch(/"reason":"reopen"/);
    expect(lines((set[0] as { text: string }).text)).toHaveLength(6);
    expect(verifyAuditLog(set, { auditKey: KEY })).toMatchObject({ ok: true, lines: 12 });
  });

  it('fails closed: durable lines reject while the sink fails, and writing resumes with nothing lost or doubled', async () => {
    const path = join(dir, 'audit.log');
    const sink = new FlakySink(new FileSink(path));
    const statuses: (string | undefined)[] = [];
    const w = writer(sink, { onStatus: (f) => statuses.push(f) });
    await w.open();
    await writeLines(w, 3);
    sink.failing = true;
    w.append(rec(100));
    await expect(w.appendDurable(rec(101))).rejects.toThrow(/audit log cannot be written: ENOSPC/);
    expect(w.failure).toMatch(/ENOSPC/);
    sink.failing = false;
    await until(() => w.failure === undefined);
    await w.appendDurable(rec(102));
    await w.close();
    const text = await readFile(path, 'utf8');
    expect(statuses).toEqual([expect.stringMatching(/ENOSPC/), undefined]);
    // The failed batch was cut back and written again, once.
    expect(text.match(/"n":100,/g)).toHaveLength(1);
    expect(verifyAuditLog([{ name: 'audit.log', text }], { auditKey: KEY })).toMatchObject({ ok: true, lines: 7 });
  });

  it('fails open: beyond the queue bound lines are dropped and an audit-gap line counts them', async () => {
    const path = join(dir, 'audit.log');
    const sink = new FlakySink(new FileSink(path));
    const w = writer(sink, { failOpen: true, queueLines: 16 });
    await w.open();
    sink.failing = true;
    w.append(rec(0));
    await until(() => w.failure !== undefined);
    for (let i = 1; i <= 40; i++) w.append(rec(i));
    expect(w.hasRoom()).toBe(false);
    expect(w.dropped).toBe(24);
    sink.failing = false;
    await until(() => w.failure === undefined && w.queued === 0);
    await w.close();
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/"type":"audit-gap","time":"[^"]+","dropped":24,/);
    expect(verifyAuditLog([{ name: 'audit.log', text }], { auditKey: KEY }).ok).toBe(true);
  });

  it('never makes a request wait on a failing log, fail-closed or open', async () => {
    for (const failOpen of [false, true]) {
      const sink = new FlakySink(new FileSink(join(dir, `audit-${failOpen}.log`)));
      const w = writer(sink, { failOpen, queueLines: 16 });
      await w.open();
      sink.failing = true;
      w.append(rec(0));
      await until(() => w.failure !== undefined);
      for (let i = 1; i <= 20; i++) w.append(rec(i));
      expect(w.hasRoom()).toBe(false);
      expect(w.mustWait()).toBe(false);
      await w.whenRoom();
      await w.close();
    }
  });

  it('applies back-pressure: whenRoom resolves once the queue drains', async () => {
    const path = join(dir, 'audit.log');
    const w = writer(new FileSink(path), { queueLines: 16 });
    await w.open();
    for (let i = 0; i < 16; i++) w.append(rec(i));
    expect(w.mustWait()).toBe(true);
    await w.whenRoom();
    expect(w.hasRoom()).toBe(true);
    await w.close();
  });

  it('writes to a stream (stdout mode) in whole lines; verify skips foreign lines with mixed', async () => {
    let out = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        // The agent's own log shares the stream.
        out += '{"level":30,"msg":"something else"}\n';
        cb();
      },
    });
    const w = writer(new StreamSink(stream));
    await w.open();
    await writeLines(w, 200);
    await w.close();
    expect(verifyAuditLog([{ name: 'stdout', text: out }])).toMatchObject({ ok: false, problem: expect.stringMatching(/not an audit line/) });
    expect(verifyAuditLog([{ name: 'stdout', text: out }], { mixed: true, auditKey: KEY })).toMatchObject({ ok: true, lines: 201 });
  });
});

/** Fails with ENOSPC on demand, after writing half of the batch. */
class FlakySink extends FailingSink {
  constructor(inner: FileSink) {
    super(inner, { code: 'ENOSPC', message: 'no space left on device', partialFraction: 0.5 });
  }
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
