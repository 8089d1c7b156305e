import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import type { ACLAuthMethod, ACLBindingRule } from './index.js';
import { checkAuthMethodConfig } from './object-shape.js';
import { freshStore, openStore } from '../test/helpers.js';

/** Auth methods and binding rules in the state store: rules, sealed secret, persistence, replication, MACs. */

const SECRET = 'oidc-client-secret-0123456789';

function method(name: string, overrides: Partial<ACLAuthMethod> = {}): ACLAuthMethod {
  return {
    Name: name,
    Type: 'OIDC',
    TokenLocality: 'global',
    MaxTokenTTL: 3_600_000_000_000,
    TokenNameFormat: '${auth_method_type}-${auth_method_name}',
    DisplayName: '',
    Default: false,
    Config: checkAuthMethodConfig({ OIDCDiscoveryURL: 'https://idp.example', OIDCClientID: 'c', OIDCClientSecret: SECRET, ClaimMappings: { b: 'x', a: 'y' } }, 'Config'),
    Hash: `hash-of-${name}`,
    CreateTime: '2026-01-01T00:00:00.000Z',
    ModifyTime: '2026-01-01T00:00:00.000Z',
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}

function rule(authMethod: string, overrides: Partial<ACLBindingRule> = {}): ACLBindingRule {
  return {
    ID: randomUUID(),
    Description: '',
    AuthMethod: authMethod,
    Selector: '',
    BindType: 'management',
    BindName: '',
    Hash: 'h',
    CreateTime: '2026-01-01T00:00:00.000Z',
    ModifyTime: '2026-01-01T00:00:00.000Z',
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}

const empty = { upsertTokens: [], deleteTokens: [], upsertPolicies: [], deletePolicies: [] };

/** Every byte LevelDB wrote (tables and log), as latin1 text to search. */
async function diskText(dir: string): Promise<string> {
  let text = '';
  for (const f of await readdir(dir)) text += (await readFile(join(dir, f))).toString('latin1');
  return text;
}

describe('auth method and binding rule writes', () => {
  it('stores both, moves their tables, the feed and the digest, keeps the client secret sealed on disk and open after a reopen', async () => {
    const { store, dir } = await freshStore();
    const digest0 = store.globalDigest();
    const { index } = await store.apply({ type: 'auth-method-upsert', methods: [method('sso')], mode: 'create' });
    expect(store.authMethod('sso')).toMatchObject({ Name: 'sso', CreateIndex: index, ModifyIndex: index });
    expect(store.tableIndex('acl_auth_method')).toBe(index);
    expect(store.changesSince(index - 1)).toEqual([{ index, table: 'acl_auth_method', op: 'upsert', key: 'sso', global: true }]);
    const r = rule('sso');
    const ruled = await store.apply({ type: 'binding-rule-upsert', rules: [r], mode: 'create' });
    expect(store.bindingRule(r.ID)).toMatchObject({ ID: r.ID, CreateIndex: ruled.index });
    expect(store.tableIndex('acl_binding_rule')).toBe(ruled.index);
    expect(store.globalSnapshot()).toMatchObject({ authMethods: [{ Name: 'sso' }], bindingRules: [{ ID: r.ID }] });
    const digest1 = store.globalDigest();
    expect(digest1).not.toBe(digest0);

    const saved = store.authMethod('sso');
    await store.close();
    expect(await diskText(dir)).not.toContain(SECRET);
    const reopened = await openStore(dir);
    expect(reopened.authMethod('sso')).toEqual(saved);
    expect(reopened.authMethod('sso')?.Config.OIDCClientSecret).toBe(SECRET);
    expect(reopened.bindingRule(r.ID)?.AuthMethod).toBe('sso');
    expect(reopened.globalDigest()).toBe(digest1);

    // Deleting the method leaves its rules (as Nomad); they match nothing without it.
    await reopened.apply({ type: 'auth-method-delete', names: ['sso'] });
    expect(reopened.authMethod('sso')).toBeUndefined();
    expect(reopened.bindingRule(r.ID)).toBeDefined();
    await reopened.apply({ type: 'binding-rule-delete', ids: [r.ID] });
    expect(reopened.globalDigest()).toBe(digest0);
    await reopened.close();
  });

  it('refuses a second default of one type (also when queued in one group commit), a rule for a missing method and unknown deletes', async () => {
    const { store } = await freshStore();
    const [first, second] = await Promise.allSettled([
      store.apply({ type: 'auth-method-upsert', methods: [method('a', { Default: true })], mode: 'create' }),
      store.apply({ type: 'auth-method-upsert', methods: [method('b', { Default: true })], mode: 'create' }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'TOLLGATE_INVALID_ARGUMENT', message: 'default method already exists: a' } });
    await store.apply({ type: 'auth-method-upsert', methods: [method('j', { Type: 'JWT', Default: true })], mode: 'create' });
    const before = store.index();
    await expect(store.apply({ type: 'binding-rule-upsert', rules: [rule('nope')], mode: 'create' })).rejects.toMatchObject({
      message: 'ACL auth method nope not found',
    });
    await expect(store.apply({ type: 'auth-method-delete', names: ['a', 'ghost'] })).rejects.toMatchObject({
      code: 'TOLLGATE_NOT_FOUND',
      message: 'ACL auth method not found',
    });
    await expect(store.apply({ type: 'binding-rule-delete', ids: ['ghost'] })).rejects.toMatchObject({ message: 'ACL binding rule not found' });
    await expect(store.apply({ type: 'auth-method-upsert', methods: [method('x', { Config: { nope: 1 } as never, TokenLocality: 5 as never })] })).rejects.toMatchObject({
      code: 'TOLLGATE_INVALID_ARGUMENT',
    });
    expect(store.index()).toBe(before);
    await store.close();
  });
});

describe('replicated auth methods and rules', () => {
  it('applies upserts (a rule before its method is fine) and deletes, and a reset removes what the snapshot lacks', async () => {
    const { store } = await freshStore();
    const r = rule('later', { ModifyIndex: 9 });
    await store.applyReplicated({ ...empty, sourceIndex: 9, upsertBindingRules: [r] });
    await store.applyReplicated({ ...empty, sourceIndex: 10, upsertAuthMethods: [method('later', { ModifyIndex: 10 })] });
    expect(store.authMethod('later')).toMatchObject({ SourceIndex: 10 });
    expect(store.authMethod('later')?.Config.OIDCClientSecret).toBe(SECRET);
    expect(store.bindingRule(r.ID)).toMatchObject({ SourceIndex: 9 });
    await store.applyReplicated({ ...empty, sourceIndex: 11, deleteBindingRules: [r.ID] });
    expect(store.bindingRule(r.ID)).toBeUndefined();
    await store.applyReplicated({ ...empty, sourceIndex: 20, upsertAuthMethods: [method('kept', { ModifyIndex: 20 })], reset: true });
    expect(store.listAuthMethods().map((m) => m.Name)).toEqual(['kept']);
    await store.close();
  });
});

describe('external (HA) entries and snapshots', () => {
  it('applies committed puts and deletes and syncs from a snapshot', async () => {
    const { store } = await freshStore();
    const m = method('m', { CreateIndex: 1, ModifyIndex: 1 });
    await store.applyCommitted([{ index: 1, ops: [{ type: 'put-auth-method', method: m }], tables: ['acl_auth_method'] }]);
    expect(store.authMethod('m')?.Config.OIDCClientSecret).toBe(SECRET);
    const r = rule('m', { CreateIndex: 2, ModifyIndex: 2 });
    await store.applyCommitted([{ index: 2, ops: [{ type: 'put-binding-rule', rule: r }], tables: ['acl_binding_rule'] }]);
    await store.applyCommitted([{ index: 3, ops: [{ type: 'delete-auth-method', name: 'm' }], tables: ['acl_auth_method'] }]);
    expect(store.authMethod('m')).toBeUndefined();
    const s = method('s', { CreateIndex: 4, ModifyIndex: 4 });
    await store.applySnapshot({ index: 5, tokens: [], policies: [], authMethods: [s], bindingRules: [], bootstrapIndex: 0, replicationCursor: 0 });
    expect(store.listAuthMethods().map((x) => x.Name)).toEqual(['s']);
    expect(store.listBindingRules()).toEqual([]);
    await store.close();
  });
});

describe('authenticated at rest', () => {
  it('refuses a method whose fields or sealed secret were edited on disk, and a rule whose bind type was', async () => {
    const { store, dir } = await freshStore();
    await store.apply({ type: 'auth-method-upsert', methods: [method('edited'), method('swapped'), method('kept')] });
    const r = rule('kept', { BindType: 'policy', BindName: 'readonly' });
    await store.apply({ type: 'binding-rule-upsert', rules: [r] });
    await store.close();
    const db = new Level<string, Record<string, unknown>>(dir, { valueEncoding: 'json', createIfMissing: false });
    await db.open();
    const edited = await db.get('a:edited');
    expect(edited?.['SealedOIDCClientSecret']).toMatch(/^v1\./);
    expect(JSON.stringify(edited)).not.toContain(SECRET);
    await db.put('a:edited', { ...edited, TokenLocality: 'local' });
    const kept = await db.get('a:kept');
    const swapped = await db.get('a:swapped');
    await db.put('a:swapped', { ...swapped, SealedOIDCClientSecret: kept?.['SealedOIDCClientSecret'] });
    const storedRule = await db.get(`b:${r.ID}`);
    await db.put(`b:${r.ID}`, { ...storedRule, BindType: 'management', BindName: '' });
    await db.close();

    const refused: string[] = [];
    const again = await openStore(dir, { metrics: { observeRecordRefused: (table) => refused.push(table) } });
    expect(again.authMethod('edited')).toBeUndefined();
    expect(again.authMethod('swapped')).toBeUndefined();
    expect(again.authMethod('kept')?.Config.OIDCClientSecret).toBe(SECRET);
    expect(again.bindingRule(r.ID)).toBeUndefined();
    expect(refused.sort()).toEqual(['acl_auth_method', 'acl_auth_method', 'acl_binding_rule']);
    await again.close();
  });
});
