import { createHash } from 'node:crypto';
import type { CommitEntry } from './commit-entry.js';
import { ExpiryIndex, expiryKey } from './expiry-index.js';
import { isChildOf } from './object-shape.js';
import type { ReadView } from './read-view.js';
import { SortedTokens } from './sorted-tokens.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, TableName } from './types.js';

function byCreate(a: ACLToken, b: ACLToken): number {
  if (a.CreateIndex !== b.CreateIndex) return a.CreateIndex - b.CreateIndex;
  return a.AccessorID < b.AccessorID ? -1 : a.AccessorID > b.AccessorID ? 1 : 0;
}

function byAccessor(a: ACLToken, b: ACLToken): number {
  return a.AccessorID < b.AccessorID ? -1 : a.AccessorID > b.AccessorID ? 1 : 0;
}

/**
 * The committed state, entirely in memory: objects, secondary indexes and
 * meta. Only changed by `applyEntry` after the matching LevelDB batch is
 * durable (and by the loader on open), so readers never see an
 * unacknowledged write. Sorted listings and the global digest are cached and
 * rebuilt lazily after a change.
 */
export class MemoryState implements ReadView {
  index = 0;
  bootstrapIndex = 0;
  replicationCursor = 0;
  readonly tableIndexes: Record<TableName, number> = {
    acl_token: 0,
    acl_policy: 0,
    acl_role: 0,
    acl_auth_method: 0,
    acl_binding_rule: 0,
  };
  readonly tokens = new Map<string, ACLToken>();
  /** SecretID → token: token resolution is one Map lookup. */
  readonly secrets = new Map<string, ACLToken>();
  readonly policies = new Map<string, ACLPolicy>();
  /** Policy name → accessors of the tokens naming it. */
  readonly policyTokens = new Map<string, Set<string>>();
  readonly expiry = new ExpiryIndex();
  readonly roles = new Map<string, ACLRole>();
  /** Role name → ID (names are unique). */
  readonly roleNames = new Map<string, string>();
  /** Auth methods by Name. */
  readonly authMethods = new Map<string, ACLAuthMethod>();
  /** Binding rules by ID. */
  readonly bindingRules = new Map<string, ACLBindingRule>();
  /** Parent AccessorID → accessors of its non-orphan children (revocation walks this). */
  readonly children = new Map<string, Set<string>>();

  readonly #tokensByCreate = new SortedTokens(byCreate);
  readonly #tokensByAccessor = new SortedTokens(byAccessor);
  #policiesByName: readonly ACLPolicy[] | undefined;
  #rolesById: readonly ACLRole[] | undefined;
  #methodsByName: readonly ACLAuthMethod[] | undefined;
  #rulesById: readonly ACLBindingRule[] | undefined;
  #digest: string | undefined;

  token(accessor: string): ACLToken | undefined {
    return this.tokens.get(accessor);
  }

  accessorBySecret(secret: string): string | undefined {
    return this.secrets.get(secret)?.AccessorID;
  }

  policy(name: string): ACLPolicy | undefined {
    return this.policies.get(name);
  }

  role(id: string): ACLRole | undefined {
    return this.roles.get(id);
  }

  roleByName(name: string): ACLRole | undefined {
    const id = this.roleNames.get(name);
    return id === undefined ? undefined : this.roles.get(id);
  }

  forEachRole(fn: (role: ACLRole) => void): void {
    for (const r of this.roles.values()) fn(r);
  }

  putRole(role: ACLRole): void {
    const prev = this.roles.get(role.ID);
    if (prev !== undefined && this.roleNames.get(prev.Name) === prev.ID) this.roleNames.delete(prev.Name);
    this.roles.set(role.ID, role);
    this.roleNames.set(role.Name, role.ID);
    this.#rolesById = undefined;
    this.#digest = undefined;
  }

