import { openAuthMethodRecord, sealedAuthMethodRecord, secretIndexKey } from '@tollgate/state';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, CommitEntry, CommittedSnapshot, EntryOp, RecordKind, SecretBox, TableName } from '@tollgate/state';
import type { IKeyValue } from 'etcd3';
import type { ErrorCode } from '../errors.js';

/**
 * The layout of one region in etcd, under its prefix (default
 * `/tollgate/<region>/`). Every agent follows `data/` with list + watch;
 * each write is one etcd transaction, so one etcd revision is one region
 * index.
 *
 * | key (after the prefix)       | value | why |
 * | ---------------------------- | ----- | --- |
 * | `data/t/<AccessorID>`        | token JSON, SecretID sealed, no indexes | create/mod revision = CreateIndex/ModifyIndex |
 * | `data/s/<sha256(SecretID)>`  | AccessorID | SecretID uniqueness (`create_revision == 0` compare) |
 * | `data/p/<Name>`              | policy JSON, no indexes | |
 * | `data/r/<ID>`                | role JSON, no indexes | |
 * | `data/rn/<Name>`             | role ID | role name uniqueness (`create_revision == 0` compare); not followed |
 * | `data/a/<Name>`              | auth method JSON, OIDC client secret sealed, no indexes | |
 * | `data/b/<ID>`                | binding rule JSON, no indexes | |
 * | `data/bootstrap`             | `{"AccessorID"}` | bootstrap-once; its mod revision is the reset index |
 * | `data/cursor`                | decimal authoritative index | follower-region replication cursor |
 * | `data/table/<table>`         | empty | its mod revision is the table index (moves on no-op writes too) |
 * | `data/rev`                   | `{"t": commit ms, "a": agent}` | put by every write: its mod revision is the region's last write (the read barrier), `t` measures watch lag |
 * | `keycheck`                   | a constant sealed with `acl.encryption_key` | refuses agents with another key |
 * | `election/leader/<lease>`    | `{"id","http"}` | etcd3 `Election` keys (lease-bound) |
 *
 * Object indexes are not stored in the values: etcd keeps `create_revision`
 * across updates of a key (Nomad keeps CreateIndex) and sets `mod_revision`
 * on every change, so the indexes come from the key metadata.
 */
export class EtcdLayout {
  readonly prefix: string;
  readonly data: string;
  readonly rev: string;
  readonly bootstrap: string;
  readonly cursor: string;
  readonly keyCheck: string;
  readonly #token: string;
  readonly #secret: string;
  readonly #policy: string;
  readonly #role: string;
  readonly #roleName: string;
  readonly #authMethod: string;
  readonly #bindingRule: string;
  readonly #table: string;

  /** @param prefix ends with `/`, e.g. `/tollgate/global/`. */
  constructor(prefix: string) {
    if (typeof prefix !== 'string' || prefix === '' || !prefix.endsWith('/')) {
      throw new TypeError('etcd.prefix must be a non-empty string ending in "/"');
    }
    this.prefix = prefix;
    this.data = `${prefix}data/`;
    this.#token = `${this.data}t/`;
    this.#secret = `${this.data}s/`;
    this.#policy = `${this.data}p/`;
    this.#role = `${this.data}r/`;
    this.#roleName = `${this.data}rn/`;
    this.#authMethod = `${this.data}a/`;
    this.#bindingRule = `${this.data}b/`;
    this.#table = `${this.data}table/`;
    this.rev = `${this.data}rev`;
    this.bootstrap = `${this.data}bootstrap`;
    this.cursor = `${this.data}cursor`;
    this.keyCheck = `${prefix}keycheck`;
  }

  token(accessor: string): string {
    return this.#token + accessor;
  }

  secret(secretId: string): string {
    return this.#secret + secretIndexKey(secretId);
  }

  policy(name: string): string {
    return this.#policy + name;
  }

  role(id: string): string {
    return this.#role + id;
  }

  roleName(name: string): string {
    return this.#roleName + name;
  }

  authMethod(name: string): string {
    return this.#authMethod + name;
  }

  bindingRule(id: string): string {
    return this.#bindingRule + id;
  }

  table(table: TableName): string {
    return this.#table + table;
  }

