import { describe, expect, it } from 'vitest';
import { checkAuthMethodConfig, secretIndexKey, type ACLAuthMethod } from './index.js';
import { freshStore, policy, token } from '../test/helpers.js';

describe('planMutation reads (the guards of an external region log)', () => {
  it('records what a token create read: its accessor and SecretID absent, and its parent as seen', async () => {
    const { store } = await freshStore();
    const parent = token();
    await store.apply({ type: 'token-upsert', tokens: [parent], mode: 'create' });
    const seen = store.tokenByAccessor(parent.AccessorID)!;
    const child = token({ ParentAccessorID: parent.AccessorID });
    const { entry, reads } = store.planMutation({ type: 'token-upsert', tokens: [child], mode: 'create' });
    expect(entry.ops).toHaveLength(1);
    expect(reads.tokens.has(child.AccessorID)).toBe(true);
    expect(reads.tokens.get(child.AccessorID)).toBeUndefined();
    expect(reads.secrets.has(secretIndexKey(child.SecretID))).toBe(true);
    expect(reads.secrets.get(secretIndexKey(child.SecretID))).toBeUndefined();
    expect(reads.tokens.get(parent.AccessorID)?.ModifyIndex).toBe(seen.ModifyIndex);
    // Planning writes nothing.
    expect(store.tokenByAccessor(child.AccessorID)).toBeUndefined();
  });

  it('does not record reads answered by a write earlier in the same plan', async () => {
    const { store } = await freshStore();
    const first = token();
    const second = token({ ParentAccessorID: first.AccessorID });
    const { reads } = store.planMutation({ type: 'token-upsert', tokens: [first, second], mode: 'create' });
    // The parent lookup of the second token saw the staged first token: the
    // only read of `first` is its own absence check, before it was staged.
    expect(reads.tokens.get(first.AccessorID)).toBeUndefined();
    expect([...reads.tokens.keys()].sort()).toEqual([first.AccessorID, second.AccessorID].sort());
  });

  it('records every token a tree revocation deletes, descendants included, with the value seen', async () => {
    const { store } = await freshStore();
    const root = token();
    const child = token({ ParentAccessorID: root.AccessorID });
    await store.apply({ type: 'token-upsert', tokens: [root], mode: 'create' });
    await store.apply({ type: 'token-upsert', tokens: [child], mode: 'create' });
    const { entry, reads } = store.planMutation({ type: 'token-delete', accessors: [root.AccessorID] });
    expect(entry.ops.map((o) => o.type)).toEqual(['delete-token', 'delete-token']);
    expect(reads.tokens.get(root.AccessorID)?.SecretID).toBe(root.SecretID);
    expect(reads.tokens.get(child.AccessorID)?.SecretID).toBe(child.SecretID);
  });

  it("records a role's linked policies, and the auth method table's index when a default method scans it", async () => {
    const { store } = await freshStore();
    await store.apply({ type: 'policy-upsert', policies: [policy('p')] });
    const p = store.policy('p')!;
    const role = { ID: 'r1', Name: 'ops', Description: '', Policies: [{ Name: 'p' }], Hash: 'h', CreateIndex: 0, ModifyIndex: 0 };
    const planned = store.planMutation({ type: 'role-upsert', roles: [role], mode: 'create' });
    expect(planned.reads.policies.get('p')?.ModifyIndex).toBe(p.ModifyIndex);
    expect(planned.reads.roleNames.has('ops')).toBe(true);
    expect(planned.reads.scannedTables.size).toBe(0);

    const method: ACLAuthMethod = {
      Name: 'sso',
      Type: 'OIDC',
      TokenLocality: 'global',
      MaxTokenTTL: 3_600_000_000_000,
      TokenNameFormat: '${auth_method_type}-${auth_method_name}',
      DisplayName: '',
      Default: true,
      Config: checkAuthMethodConfig({ OIDCDiscoveryURL: 'https://idp.example', OIDCClientID: 'c', OIDCClientSecret: 's', ClaimMappings: {} }, 'Config'),
      Hash: 'h',
      CreateTime: '2026-01-01T00:00:00.000Z',
      ModifyTime: '2026-01-01T00:00:00.000Z',
      CreateIndex: 0,
      ModifyIndex: 0,
    };
    const def = store.planMutation({ type: 'auth-method-upsert', methods: [method], mode: 'create' });
    expect(def.reads.scannedTables.get('acl_auth_method')).toBe(store.tableIndex('acl_auth_method'));
    expect(def.reads.authMethods.has('sso')).toBe(true);
  });

  it('refuses as the planner does, whatever it read', async () => {
    const { store } = await freshStore();
    expect(() => store.planMutation({ type: 'token-delete', accessors: ['nope'] })).toThrow('Cannot delete nonexistent tokens: nope');
  });
});
