import { readFileSync } from 'node:fs';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, TollgateError, httpStatusFor } from './errors.js';
import type { ErrorCode } from './errors.js';
import { toGrpcError } from './grpc/grpc-status.js';

/** Every row of the README's "Errors" table, one entry per code it names. */
function readmeErrorTable(): Map<string, { http: number; grpc: string }> {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Errors\n'));
  const body = section.slice(0, section.indexOf('\n## ', 1));
  const rows = new Map<string, { http: number; grpc: string }>();
  for (const line of body.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | codes | HTTP | gRPC | meaning |  → ['', codes, http, grpc, meaning, '']
    if (cells.length < 6 || !cells[1]!.startsWith('`TOLLGATE_')) continue;
    for (const m of cells[1]!.matchAll(/`(TOLLGATE_[A-Z_]+)`/g)) {
      expect(rows.has(m[1]!), `${m[1]} listed twice`).toBe(false);
      rows.set(m[1]!, { http: Number(cells[2]), grpc: cells[3]! });
    }
  }
  return rows;
}

describe('the error catalogue', () => {
  it('is listed exactly, with both statuses, in the README error table', () => {
    const table = readmeErrorTable();
    expect(table.size).toBeGreaterThan(10);
    const fromCatalogue = Object.fromEntries(
      Object.entries(ERROR_CATALOGUE).map(([code, s]) => [code, { http: s.http, grpc: GrpcStatus[s.grpc] }]),
    );
    expect(Object.fromEntries(table)).toEqual(fromCatalogue);
  });

  it('maps every code to its HTTP status and its gRPC status', () => {
    for (const [code, s] of Object.entries(ERROR_CATALOGUE) as Array<[ErrorCode, (typeof ERROR_CATALOGUE)[ErrorCode]]>) {
      const err = new TollgateError(code, 'details');
      expect(httpStatusFor(err), code).toBe(s.http);
      const g = toGrpcError(err);
      expect(g.code, code).toBe(s.grpc);
      // INTERNAL hides the message: it may describe internals.
      expect(g.details, code).toBe(s.grpc === GrpcStatus.INTERNAL ? 'internal error' : 'details');
    }
  });

  it('answers 500 / INTERNAL for an error without a Tollgate code, and keeps a framework 4xx', () => {
    expect(httpStatusFor(new Error('boom'))).toBe(500);
    expect(toGrpcError(new Error('boom')).code).toBe(GrpcStatus.INTERNAL);
    expect(httpStatusFor(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))).toBe(413);
    expect(httpStatusFor(Object.assign(new Error('x'), { code: 'TOLLGATE_NO_SUCH_CODE' }))).toBe(500);
  });

  it('refuses a misspelt code at compile time', () => {
    // @ts-expect-error — not a catalogued code (typecheck fails if this compiles)
    const err = new TollgateError('TOLLGATE_BAD_REQUST', 'x');
    expect(httpStatusFor(err)).toBe(500);
  });
});
