import type { CommitEntry } from './commit-entry.js';
import type { ReadView } from './read-view.js';
import { secretIndexKey } from './secret-box.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, TableName } from './types.js';

/**
 * What a plan read of the state it was planned against, object by object:
 * the value seen (`undefined` = the object did not exist), for every object
 * the planner looked up or walked. An external region log (HA: etcd) turns
 * these into the compares of its transaction, so the write commits only if
 * nothing the plan read has changed meanwhile.
 *
 * Reads answered by writes planned earlier in the same entry (a staged
 * overlay) are not reads of the state and are not here.
 */
export interface PlanReads {
  /** Accessor → the token seen. */
  readonly tokens: ReadonlyMap<string, ACLToken | undefined>;
  /** A SecretID's hex SHA-256 (`secretIndexKey`) → the accessor holding it, as seen. */
  readonly secrets: ReadonlyMap<string, string | undefined>;
  readonly policies: ReadonlyMap<string, ACLPolicy | undefined>;
  readonly roles: ReadonlyMap<string, ACLRole | undefined>;
  /** Role name → the role holding it, as seen. */
  readonly roleNames: ReadonlyMap<string, ACLRole | undefined>;
  readonly authMethods: ReadonlyMap<string, ACLAuthMethod | undefined>;
  readonly bindingRules: ReadonlyMap<string, ACLBindingRule | undefined>;
  /** The bootstrap index the plan saw, when it read it. */
  readonly bootstrapIndex: number | undefined;
  /** Tables the plan scanned whole (e.g. every auth method, for the one-default rule), with the table index seen. */
  readonly scannedTables: ReadonlyMap<TableName, number>;
}

/** A planned entry and what its plan read (`StateStore.planMutation`, `planReplicated`). */
export interface PlannedEntry {
  readonly entry: CommitEntry;
  readonly reads: PlanReads;
}

/**
 * A `ReadView` that records what is read through it (the first value seen
 * per object), for `PlanReads`. `tableIndex` gives the table index recorded
 * when a table is scanned whole.
 */
export class RecordingView implements ReadView {
  readonly #base: ReadView;
  readonly #tableIndex: (table: TableName) => number;
  readonly #tokens = new Map<string, ACLToken | undefined>();
  readonly #secrets = new Map<string, string | undefined>();
  readonly #policies = new Map<string, ACLPolicy | undefined>();
  readonly #roles = new Map<string, ACLRole | undefined>();
  readonly #roleNames = new Map<string, ACLRole | undefined>();
  readonly #authMethods = new Map<string, ACLAuthMethod | undefined>();
  readonly #bindingRules = new Map<string, ACLBindingRule | undefined>();
  readonly #scanned = new Map<TableName, number>();
  #bootstrapIndex: number | undefined;

  constructor(base: ReadView, tableIndex: (table: TableName) => number) {
    this.#base = base;
    this.#tableIndex = tableIndex;
  }

  /** What was read so far. */
  get reads(): PlanReads {
    return {
      tokens: this.#tokens,
      secrets: this.#secrets,
      policies: this.#policies,
      roles: this.#roles,
      roleNames: this.#roleNames,
      authMethods: this.#authMethods,
      bindingRules: this.#bindingRules,
      bootstrapIndex: this.#bootstrapIndex,
      scannedTables: this.#scanned,
    };
  }

  get index(): number {
    return this.#base.index;
  }

  get bootstrapIndex(): number {
    const seen = this.#base.bootstrapIndex;
    this.#bootstrapIndex ??= seen;
    return seen;
  }

  get replicationCursor(): number {
    return this.#base.replicationCursor;
  }

  token(accessor: string): ACLToken | undefined {
    return record(this.#tokens, accessor, this.#base.token(accessor));
  }

  accessorBySecret(secret: string): string | undefined {
    return this.accessorBySecretHash(secretIndexKey(secret));
  }

  accessorBySecretHash(secretHash: string): string | undefined {
    return record(this.#secrets, secretHash, this.#base.accessorBySecretHash(secretHash));
  }

  policy(name: string): ACLPolicy | undefined {
    return record(this.#policies, name, this.#base.policy(name));
  }

  forEachToken(fn: (token: ACLToken) => void): void {
    this.#scan('acl_token');
    this.#base.forEachToken((t) => fn(record(this.#tokens, t.AccessorID, t)!));
  }

  childrenOf(parent: string): readonly string[] {
    return this.#base.childrenOf(parent);
  }

  forEachPolicy(fn: (policy: ACLPolicy) => void): void {
    this.#scan('acl_policy');
    this.#base.forEachPolicy((p) => fn(record(this.#policies, p.Name, p)!));
  }

  role(id: string): ACLRole | undefined {
    return record(this.#roles, id, this.#base.role(id));
  }

  roleByName(name: string): ACLRole | undefined {
    return record(this.#roleNames, name, this.#base.roleByName(name));
  }

  forEachRole(fn: (role: ACLRole) => void): void {
    this.#scan('acl_role');
    this.#base.forEachRole((r) => fn(record(this.#roles, r.ID, r)!));
  }

  authMethod(name: string): ACLAuthMethod | undefined {
    return record(this.#authMethods, name, this.#base.authMethod(name));
  }

  forEachAuthMethod(fn: (method: ACLAuthMethod) => void): void {
    this.#scan('acl_auth_method');
    this.#base.forEachAuthMethod((m) => fn(record(this.#authMethods, m.Name, m)!));
  }

  bindingRule(id: string): ACLBindingRule | undefined {
    return record(this.#bindingRules, id, this.#base.bindingRule(id));
  }

  forEachBindingRule(fn: (rule: ACLBindingRule) => void): void {
    this.#scan('acl_binding_rule');
    this.#base.forEachBindingRule((r) => fn(record(this.#bindingRules, r.ID, r)!));
  }

  #scan(table: TableName): void {
    if (!this.#scanned.has(table)) this.#scanned.set(table, this.#tableIndex(table));
  }
}

/** Records the first value seen under `key` and returns `value`. */
function record<T>(seen: Map<string, T | undefined>, key: string, value: T | undefined): T | undefined {
  if (!seen.has(key)) seen.set(key, value);
  return value;
}
