import type { AclRoleLinkRequest, AclToken, AclTokenListStub } from '@tollgate/client';
import { formatGoSlice, formatGoTime, formatKV, formatList } from './format.js';

/**
 * The token block printed by bootstrap and `acl token create|update|info|self`.
 *
 * Lines and order follow the seed tutorials (Nomad 0.x/1.x output): Accessor
 * ID, Secret ID, Name, Type, Global, Policies, Create Time, Create Index,
 * Modify Index. `Expiry Time` is added after Create Time only when the token
 * expires, so a token without a TTL reads exactly like the seeds; newer Nomad
 * always prints it (as `<none>`) and moves Policies to the end. A client
 * token linked to roles gets Nomad's `Roles` table after a blank line
 * (`ID  Name` rows); one without roles prints none, so it still reads like
 * the seeds (Nomad ≥ 1.4 prints `Roles` / `<none>` there).
 */
export function formatToken(token: AclToken): string {
  const rows: [string, string][] = [
    ['Accessor ID', token.AccessorID],
    ['Secret ID', token.SecretID],
    ['Name', token.Name],
    ['Type', token.Type],
    ['Global', String(token.Global)],
    ['Policies', token.Type === 'management' ? 'n/a' : formatGoSlice(token.Policies)],
    ['Create Time', formatGoTime(token.CreateTime)],
  ];
  if (token.ExpirationTime) rows.push(['Expiry Time', formatGoTime(token.ExpirationTime)]);
  rows.push(['Create Index', String(token.CreateIndex)], ['Modify Index', String(token.ModifyIndex)]);
  // Tollgate's lifecycle lines, only when they say something (so tokens
  // without them read like the seeds): the parent of a child token, a
  // lease cap, a period, and each Meta key.
  if (token.ParentAccessorID && token.Orphan !== true) rows.push(['Parent ID', token.ParentAccessorID]);
  if (token.ExplicitMaxTTL) rows.push(['Explicit Max TTL', token.ExplicitMaxTTL]);
  if (token.Period) rows.push(['Period', token.Period]);
  for (const [k, v] of Object.entries(token.Meta ?? {})) rows.push([`Meta[${k}]`, v]);
  const kv = formatKV(rows);
  const roles = token.Roles ?? [];
  if (token.Type === 'management' || roles.length === 0) return kv;
  return `${kv}\n\nRoles\n${formatList([['ID', 'Name'], ...roles.map((r) => [r.ID, r.Name])])}`;
}

/** The `Roles` of a token request from `-role-id` and `-role-name` flags (IDs first, as nomad). */
export function roleLinks(ids: readonly string[], names: readonly string[]): AclRoleLinkRequest[] {
  return [...ids.map((ID) => ({ ID })), ...names.map((Name) => ({ Name }))];
}

/** Token stubs as a table (`acl token info -children`): accessor, name, type, expiry. */
export function formatTokenStubs(stubs: readonly AclTokenListStub[]): string {
  return formatList([
    ['Accessor ID', 'Name', 'Type', 'Global', 'Expiry Time'],
    ...stubs.map((t) => [t.AccessorID, t.Name, t.Type, String(t.Global), t.ExpirationTime ? formatGoTime(t.ExpirationTime) : '<none>']),
  ]);
}
