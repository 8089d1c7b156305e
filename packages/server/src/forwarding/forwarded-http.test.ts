import { describe, expect, it } from 'vitest';
import { httpStatusFor } from '../errors.js';
import { isForwardedResponseHeader, stripRegionParam, writeRequestFor, writeResultOf } from './forwarded-http.js';

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, headers, body: Buffer.from(body) });

describe('writeRequestFor', () => {
  it('maps every ACL write to the HTTP request that makes it elsewhere', () => {
    const r = (w: Parameters<typeof writeRequestFor>[0]) => {
      const x = writeRequestFor(w);
      return [x.method, x.path, x.body.toString(), x.idempotent];
    };
    expect(r({ op: 'bootstrap', body: undefined })).toEqual(['POST', '/v1/acl/bootstrap', '', false]);
    expect(r({ op: 'bootstrap', body: { BootstrapSecret: 'x' } })).toEqual(['POST', '/v1/acl/bootstrap', '{"BootstrapSecret":"x"}', false]);
    expect(r({ op: 'token-upsert', body: { Global: true } })).toEqual(['POST', '/v1/acl/token', '{"Global":true}', false]);
    expect(r({ op: 'token-upsert', body: {}, accessor: 'a/b' })).toEqual(['POST', '/v1/acl/token/a%2Fb', '{}', true]);
    expect(r({ op: 'token-delete', accessor: 'acc' })).toEqual(['DELETE', '/v1/acl/token/acc', '', false]);
    expect(r({ op: 'policy-upsert', name: 'ops', body: { Name: 'ops' } })).toEqual(['POST', '/v1/acl/policy/ops', '{"Name":"ops"}', true]);
    expect(r({ op: 'policy-delete', name: 'ops' })).toEqual(['DELETE', '/v1/acl/policy/ops', '', true]);
  });
});

describe('writeResultOf', () => {
  it('reads the index from X-Nomad-Index and the JSON body as sent', () => {
    expect(writeResultOf(res(200, '{"AccessorID":"a"}', { 'x-nomad-index': '42' }))).toEqual({ index: 42, body: { AccessorID: 'a' } });
    expect(writeResultOf(res(200, '', { 'x-nomad-index': '7' }))).toEqual({ index: 7 });
  });

  it('turns an error answer into an error the local handler answers with the same status and text', () => {
    for (const [status, text] of [
      [400, 'ACL policy name does not match request path'],
      [403, 'Permission denied'],
      [404, 'ACL token not found'],
      [503, 'authoritative region "global" unreachable'],
      [504, 'timed out'],
    ] as const) {
      let caught: unknown;
      try {
        writeResultOf(res(status, text));
      } catch (err) {
        caught = err;
      }
      expect(httpStatusFor(caught), String(status)).toBe(status);
      expect((caught as Error).message).toBe(text);
    }
    expect(() => writeResultOf(res(500, 'Internal error'))).toThrow(/HTTP 500/);
  });

  it('keeps the stable code the other region answered with (X-Tollgate-Error-Code), with its status', () => {
    const caught = (r: ReturnType<typeof res>): unknown => {
      try {
        writeResultOf(r);
      } catch (err) {
        return err;
      }
      throw new Error('no error');
    };
    const bootstrap = caught(res(400, 'ACL bootstrap already done (reset index: 4)', { 'x-tollgate-error-code': 'TOLLGATE_BOOTSTRAP' }));
    expect(bootstrap).toMatchObject({ code: 'TOLLGATE_BOOTSTRAP', message: 'ACL bootstrap already done (reset index: 4)' });
    expect(httpStatusFor(bootstrap)).toBe(400);
    const conflict = caught(res(409, 'AccessorID in use', { 'x-tollgate-error-code': 'TOLLGATE_CONFLICT' }));
    expect(conflict).toMatchObject({ code: 'TOLLGATE_CONFLICT' });
    expect(httpStatusFor(conflict)).toBe(409);
    // A code that does not fit the status, or is not catalogued, is not trusted: the status decides.
    expect(caught(res(400, 'x', { 'x-tollgate-error-code': 'TOLLGATE_CONFLICT' }))).toMatchObject({ code: 'TOLLGATE_BAD_REQUEST' });
    expect(caught(res(400, 'x', { 'x-tollgate-error-code': 'TOLLGATE_MADE_UP' }))).toMatchObject({ code: 'TOLLGATE_BAD_REQUEST' });
  });

  it('refuses a success without a usable index or with a non-JSON body', () => {
    expect(() => writeResultOf(res(200, '{}'))).toThrow(/X-Nomad-Index/);
    expect(() => writeResultOf(res(200, 'nope', { 'x-nomad-index': '3' }))).toThrow(/not JSON/);
  });
});

describe('stripRegionParam', () => {
  it('removes region and keeps every other parameter', () => {
    expect(stripRegionParam('/v1/acl/tokens?region=eu&prefix=ab&index=3')).toBe('/v1/acl/tokens?prefix=ab&index=3');
    expect(stripRegionParam('/v1/acl/tokens?region=eu')).toBe('/v1/acl/tokens');
    expect(stripRegionParam('/v1/acl/tokens')).toBe('/v1/acl/tokens');
  });
});

describe('isForwardedResponseHeader', () => {
  it("passes Nomad's and Tollgate's headers and the content type, nothing else", () => {
    expect(['X-Nomad-Index', 'x-nomad-nexttoken', 'X-Tollgate-Min-Index', 'content-type'].every(isForwardedResponseHeader)).toBe(true);
    expect(['set-cookie', 'content-length', 'connection'].some(isForwardedResponseHeader)).toBe(false);
  });
});
