import type { AclToken } from '@tollgate/client';
import { formatGoSlice, formatGoTime, formatKV } from './format.js';

/**
 * The token block printed by bootstrap and `acl token create|update|info|self`.
 *
 * Lines and order follow the seed tutorials (Nomad 0.x/1.x output): Accessor
 * ID, Secret ID, Name, Type, Global, Policies, Create Time, Create Index,
 * Modify Index. `Expiry Time` is added after Create Time only when the token
 * expires, so a token without a TTL reads exactly like the seeds; newer Nomad
 * always prints it (as `<none>`) and moves Policies to the end. There is no
 * `Roles` line because Tollgate has no roles.
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
  return formatKV(rows);
}