  deleteRole(id: string): void {
    const prev = this.roles.get(id);
    if (prev === undefined) return;
    this.roles.delete(id);
    if (this.roleNames.get(prev.Name) === id) this.roleNames.delete(prev.Name);
    this.#rolesById = undefined;
    this.#digest = undefined;
  }

  authMethod(name: string): ACLAuthMethod | undefined {
    return this.authMethods.get(name);
  }

  forEachAuthMethod(fn: (method: ACLAuthMethod) => void): void {
    for (const m of this.authMethods.values()) fn(m);
  }

  bindingRule(id: string): ACLBindingRule | undefined {
    return this.bindingRules.get(id);
  }

  forEachBindingRule(fn: (rule: ACLBindingRule) => void): void {
    for (const r of this.bindingRules.values()) fn(r);
  }

  putAuthMethod(method: ACLAuthMethod): void {
    this.authMethods.set(method.Name, method);
    this.#methodsByName = undefined;
    this.#digest = undefined;
  }

  deleteAuthMethod(name: string): void {
    if (!this.authMethods.delete(name)) return;
    this.#methodsByName = undefined;
    this.#digest = undefined;
  }

  putBindingRule(rule: ACLBindingRule): void {
    this.bindingRules.set(rule.ID, rule);
    this.#rulesById = undefined;
    this.#digest = undefined;
  }

  deleteBindingRule(id: string): void {
    if (!this.bindingRules.delete(id)) return;
    this.#rulesById = undefined;
    this.#digest = undefined;
  }

  forEachToken(fn: (token: ACLToken) => void): void {
    for (const t of this.tokens.values()) fn(t);
  }

  childrenOf(parent: string): readonly string[] {
    const set = this.children.get(parent);
    return set === undefined ? [] : [...set];
  }

  forEachPolicy(fn: (policy: ACLPolicy) => void): void {
    for (const p of this.policies.values()) fn(p);
  }

  putToken(token: ACLToken): void {
    const prev = this.tokens.get(token.AccessorID);
    if (prev !== undefined) this.#unindexToken(prev);
    this.tokens.set(token.AccessorID, token);
    this.secrets.set(token.SecretID, token);
    for (const name of token.Policies ?? []) {
      let set = this.policyTokens.get(name);
      if (set === undefined) this.policyTokens.set(name, (set = new Set()));
      set.add(token.AccessorID);
    }
    if (token.ExpirationTime !== null) this.expiry.add(expiryKey(token.ExpirationTime), token.AccessorID);
    const parent = token.ParentAccessorID;
    if (parent !== undefined && isChildOf(token, parent)) {
      let set = this.children.get(parent);
      if (set === undefined) this.children.set(parent, (set = new Set()));
      set.add(token.AccessorID);
    }
    this.#tokensChanged(token.AccessorID, token.Global || prev?.Global === true);
  }

  deleteToken(accessor: string): void {
    const prev = this.tokens.get(accessor);
    if (prev === undefined) return;
    this.#unindexToken(prev);
    this.tokens.delete(accessor);
    this.#tokensChanged(accessor, prev.Global);
  }

  putPolicy(policy: ACLPolicy): void {
    this.policies.set(policy.Name, policy);
    this.#policiesByName = undefined;
    this.#digest = undefined;
  }

  deletePolicy(name: string): void {
    if (!this.policies.delete(name)) return;
    this.#policiesByName = undefined;
    this.#digest = undefined;
  }

  /** Makes one committed entry visible. */
  applyEntry(entry: CommitEntry): void {
    for (const op of entry.ops) {
      switch (op.type) {
        case 'put-token':
          this.putToken(op.token);
          break;
        case 'delete-token':
          this.deleteToken(op.accessor);
          break;
        case 'put-policy':
          this.putPolicy(op.policy);
          break;
        case 'delete-policy':
          this.deletePolicy(op.name);
          break;
        case 'put-role':
          this.putRole(op.role);
          break;
        case 'delete-role':
          this.deleteRole(op.id);
          break;
        case 'put-auth-method':
          this.putAuthMethod(op.method);
          break;
        case 'delete-auth-method':
          this.deleteAuthMethod(op.name);
          break;
        case 'put-binding-rule':
          this.putBindingRule(op.rule);
          break;
        case 'delete-binding-rule':
          this.deleteBindingRule(op.id);
          break;
      }
    }
    this.index = Math.max(this.index, entry.index);
    for (const t of entry.tables) this.tableIndexes[t] = entry.index;
    if (entry.bootstrapIndex !== undefined) this.bootstrapIndex = entry.bootstrapIndex;
    if (entry.replicationCursor !== undefined) this.replicationCursor = entry.replicationCursor;
  }