  /** What a full key under `data/` is, or `undefined` for a key the follower ignores. */
  classify(
    key: string,
  ):
    | { kind: 'token'; id: string }
    | { kind: 'policy'; id: string }
    | { kind: 'role'; id: string }
    | { kind: 'auth_method'; id: string }
    | { kind: 'binding_rule'; id: string }
    | { kind: 'table'; id: TableName }
    | { kind: 'bootstrap' | 'cursor' | 'rev' }
    | undefined {
    if (key.startsWith(this.#token)) return { kind: 'token', id: key.slice(this.#token.length) };
    if (key.startsWith(this.#policy)) return { kind: 'policy', id: key.slice(this.#policy.length) };
    // `rn/` also starts with `r`, but not with `r/`: the name index is not followed.
    if (key.startsWith(this.#role)) return { kind: 'role', id: key.slice(this.#role.length) };
    if (key.startsWith(this.#authMethod)) return { kind: 'auth_method', id: key.slice(this.#authMethod.length) };
    if (key.startsWith(this.#bindingRule)) return { kind: 'binding_rule', id: key.slice(this.#bindingRule.length) };
    if (key.startsWith(this.#table)) {
      const id = key.slice(this.#table.length);
      return TABLES.has(id) ? { kind: 'table', id: id as TableName } : undefined;
    }
    if (key === this.bootstrap) return { kind: 'bootstrap' };
    if (key === this.cursor) return { kind: 'cursor' };
    if (key === this.rev) return { kind: 'rev' };
    return undefined;
  }
}

const TABLES: ReadonlySet<string> = new Set<TableName>(['acl_token', 'acl_policy', 'acl_role', 'acl_auth_method', 'acl_binding_rule']);

/** The etcd value of a token: no SecretID (sealed instead), no indexes. */
export function encodeToken(token: ACLToken, box: SecretBox): string {
  return signed(box, 'token', token.AccessorID, {
    AccessorID: token.AccessorID,
    SealedSecretID: box.seal(token.SecretID, token.AccessorID),
    Name: token.Name,
    Type: token.Type,
    Policies: token.Policies,
    ...(token.Roles !== undefined && token.Roles !== null && token.Roles.length > 0 ? { Roles: token.Roles } : {}),
    Global: token.Global,
    Hash: token.Hash,
    CreateTime: token.CreateTime,
    ExpirationTime: token.ExpirationTime,
    ExpirationTTL: token.ExpirationTTL,
    ...(token.SourceIndex !== undefined && token.SourceIndex > 0 ? { SourceIndex: token.SourceIndex } : {}),
    // Lifecycle fields only when set: older values keep their shape and MAC.
    ...(token.ParentAccessorID !== undefined && token.ParentAccessorID !== '' ? { ParentAccessorID: token.ParentAccessorID } : {}),
    ...(token.Orphan === true ? { Orphan: true } : {}),
    ...(token.Meta !== undefined && Object.keys(token.Meta).length > 0 ? { Meta: token.Meta } : {}),
    ...(token.ExplicitMaxTTL !== undefined && token.ExplicitMaxTTL > 0 ? { ExplicitMaxTTL: token.ExplicitMaxTTL } : {}),
    ...(token.Period !== undefined && token.Period > 0 ? { Period: token.Period } : {}),
  });
}

/** The record as JSON with its MAC (`Mac`), so an edit of any field in etcd is detected by every agent. */
function signed(box: SecretBox, kind: RecordKind, id: string, record: Record<string, unknown>): string {
  return JSON.stringify({ ...record, Mac: box.records.sign(kind, id, record) });
}

/** The etcd value of a policy: no indexes. */
export function encodePolicy(policy: ACLPolicy, box: SecretBox): string {
  return signed(box, 'policy', policy.Name, {
    Name: policy.Name,
    Description: policy.Description,
    Rules: policy.Rules,
    ...(policy.JobACL !== undefined && policy.JobACL !== null ? { JobACL: policy.JobACL } : {}),
    Hash: policy.Hash,
    ...(policy.SourceIndex !== undefined && policy.SourceIndex > 0 ? { SourceIndex: policy.SourceIndex } : {}),
  });
}

/** The etcd value of a role: no indexes. */
export function encodeRole(role: ACLRole, box: SecretBox): string {
  return signed(box, 'role', role.ID, {
    ID: role.ID,
    Name: role.Name,
    Description: role.Description,
    Policies: role.Policies,
    Hash: role.Hash,
    ...(role.SourceIndex !== undefined && role.SourceIndex > 0 ? { SourceIndex: role.SourceIndex } : {}),
  });
}

/** The etcd value of an auth method: OIDC client secret sealed, no indexes. */
export function encodeAuthMethod(method: ACLAuthMethod, box: SecretBox): string {
  const { CreateIndex: _c, ModifyIndex: _m, SourceIndex, ...rest } = method;
  return signed(box, 'auth_method', method.Name, {
    ...sealedAuthMethodRecord(rest as ACLAuthMethod, box),
    ...(SourceIndex !== undefined && SourceIndex > 0 ? { SourceIndex } : {}),
  });
}

/** The etcd value of a binding rule: no indexes. */
export function encodeBindingRule(rule: ACLBindingRule, box: SecretBox): string {
  const { CreateIndex: _c, ModifyIndex: _m, SourceIndex, ...rest } = rule;
  return signed(box, 'binding_rule', rule.ID, { ...rest, ...(SourceIndex !== undefined && SourceIndex > 0 ? { SourceIndex } : {}) });
}

/** A value etcd holds that this agent cannot read (corrupt, or sealed under another key). */
export class UndecodableValueError extends Error {
  readonly code: ErrorCode = 'TOLLGATE_HA_UNDECODABLE';
  constructor(key: string, why: string, options?: { cause?: unknown }) {
    super(`cannot decode etcd key ${key}: ${why}`, options);
    this.name = 'UndecodableValueError';
  }
}

function revision(v: string, key: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UndecodableValueError(key, `revision ${v} is not a safe integer`);
  return n;
}

function json(kv: IKeyValue): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(kv.value.toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new UndecodableValueError(kv.key.toString(), 'not a JSON object');
}

/**
 * A token from its etcd key-value: secret unsealed, CreateIndex/ModifyIndex
 * from the key's revisions. The state store validates the rest.
 */
/**
 * A token or policy value whose MAC does not verify under the region key:
 * edited in etcd (or written by something that lacks the key). The agent
 * leaves the object out — it grants nothing — and reports it.
 */
export class RecordRefusedError extends Error {
  readonly code = 'TOLLGATE_RECORD_REFUSED' as const;
  constructor(
    readonly table: TableName,
    readonly id: string,
    key: string,
  ) {
    super(`etcd key ${key}: integrity check (MAC) failed; the ${table.slice(4)} ${id} is refused`);
    this.name = 'RecordRefusedError';
  }
}

/** The fields of a signed value, after checking its MAC. */
function verified(kv: IKeyValue, box: SecretBox, kind: RecordKind, id: string): Record<string, unknown> {
  const { Mac, ...fields } = json(kv);
  if (!box.records.verify(kind, id, fields, Mac)) {
    throw new RecordRefusedError(`acl_${kind}`, id, kv.key.toString());
  }
  return fields;
}

/** Reports a refused record (logged and counted by the caller). */
export type RefusedRecordSink = (table: TableName, id: string) => void;

export function decodeToken(kv: IKeyValue, accessor: string, box: SecretBox): ACLToken {
  const { SealedSecretID, ...rest } = verified(kv, box, 'token', accessor);
  let secret: string;
  try {
    secret = box.open(String(SealedSecretID), accessor);
  } catch (cause) {
    throw new UndecodableValueError(
      kv.key.toString(),
      'the SecretID does not open with this agent\'s acl.encryption_key (every agent of a region needs the same key)',
      { cause },
    );
  }
  const key = kv.key.toString();
  return {
    ...(rest as unknown as ACLToken),
    AccessorID: accessor,
    SecretID: secret,
    CreateIndex: revision(kv.create_revision, key),
    ModifyIndex: revision(kv.mod_revision, key),
  };
}

/** A policy from its etcd key-value, indexes from the key's revisions. */
export function decodePolicy(kv: IKeyValue, name: string, box: SecretBox): ACLPolicy {
  const key = kv.key.toString();
  return {
    ...(verified(kv, box, 'policy', name) as unknown as ACLPolicy),
    Name: name,
    CreateIndex: revision(kv.create_revision, key),
    ModifyIndex: revision(kv.mod_revision, key),
  };
}

/** A role from its etcd key-value, indexes from the key's revisions. */
export function decodeRole(kv: IKeyValue, id: string, box: SecretBox): ACLRole {
  const key = kv.key.toString();
  return {
    ...(verified(kv, box, 'role', id) as unknown as ACLRole),
    ID: id,
    CreateIndex: revision(kv.create_revision, key),
    ModifyIndex: revision(kv.mod_revision, key),
  };
}

/** An auth method from its etcd key-value: client secret opened, indexes from the key's revisions. */
export function decodeAuthMethod(kv: IKeyValue, name: string, box: SecretBox): ACLAuthMethod {
  const key = kv.key.toString();
  let opened: Record<string, unknown>;
  try {
    opened = openAuthMethodRecord(verified(kv, box, 'auth_method', name), name, box);
  } catch (cause) {
    if (cause instanceof RecordRefusedError) throw cause;
    throw new UndecodableValueError(key, "the OIDC client secret does not open with this agent's acl.encryption_key", { cause });
  }
  return {
    ...(opened as unknown as ACLAuthMethod),
    Name: name,
    CreateIndex: revision(kv.create_revision, key),
    ModifyIndex: revision(kv.mod_revision, key),
  };
}

/** A binding rule from its etcd key-value, indexes from the key's revisions. */
export function decodeBindingRule(kv: IKeyValue, id: string, box: SecretBox): ACLBindingRule {
  const key = kv.key.toString();
  return {
    ...(verified(kv, box, 'binding_rule', id) as unknown as ACLBindingRule),
    ID: id,
    CreateIndex: revision(kv.create_revision, key),
    ModifyIndex: revision(kv.mod_revision, key),
  };
}

/** A watched event, reduced to what the follower needs. */
export interface LayoutEvent {
  readonly type: 'Put' | 'Delete';
  readonly kv: IKeyValue;
}

/** Entries decoded from one watch response, and the newest commit time seen. */
export interface DecodedEvents {
  readonly entries: CommitEntry[];
  /** `t` of the newest `data/rev` put (ms since the epoch), for watch lag. */
  readonly committedAtMs: number | undefined;
}

/**
 * Turns watched events into one `CommitEntry` per etcd revision, in
 * revision order. Every write of this layout is one transaction, and etcd
 * sends all events of a revision in the same response, so no entry is
 * split across responses.
 */
export function decodeEvents(layout: EtcdLayout, events: readonly LayoutEvent[], box: SecretBox, onRefused?: RefusedRecordSink): DecodedEvents {
  const byRevision = new Map<number, { ops: EntryOp[]; tables: Set<TableName>; bootstrapIndex?: number; replicationCursor?: number }>();
  let committedAtMs: number | undefined;
  for (const ev of events) {
    const key = ev.kv.key.toString();
    const rev = revision(ev.kv.mod_revision, key);
    let e = byRevision.get(rev);
    if (e === undefined) byRevision.set(rev, (e = { ops: [], tables: new Set() }));
    const what = layout.classify(key);
    if (what === undefined) continue;
    const put = ev.type === 'Put';
    switch (what.kind) {
      // A refused put becomes a delete: whatever the agent held before under
      // that key stops granting anything, and the edited value never applies.
      case 'token':
        e.ops.push(
          put
            ? refusedAs(() => ({ type: 'put-token', token: decodeToken(ev.kv, what.id, box) }), { type: 'delete-token', accessor: what.id }, onRefused)
            : { type: 'delete-token', accessor: what.id },
        );
        break;
      case 'policy':
        e.ops.push(
          put
            ? refusedAs(() => ({ type: 'put-policy', policy: decodePolicy(ev.kv, what.id, box) }), { type: 'delete-policy', name: what.id }, onRefused)
            : { type: 'delete-policy', name: what.id },
        );
        break;
      case 'role':
        e.ops.push(
          put
            ? refusedAs(() => ({ type: 'put-role', role: decodeRole(ev.kv, what.id, box) }), { type: 'delete-role', id: what.id }, onRefused)
            : { type: 'delete-role', id: what.id },
        );
        break;
      case 'auth_method':
        e.ops.push(
          put
            ? refusedAs(
                () => ({ type: 'put-auth-method', method: decodeAuthMethod(ev.kv, what.id, box) }),
                { type: 'delete-auth-method', name: what.id },
                onRefused,
              )
            : { type: 'delete-auth-method', name: what.id },
        );
        break;
      case 'binding_rule':
        e.ops.push(
          put
            ? refusedAs(
                () => ({ type: 'put-binding-rule', rule: decodeBindingRule(ev.kv, what.id, box) }),
                { type: 'delete-binding-rule', id: what.id },
                onRefused,
              )
            : { type: 'delete-binding-rule', id: what.id },
        );
        break;
      case 'table':
        e.tables.add(what.id);
        break;
      case 'bootstrap':
        e.bootstrapIndex = put ? rev : 0;
        break;
      case 'cursor':
        e.replicationCursor = put ? decodeCursor(ev.kv) : 0;
        break;
      case 'rev': {
        const t = put ? json(ev.kv)['t'] : undefined;
        if (typeof t === 'number') committedAtMs = Math.max(committedAtMs ?? 0, t);
        break;
      }
    }
  }
  const entries = [...byRevision.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, e]) => ({
      index,
      ops: e.ops,
      tables: [...e.tables],
      ...(e.bootstrapIndex !== undefined ? { bootstrapIndex: e.bootstrapIndex } : {}),
      ...(e.replicationCursor !== undefined ? { replicationCursor: e.replicationCursor } : {}),
    }));
  return { entries, committedAtMs };
}

function refusedAs(decode: () => EntryOp, instead: EntryOp, onRefused: RefusedRecordSink | undefined): EntryOp {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof RecordRefusedError)) throw err;
    onRefused?.(err.table, err.id);
    return instead;
  }
}

function decodeCursor(kv: IKeyValue): number {
  const n = Number(kv.value.toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 0) throw new UndecodableValueError(kv.key.toString(), 'the cursor is not a non-negative integer');
  return n;
}

/** The whole region from a full listing of `data/` read at `revision`. */
export function decodeSnapshot(
  layout: EtcdLayout,
  kvs: readonly IKeyValue[],
  revision: number,
  box: SecretBox,
  onRefused?: RefusedRecordSink,
): CommittedSnapshot {
  const tokens: ACLToken[] = [];
  const policies: ACLPolicy[] = [];
  const roles: ACLRole[] = [];
  const authMethods: ACLAuthMethod[] = [];
  const bindingRules: ACLBindingRule[] = [];
  let bootstrapIndex = 0;
  let replicationCursor = 0;
  for (const kv of kvs) {
    const what = layout.classify(kv.key.toString());
    if (what === undefined) continue;
    switch (what.kind) {
      case 'token':
      case 'policy':
        try {
          if (what.kind === 'token') tokens.push(decodeToken(kv, what.id, box));
          else policies.push(decodePolicy(kv, what.id, box));
        } catch (err) {
          if (!(err instanceof RecordRefusedError)) throw err;
          onRefused?.(err.table, err.id);
        }
        break;
      case 'role':
      case 'auth_method':
      case 'binding_rule':
        try {
          if (what.kind === 'role') roles.push(decodeRole(kv, what.id, box));
          else if (what.kind === 'auth_method') authMethods.push(decodeAuthMethod(kv, what.id, box));
          else bindingRules.push(decodeBindingRule(kv, what.id, box));
        } catch (err) {
          if (!(err instanceof RecordRefusedError)) throw err;
          onRefused?.(err.table, err.id);
        }
        break;
      case 'bootstrap':
        bootstrapIndex = Number(kv.mod_revision);
        break;
      case 'cursor':
        replicationCursor = decodeCursor(kv);
        break;
      default:
        break;
    }
  }
  return { index: revision, tokens, policies, roles, authMethods, bindingRules, bootstrapIndex, replicationCursor };
}
