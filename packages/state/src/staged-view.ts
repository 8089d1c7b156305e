import type { CommitEntry, EntryOp } from './commit-entry.js';
import { isChildOf } from './object-shape.js';
import type { ReadView } from './read-view.js';
import { secretIndexKey } from './secret-box.js';
import { secretHashOf } from './token-record.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken } from './types.js';

/**
 * A copy-on-write overlay over another view. Group commit plans each queued
 * write against a staged view that already holds the writes planned before
 * it, so a later write sees earlier ones (conflicts are caught) while the
 * committed state stays untouched until the batch is durable.
 *
 * `null` in an overlay map marks a deletion.
 */
export class StagedView implements ReadView {
  readonly #base: ReadView;
  readonly #tokens = new Map<string, ACLToken | null>();
  /** Keyed by the hex SHA-256 of the secret, so a loaded token's sealed secret stays sealed. */
  readonly #secrets = new Map<string, string | null>();
  readonly #policies = new Map<string, ACLPolicy | null>();
  readonly #roles = new Map<string, ACLRole | null>();
  readonly #methods = new Map<string, ACLAuthMethod | null>();
  readonly #rules = new Map<string, ACLBindingRule | null>();
  #index: number | undefined;
  #bootstrapIndex: number | undefined;
  #replicationCursor: number | undefined;

  constructor(base: ReadView) {
    this.#base = base;
  }

  get index(): number {
    return this.#index ?? this.#base.index;
  }

  get bootstrapIndex(): number {
    return this.#bootstrapIndex ?? this.#base.bootstrapIndex;
  }

  get replicationCursor(): number {
    return this.#replicationCursor ?? this.#base.replicationCursor;
  }

  token(accessor: string): ACLToken | undefined {
    const staged = this.#tokens.get(accessor);
    if (staged !== undefined) return staged ?? undefined;
    return this.#base.token(accessor);
  }

  accessorBySecret(secret: string): string | undefined {
    const staged = this.#secrets.size === 0 ? undefined : this.#secrets.get(secretIndexKey(secret));
    if (staged !== undefined) return staged ?? undefined;
    return this.#base.accessorBySecret(secret);
  }

  accessorBySecretHash(secretHash: string): string | undefined {
    const staged = this.#secrets.get(secretHash);
    if (staged !== undefined) return staged ?? undefined;
    return this.#base.accessorBySecretHash(secretHash);
  }

  policy(name: string): ACLPolicy | undefined {
    const staged = this.#policies.get(name);
    if (staged !== undefined) return staged ?? undefined;
    return this.#base.policy(name);
  }

  role(id: string): ACLRole | undefined {
    const staged = this.#roles.get(id);
    if (staged !== undefined) return staged ?? undefined;
    return this.#base.role(id);
  }

  roleByName(name: string): ACLRole | undefined {
    for (const r of this.#roles.values()) if (r !== null && r.Name === name) return r;
    const base = this.#base.roleByName(name);
    // A staged write to that role (rename or delete) overrides the base.
    return base === undefined || this.#roles.has(base.ID) ? undefined : base;
  }

  forEachRole(fn: (role: ACLRole) => void): void {
    for (const r of this.#roles.values()) if (r !== null) fn(r);
    this.#base.forEachRole((r) => {
      if (!this.#roles.has(r.ID)) fn(r);
    });
  }

  authMethod(name: string): ACLAuthMethod | undefined {
    const staged = this.#methods.get(name);
    if (staged !== undefined) return staged ?? undefined;
    return this.#base.authMethod(name);
  }

  forEachAuthMethod(fn: (method: ACLAuthMethod) => void): void {
    for (const m of this.#methods.values()) if (m !== null) fn(m);
    this.#base.forEachAuthMethod((m) => {
      if (!this.#methods.has(m.Name)) fn(m);
    });
  }

  bindingRule(id: string): ACLBindingRule | undefined {
    const staged = this.#rules.get(id);
    if (staged !== undefined) return staged ?? undefined;
    return this.#base.bindingRule(id);
  }

  forEachBindingRule(fn: (rule: ACLBindingRule) => void): void {
    for (const r of this.#rules.values()) if (r !== null) fn(r);
    this.#base.forEachBindingRule((r) => {
      if (!this.#rules.has(r.ID)) fn(r);
    });
  }

  forEachToken(fn: (token: ACLToken) => void): void {
    for (const t of this.#tokens.values()) if (t !== null) fn(t);
    this.#base.forEachToken((t) => {
      if (!this.#tokens.has(t.AccessorID)) fn(t);
    });
  }

  childrenOf(parent: string): readonly string[] {
    // The base's children not rewritten here, plus staged tokens naming the parent.
    const out = this.#base.childrenOf(parent).filter((a) => !this.#tokens.has(a));
    for (const [a, t] of this.#tokens) if (t !== null && isChildOf(t, parent)) out.push(a);
    return out;
  }

  forEachPolicy(fn: (policy: ACLPolicy) => void): void {
    for (const p of this.#policies.values()) if (p !== null) fn(p);
    this.#base.forEachPolicy((p) => {
      if (!this.#policies.has(p.Name)) fn(p);
    });
  }

  /** Stages one object write. */
  applyOp(op: EntryOp): void {
    switch (op.type) {
      case 'put-token': {
        const prev = this.token(op.token.AccessorID);
        const hash = secretHashOf(op.token);
        if (prev !== undefined && secretHashOf(prev) !== hash) this.#secrets.set(secretHashOf(prev), null);
        this.#tokens.set(op.token.AccessorID, op.token);
        this.#secrets.set(hash, op.token.AccessorID);
        return;
      }
      case 'delete-token': {
        const prev = this.token(op.accessor);
        if (prev === undefined) return;
        this.#tokens.set(op.accessor, null);
        this.#secrets.set(secretHashOf(prev), null);
        return;
      }
      case 'put-policy':
        this.#policies.set(op.policy.Name, op.policy);
        return;
      case 'delete-policy':
        this.#policies.set(op.name, null);
        return;
      case 'put-role':
        this.#roles.set(op.role.ID, op.role);
        return;
      case 'delete-role':
        this.#roles.set(op.id, null);
        return;
      case 'put-auth-method':
        this.#methods.set(op.method.Name, op.method);
        return;
      case 'delete-auth-method':
        this.#methods.set(op.name, null);
        return;
      case 'put-binding-rule':
        this.#rules.set(op.rule.ID, op.rule);
        return;
      case 'delete-binding-rule':
        this.#rules.set(op.id, null);
        return;
    }
  }

  /** Stages a whole planned entry (objects and meta). */
  applyEntry(entry: CommitEntry): void {
    for (const op of entry.ops) this.applyOp(op);
    this.#index = Math.max(this.index, entry.index);
    if (entry.bootstrapIndex !== undefined) this.#bootstrapIndex = entry.bootstrapIndex;
    if (entry.replicationCursor !== undefined) this.#replicationCursor = entry.replicationCursor;
  }
}
