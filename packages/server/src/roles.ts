import { createHash, randomUUID } from 'node:crypto';
import type { ACLRole, ACLTokenRoleLink } from '@tollgate/state';
import { Type } from '@sinclair/typebox';
import { BadRequestError } from './errors.js';
import { field, requestBody, stringField } from './request-body.js';
import { multiError } from './tokens.js';

/** Nomad's role name rule (`validACLRoleName`). */
export const ROLE_NAME_RE = /^[a-zA-Z0-9-]{1,256}$/;
/** Nomad's `maxACLRoleDescriptionLength` (bytes). */
export const MAX_ROLE_DESCRIPTION_BYTES = 256;

/** What reads roles: the state store, or a staged view of it. */
export interface RoleLookup {
  role(id: string): ACLRole | undefined;
  roleByName(name: string): ACLRole | undefined;
}

/** A role body (`POST /v1/acl/role[/:id]`). */
export const ROLE_BODY = requestBody({
  ID: stringField(),
  Name: stringField(),
  Description: stringField(),
  Policies: field(Type.Array(Type.Object({ Name: Type.String() })), 'must be a list of {"Name"} links'),
});

/**
 * Type-checks and validates a role body (`POST /v1/acl/role[/:id]`) as
 * Nomad's HTTP handler and `ACLRole.Validate` do, and builds the role to
 * store: the path ID must match a body ID (updates), a create gets a fresh
 * UUID, duplicate policy links collapse to one. Errors are Nomad's:
 * `role 0 invalid: <multierror>`, `ACL role ID does not match request path`.
 */
export function decodeRoleRequest(body: unknown, pathId: string | undefined): ACLRole {
  const b = ROLE_BODY.decode(body);
  const bodyId = b.ID ?? '';
  // Nomad checks this on updates only: a create has no path ID to mismatch.
  if (pathId !== undefined && pathId !== bodyId) throw new BadRequestError('ACL role ID does not match request path');
  const names: string[] = [];
  for (const link of b.Policies ?? []) {
    if (!names.includes(link.Name)) names.push(link.Name);
  }
  const name = b.Name ?? '';
  const description = b.Description ?? '';
  const errs: string[] = [];
  if (!ROLE_NAME_RE.test(name)) errs.push(`invalid name '${name.slice(0, 270)}'`);
  if (Buffer.byteLength(description) > MAX_ROLE_DESCRIPTION_BYTES) errs.push(`description longer than ${MAX_ROLE_DESCRIPTION_BYTES}`);
  if (names.length === 0) errs.push('at least one policy should be specified');
  if (errs.length > 0) throw new BadRequestError(`role 0 invalid: ${multiError(errs)}`);
  const policies = names.map((n) => ({ Name: n }));
  return {
    ID: bodyId === '' ? randomUUID() : bodyId,
    Name: name,
    Description: description,
    Policies: policies,
    Hash: roleHash(name, description, names),
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/**
 * SHA-256 over Name, Description and each policy name, in Nomad's order
 * (Nomad: blake2b-256). Replicas copy it as it is.
 */
export function roleHash(name: string, description: string, policies: readonly string[]): string {
  const h = createHash('sha256');
  h.update(name);
  h.update(description);
  for (const p of policies) h.update(p);
  return h.digest('base64');
}

/** A role as the API returns it (Nomad's `ACLRole`), without internal fields. */
export interface RoleView {
  readonly ID: string;
  readonly Name: string;
  readonly Description: string;
  readonly Policies: readonly { readonly Name: string }[];
  readonly Hash: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

export function roleView(r: ACLRole): RoleView {
  return {
    ID: r.ID,
    Name: r.Name,
    Description: r.Description,
    Policies: r.Policies,
    Hash: r.Hash,
    CreateIndex: r.CreateIndex,
    ModifyIndex: r.ModifyIndex,
  };
}

/** Nomad's `ACLRoleListStub` carries the same fields as the role. */
export const roleStub = roleView;

/**
 * Resolves the `Roles` links of a token request (`[{"ID"}]` or
 * `[{"Name"}]`) against the stored roles, as Nomad's UpsertTokens does:
 * by ID when given, else by name; an unknown one is
 * `cannot find role <id or name>` (400); duplicates collapse. The links
 * stored carry both ID and the role's current name.
 */
export function resolveRoleLinks(raw: unknown, roles: RoleLookup): ACLTokenRoleLink[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new BadRequestError('Request decode failed: Roles must be a list of role links');
  const out: ACLTokenRoleLink[] = [];
  for (const link of raw as unknown[]) {
    if (typeof link !== 'object' || link === null || Array.isArray(link)) {
      throw new BadRequestError('Request decode failed: Roles must be a list of {"ID"} or {"Name"} links');
    }
    const { ID: id, Name: name } = link as { ID?: unknown; Name?: unknown };
    if ((id !== undefined && id !== null && typeof id !== 'string') || (name !== undefined && name !== null && typeof name !== 'string')) {
      throw new BadRequestError('Request decode failed: a role link ID and Name must be strings');
    }
    const role = typeof id === 'string' && id !== '' ? roles.role(id) : typeof name === 'string' && name !== '' ? roles.roleByName(name) : undefined;
    if (role === undefined) {
      const what = typeof id === 'string' && id !== '' ? id : typeof name === 'string' ? name : '';
      throw new BadRequestError(`cannot find role ${what.slice(0, 270)}`);
    }
    if (!out.some((l) => l.ID === role.ID)) out.push({ ID: role.ID, Name: role.Name });
  }
  return out;
}
