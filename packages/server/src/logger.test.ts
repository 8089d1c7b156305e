import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('redacts secrets at the top level, one level down, and in token headers', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ level: 'info', region: 'r', destination }).child({ component: 'test' });
    const s1 = '11111111-1111-1111-1111-111111111111';
    const s2 = '22222222-2222-2222-2222-222222222222';
    const s3 = '33333333-3333-3333-3333-333333333333';
    const s4 = '44444444-4444-4444-4444-444444444444';
    log.info({ SecretID: s1 }, 'top');
    log.info({ token: { AccessorID: 'a', SecretID: s2 } }, 'nested');
    log.info({ req: { headers: { 'x-nomad-token': s3, authorization: `Bearer ${s4}` } } }, 'headers');
    log.info({ replicationToken: s1, encryptionKey: s2 }, 'config');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(lines).toHaveLength(4);
    for (const s of [s1, s2, s3, s4]) expect(text).not.toContain(s);
    expect(text.match(/\[Redacted\]/g)?.length).toBeGreaterThanOrEqual(6);
    expect(JSON.parse(lines[0]!)).toMatchObject({ region: 'r', component: 'test', SecretID: '[Redacted]', msg: 'top' });
  });
});
