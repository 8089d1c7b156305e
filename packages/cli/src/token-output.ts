import type { AclRoleLinkRequest, AclToken } from '@tollgate/client';
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
  const kv = formatKV(rows);
  const roles = token.Roles ?? [];
  if (token.Type === 'management' || roles.length === 0) return kv;
  return `${kv}\n\nRoles\n${formatList([['ID', 'Name'], ...roles.map((r) => [r.ID, r.Name])])}`;
}

/** The `Roles` of a token request from `-role-id` and `-role-name` flags (IDs first, as nomad). */
export function roleLinks(ids: readonly string[], names: readonly string[]): AclRoleLinkRequest[] {
  return [...ids.map((ID) => ({ ID })), ...names.map((Name) => ({ Name }))];
}
