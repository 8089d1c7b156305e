import type { AclTokenRoleLink } from '@tollgate/client';
import { href } from '../router';

/** Policy names as links to their pages. */
export function PolicyLinks({ names, empty = 'none' }: { names: readonly string[]; empty?: string }) {
  if (names.length === 0) return <span class="muted">{empty}</span>;
  return (
    <ul class="inline">
      {names.map((p) => (
        <li key={p}>
          <a href={href(`/policies/${encodeURIComponent(p)}`)}>{p}</a>
        </li>
      ))}
    </ul>
  );
}

/** A token's roles as links to their pages (by ID: a renamed role still links). */
export function RoleLinks({ roles, empty = 'none' }: { roles: readonly AclTokenRoleLink[] | null | undefined; empty?: string }) {
  if (!roles || roles.length === 0) return <span class="muted">{empty}</span>;
  return (
    <ul class="inline">
      {roles.map((r) => (
        <li key={r.ID}>
          <a href={href(`/roles/${encodeURIComponent(r.ID)}`)}>{r.Name || r.ID}</a>
        </li>
      ))}
    </ul>
  );
}
