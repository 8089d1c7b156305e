import type { CommitEntry } from './commit-entry.js';
import { expiryKey } from './expiry-index.js';
import type { ReadView } from './read-view.js';
import type { SecretBox } from './secret-box.js';
import { StagedView } from './staged-view.js';
import { secretHashOf } from './token-record.js';
import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken, Change, TableName } from './types.js';

/**
 * On-disk layout of the embedded state machine: one LevelDB, UTF-8 string
 * keys with a one-letter namespace, JSON values.
 *
 * | key                                  | value |
 * | ------------------------------------ | ----- |
 * | `m:<name>`                           | meta (see `META`) |
 * | `t:<AccessorID>`                     | `StoredToken` (SecretID sealed) |
 * | `s:<hex sha256(SecretID)>`           | AccessorID |
 * | `p:<Name>`                           | `ACLPolicy` |
 * | `r:<ID>`                             | `ACLRole` |
 * | `a:<Name>`                           | `StoredAuthMethod` (client secret sealed) |
 * | `b:<ID>`                             | `ACLBindingRule` |
 * | `l:["<policy>","<AccessorID>"]`      | 1 (policy → tokens index) |
 * | `e:<expiryKey>:<AccessorID>`         | 1 (expiry index, fixed-width time key) |
 * | `f:<index, 16 digits>:<seq, 8 digits>` | `Change` (change feed) |
 *
 * Every commit writes its objects, index entries, feed entries and the meta
 * counters in one atomic batch.
 */
export const PREFIX = {
  meta: 'm:',
  token: 't:',
  secret: 's:',
  policy: 'p:',
  role: 'r:',
  authMethod: 'a:',
  bindingRule: 'b:',
  link: 'l:',
  expiry: 'e:',
  feed: 'f:',
} as const;

/** Meta keys. */
export const META = {
  /** Layout version; refuse to open anything else. */
  format: 'm:format',
  /** A constant sealed under the secret key, to detect a wrong key at open. */
  keyCheck: 'm:keyCheck',
  index: 'm:index',
  bootstrap: 'm:bootstrap',
  cursor: 'm:cursor',
  feedFloor: 'm:feedFloor',
  table: (t: TableName) => `m:table:${t}`,
} as const;

/**
 * The layout version this code writes. 2: every token and policy record
 * carries a `Mac` (see `RecordMac`). Format 1 (no MACs) is read only to
 * upgrade it, when the operator asks (`upgradeFormat`).
 */
export const FORMAT_VERSION = 2;
/** The unauthenticated layout before MACs. */
export const FORMAT_UNSIGNED = 1;
/** Plaintext and AAD context of the key check value. */
export const KEY_CHECK_PLAINTEXT = 'tollgate-state-key-check';
export const KEY_CHECK_CONTEXT = 'm:keyCheck';

/** Iterator bounds covering one key namespace (`:` + 1 = `;`). */
export function rangeOf(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: `${prefix.slice(0, -1)};` };
}

export const tokenKey = (accessor: string): string => PREFIX.token + accessor;
/** The `s:` key of a secret, by its hex SHA-256 (`secretIndexKey`). */
export const secretKey = (secretHash: string): string => PREFIX.secret + secretHash;
export const policyKey = (name: string): string => PREFIX.policy + name;
export const roleKey = (id: string): string => PREFIX.role + id;
export const authMethodKey = (name: string): string => PREFIX.authMethod + name;
export const bindingRuleKey = (id: string): string => PREFIX.bindingRule + id;
export const linkKey = (policy: string, accessor: string): string => PREFIX.link + JSON.stringify([policy, accessor]);
export const expiryIndexKey = (time: string, accessor: string): string => `${PREFIX.expiry}${expiryKey(time)}:${accessor}`;
export const feedKey = (index: number, seq: number): string =>
  `${PREFIX.feed}${String(index).padStart(16, '0')}:${String(seq).padStart(8, '0')}`;

/**
 * A token as written to disk: the SecretID replaced by its sealed form and
 * its hex SHA-256 (`SecretHash`, under the MAC, so the store resolves tokens
 * without opening a secret), and the record's MAC. Records written before
 * `SecretHash` existed lack it; they are opened while loading.
 */
export type StoredToken = Omit<ACLToken, 'SecretID'> & {
  readonly SealedSecretID: string;
  readonly SecretHash?: string;
  readonly Mac: string;
};
/** A policy as written to disk: with the record's MAC. */
export type StoredPolicy = ACLPolicy & { readonly Mac: string };
/** A role as stored: with the MAC over its fields. */
export type StoredRole = ACLRole & { readonly Mac: string };

/** The word for one record of a table, in log lines and errors. */
export const RECORD_NOUN: Readonly<Record<TableName, string>> = {
  acl_token: 'token',
  acl_policy: 'policy',
  acl_role: 'role',
  acl_auth_method: 'auth method',
  acl_binding_rule: 'binding rule',
};

