import { createHash } from 'node:crypto';
import type { CommitEntry } from './commit-entry.js';
import { ExpiryIndex, expiryKey } from './expiry-index.js';
import { isChildOf } from './object-shape.js';
import type { ReadView } from './read-view.js';
import { secretIndexKey } from './secret-box.js';
import { TokenRecord } from './token-record.js';
import { SortedTokens } from './sorted-tokens.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, TableName } from './types.js';

function byCreate(a: ACLToken, b: ACLToken): number {
  if (a.CreateIndex !== b.CreateIndex) return a.CreateIndex - b.CreateIndex;
  return a.AccessorID < b.AccessorID ? -1 : a.AccessorID > b.AccessorID ? 1 : 0;
}

function byAccessor(a: ACLToken, b: ACLToken): number {
  return a.AccessorID < b.AccessorID ? -1 : a.AccessorID > b.AccessorID ? 1 : 0;
}

/** Secrets resolved lately → their token: the resolution path skips hashing for them. */
const RECENT_SECRETS = 4096;

/**
 * The committed state, entirely in memory: objects, secondary indexes and
 * meta. Only changed by `applyEntry` after the matching LevelDB batch is
 * durable (and by the loader on open), so readers never see an
 * unacknowledged write. Sorted listings and the global digest are cached and
 * rebuilt lazily after a change.
 *
 * Tokens are `TokenRecord`s, found by the SHA-256 of their secret. Those
 * loaded from disk are pending until settled (parsed and authenticated, see
 * `TokenRecord`): a point read (`token`, `tokenBySecret`, `accessorBySecret`)
 * settles its token, a bulk read (`forEachToken`, the sorted lists, the
 * digest) settles all of them first, and a token whose record fails is
 * dropped — reported through `onRefused` — so it is unknown from then on,
 * exactly as if the loader had refused it. A pending token is in `tokens`
 * and `secrets` only: the policy and expiry indexes take it once settled.
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
  readonly tokens = new Map<string, TokenRecord>();
  /** Hex SHA-256 of the SecretID → token. */
  readonly secrets = new Map<string, TokenRecord>();
  /** Bounded: secret → token, checked against `tokens` on every hit. */
  readonly #recent = new Map<string, TokenRecord>();
  /** Loaded tokens not settled yet. */
  #pending = 0;
  /** Where `settleSome` goes on. */
  #sweep: Iterator<TokenRecord> | undefined;
  /** A loaded token whose record was refused was dropped (memory only: the record stays on disk). */
  onRefused: (accessor: string, why: string) => void = () => {};
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
    const t = this.tokens.get(accessor);
    return t === undefined ? undefined : this.checked(t);
  }

  accessorBySecret(secret: string): string | undefined {
    return this.tokenBySecret(secret)?.AccessorID;
  }

  accessorBySecretHash(secretHash: string): string | undefined {
    const t = this.secrets.get(secretHash);
    return t === undefined ? undefined : this.checked(t)?.AccessorID;
  }

  /** Token resolution: the token whose SecretID is `secret`, verified, or `undefined`. */
  tokenBySecret(secret: string): TokenRecord | undefined {
    const recent = this.#recent.get(secret);
    // Still the stored version of that token (not deleted or replaced since)?
    if (recent !== undefined && this.tokens.get(recent.AccessorID) === recent) return recent;
    const t = this.secrets.get(secretIndexKey(secret));
    if (t === undefined || this.checked(t) === undefined) return undefined;
    if (this.#recent.size >= RECENT_SECRETS) this.#recent.delete(this.#recent.keys().next().value!);
    this.#recent.set(secret, t);
    return t;
  }

  /** Loaded tokens still pending (not settled). */
  get pendingTokens(): number {
    return this.#pending;
  }

  /** `t` once settled, or `undefined` (and `t` dropped) when its record is refused. */
  checked(t: TokenRecord): TokenRecord | undefined {
    if (t.settled) return t;
    // A version replaced or deleted since is no longer counted or indexed.
    const current = this.tokens.get(t.accessor) === t;
    const ok = t.settle();
    if (!current) return ok ? t : undefined;
    this.#pending--;
    if (ok) {
      this.#indexSettled(t);
      return t;
    }
    this.tokens.delete(t.accessor);
    if (this.secrets.get(t.secretHash) === t) this.secrets.delete(t.secretHash);
    this.#tokensChanged(t.accessor, true);
    this.onRefused(t.accessor, t.refusedWhy ?? 'refused');
    return undefined;
  }

  /**
   * Settles pending tokens until `deadline` (a `performance.now()` time);
   * true when none is left. Tokens added later are settled already.
   */
  settleSome(deadline: number): boolean {
    this.#sweep ??= this.tokens.values();
    let n = 0;
    while (this.#pending > 0) {
      const next = this.#sweep.next();
      if (next.done === true) break;
      this.checked(next.value);
      if (++n % 256 === 0 && performance.now() >= deadline) return false;
    }
    this.#sweep = undefined;
    return this.#pending === 0;
  }

  /** Settles every pending token now (before a read that needs them all). */
  settleAll(): void {
    if (this.#pending > 0) this.settleSome(Infinity);
  }

  /**
   * Adds a token read from disk while loading (pending or settled). False
   * when another loaded token claims the same secret hash: the caller
   * settles both and keeps the authentic one.
   */
  loadToken(t: TokenRecord): boolean {
    if (this.secrets.has(t.secretHash)) return false;
    this.tokens.set(t.accessor, t);
    this.secrets.set(t.secretHash, t);
    if (t.settled) this.#indexSettled(t);
    else this.#pending++;
    return true;
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
    this.settleAll();
    for (const t of this.tokens.values()) fn(t);
  }

  childrenOf(parent: string): readonly string[] {
    // A pending token's parent is known once it is settled: a revocation
    // right after start-up settles the rest first (as lists do).
    this.settleAll();
    const set = this.children.get(parent);
    return set === undefined ? [] : [...set];
  }

  forEachPolicy(fn: (policy: ACLPolicy) => void): void {
    for (const p of this.policies.values()) fn(p);
  }

  putToken(token: ACLToken): void {
    const t = TokenRecord.fromToken(token);
    const prev = this.tokens.get(t.AccessorID);
    if (prev !== undefined) this.#unindexToken(prev);
    this.tokens.set(t.AccessorID, t);
    this.secrets.set(t.secretHash, t);
    this.#indexSettled(t, false);
    this.#tokensChanged(t.AccessorID, t.Global || prev?.Global === true);
  }

  /** Policy links and expiry of a settled token (`bulk`: expiry entry sorted in later, by the next read). */
  #indexSettled(t: TokenRecord, bulk = true): void {
    for (const name of t.Policies ?? []) {
      let set = this.policyTokens.get(name);
      if (set === undefined) this.policyTokens.set(name, (set = new Set()));
      set.add(t.AccessorID);
    }
    const parent = t.ParentAccessorID;
    if (parent !== undefined && isChildOf(t, parent)) {
      let set = this.children.get(parent);
      if (set === undefined) this.children.set(parent, (set = new Set()));
      set.add(t.AccessorID);
    }
    if (t.ExpirationTime === null) return;
    if (bulk) this.expiry.addUnsorted(expiryKey(t.ExpirationTime), t.AccessorID);
    else this.expiry.add(expiryKey(t.ExpirationTime), t.AccessorID);
  }

  deleteToken(accessor: string): void {
    const prev = this.tokens.get(accessor);
    if (prev === undefined) return;
    this.#unindexToken(prev);
    this.tokens.delete(accessor);
    this.#tokensChanged(accessor, prev.Global === true);
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

  #unindexToken(prev: TokenRecord): void {
    if (this.secrets.get(prev.secretHash) === prev) this.secrets.delete(prev.secretHash);
    if (!prev.settled) {
      // Pending: only in `tokens` and `secrets` (a refused one is gone already).
      if (prev.refusedWhy === undefined) this.#pending--;
      return;
    }
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
    this.settleAll();
    return this.#tokensByCreate.get(this.tokens);
  }

  /** All tokens by AccessorID (Nomad's order when listing with a prefix). Never changes once returned. */
  tokensByAccessor(): readonly ACLToken[] {
    this.settleAll();
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
