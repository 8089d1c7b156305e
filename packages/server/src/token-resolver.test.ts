import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyParsePool, type PolicyParser } from '@tollgate/acl';
import { StateStore, type ACLPolicy, type ACLToken } from '@tollgate/state';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { policyHash } from './policies.js';
import { TokenResolver } from './token-resolver.js';
import { clientTokenFixture } from '@tollgate/testkit';

const KEY = randomBytes(32);
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

// One real parser thread for the file: the agent's way of parsing.
const pool = new PolicyParsePool();
afterAll(() => pool.close());

async function openStore(): Promise<StateStore> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-resolver-'));
  const s = await StateStore.open({ path: dir, secretKey: KEY });
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cleanup.push(() => s.close());
  return s;
}

function policy(name: string, rules: string): ACLPolicy {
  return { Name: name, Description: '', Rules: rules, Hash: policyHash(name, '', rules), CreateIndex: 0, ModifyIndex: 0 };
}

function client(policies: string[]): ACLToken {
  return clientTokenFixture(policies);
}

const READ_DEFAULT = 'namespace "default" { policy = "read" }';
const WRITE_DEFAULT = 'namespace "default" { policy = "write" }';

function mayWrite(resolver: TokenResolver, secret: string): boolean {
  return resolver.resolve(secret).acl.allowNamespaceOperation('default', 'submit-job');
}

describe('TokenResolver: policies parsed off the event loop', () => {
  it('uses the rules a policy write parsed, so the first check after it parses nothing', async () => {
    const store = await openStore();
    const resolver = new TokenResolver(store, { parser: pool });
    const rules = await resolver.parseForWrite(READ_DEFAULT);
    expect(rules.namespaces[0]?.policy).toBe('read');
    await store.apply({ type: 'policy-upsert', policies: [policy('app', READ_DEFAULT)] });
    const tok = client(['app']);
    await store.apply({ type: 'token-upsert', tokens: [tok] });
    expect(resolver.resolve(tok.SecretID).acl.allowNamespaceOperation('default', 'read-job')).toBe(true);
    expect(mayWrite(resolver, tok.SecretID)).toBe(false);
    expect(resolver.syncParses).toBe(0);
  });

  it('rejects invalid rules for a write with the strict parser error, and keeps nothing', async () => {
    const store = await openStore();
    const resolver = new TokenResolver(store, { parser: pool });
    await expect(resolver.parseForWrite('namespace "x" { policy = "read" bogus = 1 }')).rejects.toMatchObject({
      code: 'TOLLGATE_POLICY_INVALID',
      message: 'Invalid or duplicate policy keys: namespace "x".bogus',
    });
  });

  it('parses stored policies it is asked to prepare (start-up), and checks then parse nothing', async () => {
    const store = await openStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('a', READ_DEFAULT), policy('b', 'agent { policy = "read" }')] });
    const tok = client(['a', 'b']);
    await store.apply({ type: 'token-upsert', tokens: [tok] });
    const resolver = new TokenResolver(store, { parser: pool });
    await resolver.prepare(store.listPolicies());
    const { acl } = resolver.resolve(tok.SecretID);
    expect(acl.allowAgentRead()).toBe(true);
    expect(acl.allowNamespaceOperation('default', 'read-job')).toBe(true);
    expect(resolver.syncParses).toBe(0);
  });

  it('after a policy change it parses the new rules and compiles the cached ACLs again before any check asks', async () => {
    const store = await openStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('app', READ_DEFAULT)] });
    const tok = client(['app']);
    await store.apply({ type: 'token-upsert', tokens: [tok] });
    const resolver = new TokenResolver(store, { parser: pool });
    await resolver.prepare(store.listPolicies());
    expect(mayWrite(resolver, tok.SecretID)).toBe(false);
    const compiled = resolver.compiles;

    // A change applied as replication or an HA peer does: nothing prepared it.
    await store.apply({ type: 'policy-upsert', policies: [policy('app', WRITE_DEFAULT)] });
    await resolver.settled();
    expect(resolver.compiles).toBe(compiled + 1);
    // The check finds its ACL compiled for the new rules.
    expect(mayWrite(resolver, tok.SecretID)).toBe(true);
    expect(resolver.compiles).toBe(compiled + 1);
    expect(resolver.syncParses).toBe(0);
  });

  it('leaves cached ACLs that do not use the changed policy alone', async () => {
    const store = await openStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('a', READ_DEFAULT), policy('b', 'agent { policy = "read" }')] });
    const ta = client(['a']);
    const tb = client(['b']);
    await store.apply({ type: 'token-upsert', tokens: [ta, tb] });
    const resolver = new TokenResolver(store, { parser: pool });
    await resolver.prepare(store.listPolicies());
    const before = resolver.resolve(tb.SecretID).acl;
    resolver.resolve(ta.SecretID);
    const compiled = resolver.compiles;
    await store.apply({ type: 'policy-upsert', policies: [policy('a', WRITE_DEFAULT)] });
    await resolver.settled();
    expect(resolver.compiles).toBe(compiled + 1);
    expect(resolver.resolve(tb.SecretID).acl).toBe(before);
    expect(mayWrite(resolver, ta.SecretID)).toBe(true);
  });

  it('is never stale: a check that comes before the background parse parses in-process and sees the change', async () => {
    const store = await openStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('app', READ_DEFAULT)] });
    const tok = client(['app']);
    await store.apply({ type: 'token-upsert', tokens: [tok] });
    // A parser that never answers: the background parse cannot finish.
    const stuck: PolicyParser = { parse: () => new Promise(() => undefined) };
    const resolver = new TokenResolver(store, { parser: stuck });
    expect(mayWrite(resolver, tok.SecretID)).toBe(false);
    await store.apply({ type: 'policy-upsert', policies: [policy('app', WRITE_DEFAULT)] });
    expect(mayWrite(resolver, tok.SecretID)).toBe(true);
    expect(resolver.syncParses).toBe(2);
  });

  it('prepare skips rules that do not parse and a busy parser, leaving them to the check', async () => {
    const store = await openStore();
    const busy: PolicyParser = { parse: () => Promise.reject(Object.assign(new Error('busy'), { code: 'TOLLGATE_POLICY_PARSER_BUSY' })) };
    const resolver = new TokenResolver(store, { parser: busy });
    await expect(resolver.prepare([policy('x', READ_DEFAULT), policy('y', 'not { hcl')])).resolves.toBeUndefined();
  });
});
