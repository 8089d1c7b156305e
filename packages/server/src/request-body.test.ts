import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.js';
import { booleanField, durationField, field, requestBody, stringField } from './request-body.js';

const BODY = requestBody({
  Name: stringField(),
  Global: booleanField(),
  TTL: durationField(),
  Links: field(Type.Array(Type.Object({ Name: Type.String() })), 'must be a list of {"Name"} links'),
  Inner: field(Type.Object({ A: stringField(), B: stringField() }), 'must be an object or null'),
  Secret: field(Type.String(), { message: 'invalid secret' }),
});

function errorOf(body: unknown): string {
  try {
    BODY.decode(body);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('requestBody', () => {
  it('returns the body typed when every field has its type; null and absent pass, unknown fields are kept', () => {
    const body = { Name: 'n', Global: null, TTL: '1h', Links: [{ Name: 'p', Extra: 1 }], Inner: { A: 'x' }, Other: [1] };
    expect(BODY.decode(body)).toBe(body);
    expect(BODY.decode({})).toEqual({});
  });

  it.each([
    [[1], 'Request decode failed: expected a JSON object'],
    [null, 'Request decode failed: expected a JSON object'],
    [{ Name: 5 }, 'Request decode failed: Name must be a string'],
    [{ Global: 'yes' }, 'Request decode failed: Global must be true or false'],
    [{ TTL: true }, 'Request decode failed: TTL must be a duration string or nanoseconds'],
    [{ Links: [{ Name: null }] }, 'Request decode failed: Links must be a list of {"Name"} links'],
    [{ Links: [['x']] }, 'Request decode failed: Links must be a list of {"Name"} links'],
    [{ Inner: 'x' }, 'Request decode failed: Inner must be an object or null'],
    [{ Inner: { A: 'ok', B: 1 } }, 'Request decode failed: Inner.B must be a string'],
    [{ Secret: 7 }, 'invalid secret'],
    // The first bad field in declaration order wins.
    [{ Secret: 7, Global: 1, Name: 2 }, 'Request decode failed: Name must be a string'],
  ])('%j → %s', (body, message) => {
    expect(errorOf(body)).toBe(message);
  });

  it('answers a value check past the type with the field’s declared text', () => {
    expect(BODY.fieldError('Name')).toBeInstanceOf(BadRequestError);
    expect(BODY.fieldError('Name').message).toBe('Request decode failed: Name must be a string');
    expect(BODY.fieldError('Secret').message).toBe('invalid secret');
  });

  it('uses the body’s own text for a body that is not an object', () => {
    const hash = requestBody({ Input: stringField() }, { notObject: 'Input must be a non-empty string' });
    expect(() => hash.decode('x')).toThrow('Input must be a non-empty string');
  });
});
