import { describe, expect, it } from 'vitest';
import type { AclToken } from '@tollgate/client';
import { formatRole, formatRoles } from './role-output.js';
import { formatToken, roleLinks } from './token-output.js';

/** Nomad's role and token-with-roles output (command/acl_role.go formatACLRole, acl_bootstrap.go outputACLToken). */

const role = {
  ID: 'a1b2c3d4-0000-4000-8000-000000000001',
  Name: 'deployers',
  Description: 'ships code',
  Policies: [{ Name: 'readonly' }, { Name: 'app' }],
  CreateIndex: 10,
  ModifyIndex: 12,
};

describe('role output', () => {
  it('prints a role as Nomad does: policies sorted and comma-joined', () => {
    expect(formatRole(role)).toBe(
      [
        'ID           = a1b2c3d4-0000-4000-8000-000000000001',
        'Name         = deployers',
        'Description  = ships code',
        'Policies     = app,readonly',
        'Create Index = 10',
        'Modify Index = 12',
      ].join('\n'),
    );
  });

  it('prints the role list table, or Nomad\'s sentence when empty', () => {
    expect(formatRoles([])).toBe('No ACL roles found');
    expect(formatRoles([role]).split('\n')).toEqual([
      'ID                                    Name       Description  Policies',
      'a1b2c3d4-0000-4000-8000-000000000001  deployers  ships code   app,readonly',
    ]);
  });
});

describe('token output with roles', () => {
  const token: AclToken = {
    AccessorID: 'acc',
    SecretID: 'sec',
    Name: 'ci',
    Type: 'client',
    Policies: [],
    Roles: [{ ID: role.ID, Name: 'deployers' }],
    Global: false,
    CreateTime: '2026-01-01T00:00:00Z',
    CreateIndex: 3,
    ModifyIndex: 3,
  };

  it('adds Nomad\'s Roles table after the block, and nothing for a token without roles', () => {
    const out = formatToken(token);
    expect(out.endsWith(`\n\nRoles\nID                                    Name\n${role.ID}  deployers`)).toBe(true);
    expect(formatToken({ ...token, Roles: null })).not.toContain('Roles');
  });

  it('builds role links from -role-id and -role-name, IDs first', () => {
    expect(roleLinks(['i1'], ['n1', 'n2'])).toEqual([{ ID: 'i1' }, { Name: 'n1' }, { Name: 'n2' }]);
    expect(roleLinks([], [])).toEqual([]);
  });
});