/**
 * An auth method as stored (LevelDB and etcd): `Config.OIDCClientSecret`
 * emptied and sealed into `SealedOIDCClientSecret` (AES-GCM, bound to the
 * method's name), and the record's MAC.
 */
export type StoredAuthMethod = ACLAuthMethod & { readonly SealedOIDCClientSecret?: string; readonly Mac: string };
/** A binding rule as stored: with its MAC. */
export type StoredBindingRule = ACLBindingRule & { readonly Mac: string };

/** The AAD context an auth method's client secret is sealed under. */
const authMethodContext = (name: string): string => `auth-method:${name}`;

/**
 * The record of an auth method with its client secret sealed (no MAC):
 * `fields` are merged in first (the etcd layout leaves the indexes out).
 */
export function sealedAuthMethodRecord(method: ACLAuthMethod, box: SecretBox): Record<string, unknown> {
  const secret = method.Config.OIDCClientSecret;
  return {
    ...method,
    Config: { ...method.Config, OIDCClientSecret: '' },
    ...(secret === '' ? {} : { SealedOIDCClientSecret: box.seal(secret, authMethodContext(method.Name)) }),
  };
}

/**
 * The inverse of `sealedAuthMethodRecord` (after the MAC was checked): the
 * record with its client secret opened.
 * @throws Error when the sealed secret does not open under this key.
 */
export function openAuthMethodRecord(record: Record<string, unknown>, name: string, box: SecretBox): Record<string, unknown> {
  const { SealedOIDCClientSecret, ...rest } = record;
  if (SealedOIDCClientSecret === undefined) return rest;
  const secret = box.open(String(SealedOIDCClientSecret), authMethodContext(name));
  const config = typeof rest['Config'] === 'object' && rest['Config'] !== null ? rest['Config'] : {};
  return { ...rest, Config: { ...config, OIDCClientSecret: secret } };
}

/** One LevelDB batch operation (JSON value encoding). */
export type LevelOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

export function sealToken(token: ACLToken, box: SecretBox): StoredToken {
  // One object built in place (every field but SecretID, in the token's
  // order, then the sealed secret, its hash and the MAC): this runs for
  // every token written, and rest/spread copies made three of them.
  const record: Record<string, unknown> = {};
  for (const key of Object.keys(token)) if (key !== 'SecretID') record[key] = token[key as keyof ACLToken];
  record['SealedSecretID'] = box.seal(token.SecretID, token.AccessorID);
  record['SecretHash'] = secretHashOf(token);
  record['Mac'] = box.records.sign('token', token.AccessorID, record);
  return record as StoredToken;
}

/** A policy with its MAC, as written to disk. */
export function signPolicy(policy: ACLPolicy, box: SecretBox): StoredPolicy {
  return { ...policy, Mac: box.records.sign('policy', policy.Name, policy as unknown as Record<string, unknown>) };
}

/** A role with its MAC, as written to disk. */
export function signRole(role: ACLRole, box: SecretBox): StoredRole {
  return { ...role, Mac: box.records.sign('role', role.ID, role as unknown as Record<string, unknown>) };
}

/** An auth method as written to disk: client secret sealed, with its MAC. */
export function sealAuthMethod(method: ACLAuthMethod, box: SecretBox): StoredAuthMethod {
  const record = sealedAuthMethodRecord(method, box);
  return { ...(record as unknown as ACLAuthMethod), Mac: box.records.sign('auth_method', method.Name, record) };
}

/** A binding rule with its MAC, as written to disk. */
export function signBindingRule(rule: ACLBindingRule, box: SecretBox): StoredBindingRule {
  return { ...rule, Mac: box.records.sign('binding_rule', rule.ID, rule as unknown as Record<string, unknown>) };
}

/** Secondary-index keys of one token (secret hash, policy links, expiry). */
export function tokenIndexKeys(token: ACLToken): string[] {
  const keys = [secretKey(secretHashOf(token))];
  for (const p of new Set(token.Policies ?? [])) keys.push(linkKey(p, token.AccessorID));
  if (token.ExpirationTime !== null) keys.push(expiryIndexKey(token.ExpirationTime, token.AccessorID));
  return keys;
}

/** The value stored under an index key (`s:` keys hold the accessor). */
export function tokenIndexValue(key: string, token: ACLToken): unknown {
  return key.startsWith(PREFIX.secret) ? token.AccessorID : 1;
}

/**
 * Turns committed entries into the LevelDB operations of one atomic batch,
 * plus the change-feed entries they produce. `base` is the state before the
 * first entry; entries are staged in order so each sees the previous ones
 * (the previous version of an object decides which index keys to delete).
 */
