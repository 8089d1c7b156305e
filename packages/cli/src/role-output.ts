import type { AclRole } from '@tollgate/client';
import { formatKV, formatList } from './format.js';

/** A role's policy names, sorted (Nomad's `aclRolePolicyLinkToStringList`). */
function policyNames(role: AclRole): string[] {
  return role.Policies.map((p) => p.Name).sort();
}

/**
 * The role block printed by `acl role create|update|info`, as Nomad's
 * `formatACLRole`: ID, Name, Description, Policies (sorted, comma-joined),
 * Create Index, Modify Index.
 */
export function formatRole(role: AclRole): string {
  return formatKV([
    ['ID', role.ID],
    ['Name', role.Name],
    ['Description', role.Description],
    ['Policies', policyNames(role).join(',')],
    ['Create Index', String(role.CreateIndex)],
    ['Modify Index', String(role.ModifyIndex)],
  ]);
}

/** The `acl role list` table (Nomad's `formatACLRoles`): ID, Name, Description, Policies. */
export function formatRoles(roles: readonly AclRole[]): string {
  if (roles.length === 0) return 'No ACL roles found';
  return formatList([
    ['ID', 'Name', 'Description', 'Policies'],
    ...roles.map((r) => [r.ID, r.Name, r.Description, policyNames(r).join(',')]),
  ]);
}
