import { randomBytes } from 'node:crypto';
import { SecretBox } from '@tollgate/state';
import type { ACLToken } from '@tollgate/state';
import { clientTokenFixture } from '@tollgate/testkit';
import type { IKeyValue } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { EtcdLayout, decodeEvents, decodeRole, decodeSnapshot, encodePolicy, encodeRole, encodeToken } from './etcd-layout.js';

const box = new SecretBox(randomBytes(32));
const L = new EtcdLayout('/tollgate/eu/');

function kv(key: string, value: string, create: number, mod: number): IKeyValue {
  return { key: Buffer.from(key), value: Buffer.from(value), create_revision: String(create), mod_revision: String(mod), version: '1', lease: '0' };
}

function token(overrides: Partial<ACLToken> = {}): ACLToken {
  return clientTokenFixture(['p'], { Name: 'n', Hash: 'h', ...overrides });
}

describe('etcd layout', () => {
  it('keeps every key under the prefix and refuses a prefix without a trailing slash', () => {
    expect(L.token('a')).toBe('/tollgate/eu/data/t/a');
    expect(L.secret('s')).toMatch(/^\/tollgate\/eu\/data\/s\/[0-9a-f]{64}$/);
    expect(L.table('acl_policy')).toBe('/tollgate/eu/data/table/acl_policy');
    expect(() => new EtcdLayout('/tollgate/eu')).toThrow('etcd.prefix must be a non-empty string ending in "/"');
  });

  it('stores a token without its SecretID and indexes, and reads them back from the key revisions', () => {
    const t = token({ SourceIndex: 12 });
    const value = encodeToken(t, box);
    expect(value).not.toContain(t.SecretID);
    expect(JSON.parse(value)).not.toHaveProperty('CreateIndex');
    const { entries } = decodeEvents(L, [{ type: 'Put', kv: kv(L.token(t.AccessorID), value, 7, 9) }], box);
    expect(entries).toEqual([
      { index: 9, ops: [{ type: 'put-token', token: { ...t, CreateIndex: 7, ModifyIndex: 9 } }], tables: [] },
    ]);
  });

  it('stores and MACs the lifecycle fields (parent, orphan, Meta, explicit max, period), and an edit of one is refused', () => {
    const t = token({ ParentAccessorID: 'p-1', Orphan: true, Meta: { team: 'payments' }, ExplicitMaxTTL: 7.2e12, Period: 3.6e12 });
    const value = encodeToken(t, box);
    const { entries } = decodeEvents(L, [{ type: 'Put', kv: kv(L.token(t.AccessorID), value, 7, 9) }], box);
    expect(entries[0]?.ops[0]).toEqual({ type: 'put-token', token: { ...t, CreateIndex: 7, ModifyIndex: 9 } });
    // A token without them keeps the value shape it had before lifecycles.
    expect(Object.keys(JSON.parse(encodeToken(token(), box)))).not.toContain('Meta');
    const edited = JSON.stringify({ ...JSON.parse(value), Orphan: false });
    const refused: string[] = [];
    const out = decodeEvents(L, [{ type: 'Put', kv: kv(L.token(t.AccessorID), edited, 7, 10) }], box, (table, id) => refused.push(`${table}/${id}`));
    expect(refused).toEqual([`acl_token/${t.AccessorID}`]);
    expect(out.entries[0]?.ops[0]).toEqual({ type: 'delete-token', accessor: t.AccessorID });
  });

  it('groups events into one entry per revision, in revision order, with markers, cursor, bootstrap and commit time', () => {
    const p = { Name: 'ops', Description: '', Rules: 'r', Hash: 'h', CreateIndex: 0, ModifyIndex: 0 };
    const { entries, committedAtMs } = decodeEvents(
      L,
      [
        { type: 'Put', kv: kv(L.policy('ops'), encodePolicy(p, box), 5, 11) },
        { type: 'Put', kv: kv(L.table('acl_policy'), '', 2, 11) },
        { type: 'Put', kv: kv(L.rev, JSON.stringify({ t: 1234, a: 'x' }), 2, 11) },
        { type: 'Delete', kv: kv(L.token('gone'), '', 0, 12) },
        { type: 'Put', kv: kv(L.cursor, '40', 3, 12) },
        { type: 'Put', kv: kv(L.bootstrap, '{}', 12, 12) },
        { type: 'Put', kv: kv('/tollgate/eu/data/unknown', 'x', 12, 12) },
      ],
      box,
    );
    expect(committedAtMs).toBe(1234);
    expect(entries).toEqual([
      { index: 11, ops: [{ type: 'put-policy', policy: { ...p, CreateIndex: 5, ModifyIndex: 11 } }], tables: ['acl_policy'] },
      { index: 12, ops: [{ type: 'delete-token', accessor: 'gone' }], tables: [], bootstrapIndex: 12, replicationCursor: 40 },
    ]);
  });

  it("keeps a policy's JobACL, and leaves it out when there is none", () => {
    const p = { Name: 'wi', Description: '', Rules: '', JobACL: { Namespace: 'default', JobID: 'web', Group: '', Task: '' }, Hash: 'h', CreateIndex: 0, ModifyIndex: 0 };
    const { entries } = decodeEvents(L, [{ type: 'Put', kv: kv(L.policy('wi'), encodePolicy(p, box), 3, 3) }], box);
    expect(entries[0]?.ops).toEqual([{ type: 'put-policy', policy: { ...p, CreateIndex: 3, ModifyIndex: 3 } }]);
    expect(JSON.parse(encodePolicy({ ...p, JobACL: null }, box))).not.toHaveProperty('JobACL');
  });

  it('refuses a value written under another key, and names malformed JSON', () => {
    const t = token();
    const other = new SecretBox(randomBytes(32));
    const bad = kv(L.token(t.AccessorID), encodeToken(t, other), 3, 3);
    const refused: string[] = [];
    const { entries } = decodeEvents(L, [{ type: 'Put', kv: bad }], box, (table, id) => refused.push(`${table}:${id}`));
    expect(entries[0]!.ops).toEqual([{ type: 'delete-token', accessor: t.AccessorID }]);
    expect(refused).toEqual([`acl_token:${t.AccessorID}`]);
    expect(() => decodeSnapshot(L, [kv(L.policy('x'), 'not json', 1, 1)], 5, box)).toThrow('not a JSON object');
  });

  it('refuses a token or policy edited in etcd: never applied, its key deleted instead, reported by name', () => {
    const t = { ...token(), Type: 'client' as const, Policies: ['ro'] };
    const p = { Name: 'ro', Description: '', Rules: 'node { policy = "read" }', Hash: 'h', CreateIndex: 0, ModifyIndex: 0 };
    const editedToken = JSON.stringify({ ...JSON.parse(encodeToken(t, box)), Type: 'management', Policies: [] });
    const editedPolicy = JSON.stringify({ ...JSON.parse(encodePolicy(p, box)), Rules: 'node { policy = "write" }' });
    const refused: string[] = [];
    const sink = (table: string, id: string): number => refused.push(`${table}:${id}`);
    const { entries } = decodeEvents(
      L,
      [
        { type: 'Put', kv: kv(L.token(t.AccessorID), editedToken, 3, 3) },
        { type: 'Put', kv: kv(L.policy('ro'), editedPolicy, 3, 3) },
      ],
      box,
      sink,
    );
    expect(entries[0]!.ops).toEqual([{ type: 'delete-token', accessor: t.AccessorID }, { type: 'delete-policy', name: 'ro' }]);
    const snap = decodeSnapshot(L, [kv(L.token(t.AccessorID), editedToken, 3, 3), kv(L.policy('ro'), editedPolicy, 3, 3)], 9, box, sink);
    expect(snap.tokens).toEqual([]);
    expect(snap.policies).toEqual([]);
    expect(refused).toEqual([`acl_token:${t.AccessorID}`, 'acl_policy:ro', `acl_token:${t.AccessorID}`, 'acl_policy:ro']);
  });

  it('refuses a role edited in etcd (a policy added to it): never applied, deleted instead, reported by ID; an untouched role reads back', () => {
    const r = { ID: '6f1c0f2e-4a7b-4a35-9d1e-2f0b4f6c8a11', Name: 'deployers', Description: '', Policies: [{ Name: 'ro' }], Hash: 'h', CreateIndex: 0, ModifyIndex: 0 };
    const good = encodeRole(r, box);
    expect(decodeRole(kv(L.role(r.ID), good, 4, 4), r.ID, box)).toEqual({ ...r, CreateIndex: 4, ModifyIndex: 4 });
    const edited = JSON.stringify({ ...JSON.parse(good), Policies: [{ Name: 'ro' }, { Name: 'admin' }] });
    const refused: string[] = [];
    const sink = (table: string, id: string): number => refused.push(`${table}:${id}`);
    const { entries } = decodeEvents(L, [{ type: 'Put', kv: kv(L.role(r.ID), edited, 5, 5) }], box, sink);
    expect(entries[0]!.ops).toEqual([{ type: 'delete-role', id: r.ID }]);
    const snap = decodeSnapshot(L, [kv(L.role(r.ID), edited, 5, 5)], 9, box, sink);
    expect(snap.roles).toEqual([]);
    expect(refused).toEqual([`acl_role:${r.ID}`, `acl_role:${r.ID}`]);
  });

  it('reads a full listing as a snapshot at the listing revision', () => {
    const t = token();
    const snap = decodeSnapshot(
      L,
      [kv(L.token(t.AccessorID), encodeToken(t, box), 3, 4), kv(L.bootstrap, '{}', 2, 8), kv(L.cursor, '77', 5, 9), kv(L.secret(t.SecretID), t.AccessorID, 3, 3)],
      20,
      box,
    );
    expect(snap).toEqual({ index: 20, tokens: [{ ...t, CreateIndex: 3, ModifyIndex: 4 }], policies: [], roles: [], authMethods: [], bindingRules: [], bootstrapIndex: 8, replicationCursor: 77 });
  });
});