export function encodeEntries(
  base: ReadView,
  entries: readonly CommitEntry[],
  box: SecretBox,
): { ops: LevelOp[]; changes: Change[] } {
  const stage = new StagedView(base);
  const ops: LevelOp[] = [];
  const changes: Change[] = [];
  const tables = new Map<TableName, number>();
  let index = base.index;
  let bootstrap: number | undefined;
  let cursor: number | undefined;

  for (const entry of entries) {
    const entryChanges: Change[] = [];
    for (const op of entry.ops) {
      switch (op.type) {
        case 'put-token': {
          const t = op.token;
          const prev = stage.token(t.AccessorID);
          ops.push({ type: 'put', key: tokenKey(t.AccessorID), value: sealToken(t, box) });
          const before = new Set(prev === undefined ? [] : tokenIndexKeys(prev));
          const after = tokenIndexKeys(t);
          for (const k of before) if (!after.includes(k)) ops.push({ type: 'del', key: k });
          for (const k of after) if (!before.has(k)) ops.push({ type: 'put', key: k, value: tokenIndexValue(k, t) });
          entryChanges.push({ index: entry.index, table: 'acl_token', op: 'upsert', key: t.AccessorID, global: t.Global });
          break;
        }
        case 'delete-token': {
          const prev = stage.token(op.accessor);
          if (prev === undefined) break;
          ops.push({ type: 'del', key: tokenKey(op.accessor) });
          for (const k of tokenIndexKeys(prev)) ops.push({ type: 'del', key: k });
          entryChanges.push({ index: entry.index, table: 'acl_token', op: 'delete', key: op.accessor, global: prev.Global });
          break;
        }
        case 'put-policy':
          ops.push({ type: 'put', key: policyKey(op.policy.Name), value: signPolicy(op.policy, box) });
          entryChanges.push({ index: entry.index, table: 'acl_policy', op: 'upsert', key: op.policy.Name, global: true });
          break;
        case 'delete-policy':
          if (stage.policy(op.name) === undefined) break;
          ops.push({ type: 'del', key: policyKey(op.name) });
          entryChanges.push({ index: entry.index, table: 'acl_policy', op: 'delete', key: op.name, global: true });
          break;
        case 'put-role':
          ops.push({ type: 'put', key: roleKey(op.role.ID), value: signRole(op.role, box) });
          entryChanges.push({ index: entry.index, table: 'acl_role', op: 'upsert', key: op.role.ID, global: true });
          break;
        case 'delete-role':
          if (stage.role(op.id) === undefined) break;
          ops.push({ type: 'del', key: roleKey(op.id) });
          entryChanges.push({ index: entry.index, table: 'acl_role', op: 'delete', key: op.id, global: true });
          break;
        case 'put-auth-method':
          ops.push({ type: 'put', key: authMethodKey(op.method.Name), value: sealAuthMethod(op.method, box) });
          entryChanges.push({ index: entry.index, table: 'acl_auth_method', op: 'upsert', key: op.method.Name, global: true });
          break;
        case 'delete-auth-method':
          if (stage.authMethod(op.name) === undefined) break;
          ops.push({ type: 'del', key: authMethodKey(op.name) });
          entryChanges.push({ index: entry.index, table: 'acl_auth_method', op: 'delete', key: op.name, global: true });
          break;
        case 'put-binding-rule':
          ops.push({ type: 'put', key: bindingRuleKey(op.rule.ID), value: signBindingRule(op.rule, box) });
          entryChanges.push({ index: entry.index, table: 'acl_binding_rule', op: 'upsert', key: op.rule.ID, global: true });
          break;
        case 'delete-binding-rule':
          if (stage.bindingRule(op.id) === undefined) break;
          ops.push({ type: 'del', key: bindingRuleKey(op.id) });
          entryChanges.push({ index: entry.index, table: 'acl_binding_rule', op: 'delete', key: op.id, global: true });
          break;
      }
      stage.applyOp(op);
    }
    entryChanges.forEach((c, seq) => {
      ops.push({ type: 'put', key: feedKey(c.index, seq), value: c });
      // Feed entries are shared with every reader and listener: make them immutable.
      changes.push(Object.freeze(c));
    });
    index = Math.max(index, entry.index);
    for (const t of entry.tables) tables.set(t, entry.index);
    if (entry.bootstrapIndex !== undefined) bootstrap = entry.bootstrapIndex;
    if (entry.replicationCursor !== undefined) cursor = entry.replicationCursor;
  }

  ops.push({ type: 'put', key: META.index, value: index });
  for (const [t, i] of tables) ops.push({ type: 'put', key: META.table(t), value: i });
  if (bootstrap !== undefined) ops.push({ type: 'put', key: META.bootstrap, value: bootstrap });
  if (cursor !== undefined) ops.push({ type: 'put', key: META.cursor, value: cursor });
  return { ops, changes };
}
