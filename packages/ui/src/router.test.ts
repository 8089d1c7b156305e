import { describe, expect, it } from 'vitest';
import { matchRoute } from './router';

describe('matchRoute', () => {
  it('matches fixed segments and decodes parameters', () => {
    expect(matchRoute('/tokens', '/tokens')).toEqual({});
    expect(matchRoute('/tokens/:id', '/tokens/abc')).toEqual({ id: 'abc' });
    expect(matchRoute('/policies/:name/edit', '/policies/a%2Fb/edit')).toEqual({ name: 'a/b' });
  });

  it('refuses other shapes, empty parameters and bad escapes', () => {
    expect(matchRoute('/tokens/:id', '/tokens')).toBeUndefined();
    expect(matchRoute('/tokens/:id', '/tokens/')).toBeUndefined();
    expect(matchRoute('/tokens/:id', '/tokens/a/edit')).toBeUndefined();
    expect(matchRoute('/tokens/:id', '/policies/a')).toBeUndefined();
    expect(matchRoute('/tokens/:id', '/tokens/%E0%A4%A')).toBeUndefined();
  });
});