  #unindexToken(prev: ACLToken): void {
    if (this.secrets.get(prev.SecretID) === prev) this.secrets.delete(prev.SecretID);
    for (const name of prev.Policies ?? []) {
      const set = this.policyTokens.get(name);
      if (set === undefined) continue;
      set.delete(prev.AccessorID);
      if (set.size === 0) this.policyTokens.delete(name);
    }
    if (prev.ExpirationTime !== null) this.expiry.remove(expiryKey(prev.ExpirationTime), prev.AccessorID);
    const parent = prev.ParentAccessorID;
    if (parent !== undefined) {
      const set = this.children.get(parent);
      set?.delete(prev.AccessorID);
      if (set?.size === 0) this.children.delete(parent);
    }
  }

  #tokensChanged(accessor: string, global: boolean): void {
    this.#tokensByCreate.changed(accessor);
    this.#tokensByAccessor.changed(accessor);
    if (global) this.#digest = undefined;
  }

  /** All tokens by CreateIndex, then AccessorID (Nomad's default list order). Never changes once returned. */
  tokensByCreate(): readonly ACLToken[] {
    return this.#tokensByCreate.get(this.tokens);
  }

  /** All tokens by AccessorID (Nomad's order when listing with a prefix). Never changes once returned. */
  tokensByAccessor(): readonly ACLToken[] {
    return this.#tokensByAccessor.get(this.tokens);
  }

  policiesByName(): readonly ACLPolicy[] {
    return (this.#policiesByName ??= [...this.policies.values()].sort((a, b) =>
      a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0,
    ));
  }

  /** All roles by ID (Nomad lists roles in its ID index order). */
  rolesById(): readonly ACLRole[] {
    return (this.#rolesById ??= [...this.roles.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0)));
  }

  /** All auth methods by Name (Nomad's ID index order). */
  authMethodsByName(): readonly ACLAuthMethod[] {
    return (this.#methodsByName ??= [...this.authMethods.values()].sort((a, b) =>
      a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0,
    ));
  }

  /** All binding rules by ID. */
  bindingRulesById(): readonly ACLBindingRule[] {
    return (this.#rulesById ??= [...this.bindingRules.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0)));
  }

  /**
   * SHA-256 (hex) over every global token's AccessorID and Hash and every
   * policy's Name and Hash and every role's ID and Hash (and every auth method's Name and binding rule's ID with their Hash), each sorted by key, with separators so no two
   * different sets can encode alike. Region indexes are left out, so an
   * authoritative region and an in-sync follower compute the same value.
   */
  globalDigest(): string {
    if (this.#digest !== undefined) return this.#digest;
    const h = createHash('sha256');
    for (const t of this.tokensByAccessor()) {
      if (t.Global) h.update(`t\u0000${t.AccessorID}\u0000${t.Hash}\n`);
    }
    for (const p of this.policiesByName()) h.update(`p\u0000${p.Name}\u0000${p.Hash}\n`);
    for (const r of this.rolesById()) h.update(`r\u0000${r.ID}\u0000${r.Hash}\n`);
    for (const m of this.authMethodsByName()) h.update(`a\u0000${m.Name}\u0000${m.Hash}\n`);
    for (const b of this.bindingRulesById()) h.update(`b\u0000${b.ID}\u0000${b.Hash}\n`);
    return (this.#digest = h.digest('hex'));
  }
}
