import { describe, expect, it } from 'vitest';
import { aclCacheKey, compileACL, parsePolicy } from './index.js';

/** Policies brought in by ACL roles: reasons name the role; cache keys tell them apart. */

const app = parsePolicy('namespace "default" { policy = "write" }');
const deny = parsePolicy('namespace "default" { policy = "deny" }');
const ops = parsePolicy('operator { policy = "read" }');
const submit = { Resource: 'namespace', Name: 'default', Capability: 'submit-job' } as const;

describe('policies from roles', () => {
  it('names the role in allow and deny reasons, and keeps policyNames plain', () => {
    const acl = compileACL([{ name: 'app', policy: app, role: 'deployers' }, { name: 'ops', policy: ops, role: 'sre' }]);
    expect(acl.authorize(submit)).toEqual({ Allowed: true, Reason: 'allowed by policy "app" (role "deployers") namespace "default"' });
    expect(acl.authorize({ Resource: 'operator', Capability: 'read' }).Reason).toBe('allowed by policy "ops" (role "sre") operator "read"');
    expect(acl.policyNames).toEqual(['app', 'ops']);
    const denied = compileACL([{ name: 'app', policy: app }, { name: 'lock', policy: deny, role: 'frozen' }]);
    expect(denied.authorize(submit)).toEqual({ Allowed: false, Reason: 'denied by policy "lock" (role "frozen") namespace "default" (deny)' });
  });

  it('names no role for a policy held directly', () => {
    expect(compileACL([{ name: 'app', policy: app }]).authorize(submit).Reason).toBe('allowed by policy "app" namespace "default"');
  });

  it('refuses a role name that is not a string or a name holding NUL', () => {
    expect(() => compileACL([{ name: 'app', policy: app, role: 7 as unknown as string }])).toThrow('policies[0].role must be a string');
    expect(() => compileACL([{ name: 'app', policy: app, role: 'a\u0000b' }])).toThrow('names cannot contain NUL');
  });

  it('gives the same policies through different roles different cache keys', () => {
    const direct = aclCacheKey([{ name: 'app', modifyIndex: 3 }]);
    const viaA = aclCacheKey([{ name: 'app', modifyIndex: 3, role: 'a' }]);
    const viaB = aclCacheKey([{ name: 'app', modifyIndex: 3, role: 'b' }]);
    expect(new Set([direct, viaA, viaB]).size).toBe(3);
    expect(viaA).toBe('app@3(a)');
  });
});
