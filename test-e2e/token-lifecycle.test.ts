import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentWith, api, eventually, runCli, startAgent, startCluster } from './testkit.js';
import type { Cleanups } from './testkit.js';

/**
 * The token lifecycle (issue 13) with real agent processes: a 1,000-token
 * tree revoked atomically across kill -9, renewal of a global token from a
 * follower region, and the CLI replaying the tokens concept page (seed 003).
 */

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const CHILDREN = 'acl {\n  child_tokens = true\n}\n';

/** A tree under a new management token: `fanOut` children per node until it has `size` descendants. */
async function tree(addr: string, mgmt: string, size: number, fanOut = 10): Promise<{ root: { AccessorID: string; SecretID: string }; all: string[] }> {
  const make = async (parentSecret: string): Promise<{ AccessorID: string; SecretID: string }> => {
    const r = await api(addr, 'POST', '/v1/acl/token', { token: parentSecret, body: { Type: 'management' } });
    if (r.status !== 200) throw new Error(`create: ${r.status} ${r.text}`);
    return r.body;
  };
  const root = await make(mgmt);
  const all = [root.AccessorID];
  let level = [root];
  let made = 0;
  while (made < size) {
    const next: { AccessorID: string; SecretID: string }[] = [];
    for (const parent of level) {
      const n = Math.min(fanOut, size - made - next.length);
      if (n <= 0) break;
      next.push(...(await Promise.all(Array.from({ length: n }, () => make(parent.SecretID)))));
    }
    made += next.length;
    all.push(...next.map((t) => t.AccessorID));
    level = next;
  }
  return { root, all };
}

describe('token trees across kill -9', () => {
  it('revokes a 1,000-descendant tree in one atomic write: after a kill -9 during the revocation, all of it or none of it is there', async () => {
    const first = await agentWith(cleanups, CHILDREN);
    const mgmt = (await api(first.addr, 'POST', '/v1/acl/bootstrap')).body.SecretID as string;
    const { root, all } = await tree(first.addr, mgmt, 1000);
    expect(all).toHaveLength(1001);
    const children = await api(first.addr, 'GET', `/v1/acl/token/${root.AccessorID}/children`, { token: mgmt });
    expect(children.body).toHaveLength(10);
    // Send the revocation and kill the agent while it is being made durable.
    let answered: number | undefined;
    const del = api(first.addr, 'DELETE', `/v1/acl/token/${root.AccessorID}`, { token: mgmt }).then(
      (r) => (answered = r.status),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 3));
    await first.kill();
    await del;

    const second = await startAgent({ dataDir: first.dataDir, hcl: CHILDREN });
    cleanups.push(() => second.stop());
    const list = (await api(second.addr, 'GET', '/v1/acl/tokens', { token: mgmt })).body as { AccessorID: string }[];
    const present = new Set(list.map((t) => t.AccessorID));
    const left = all.filter((a) => present.has(a)).length;
    expect([0, 1001]).toContain(left);
    if (answered === 200) expect(left).toBe(0);
    // Whatever survived is whole: the index of children agrees with the tokens.
    if (left === 1001) {
      expect((await api(second.addr, 'GET', `/v1/acl/token/${root.AccessorID}/children`, { token: mgmt })).body).toHaveLength(10);
      const again = await api(second.addr, 'DELETE', `/v1/acl/token/${root.AccessorID}`, { token: mgmt });
      expect(again.status).toBe(200);
    }
    const after = (await api(second.addr, 'GET', '/v1/acl/tokens', { token: mgmt })).body as { AccessorID: string }[];
    expect(after.filter((t) => all.includes(t.AccessorID))).toEqual([]);
    expect(after).toHaveLength(1); // the bootstrap token
  });
});

describe('renewal across regions', () => {
  it('renews a global token from a follower: forwarded to the authoritative region, replicated, answered with the updated token', async () => {
    const c = await startCluster({ regions: ['global', 'eu-west'] });
    cleanups.push(() => c.close());
    const eu = c.agent('eu-west').addr;
    const created = await api(eu, 'POST', '/v1/acl/token', {
      token: c.management,
      body: { Type: 'management', Global: true, ExpirationTTL: '1h', Meta: { app: 'billing' } },
    });
    expect(created.status, created.text).toBe(200);
    const tok = created.body as { AccessorID: string; SecretID: string; ExpirationTime: string };
    const before = Date.now();
    const r = await api(eu, 'POST', '/v1/acl/token/self/renew', { token: tok.SecretID, body: { Increment: '6h' } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.AccessorID).toBe(tok.AccessorID);
    expect(Date.parse(r.body.ExpirationTime)).toBeGreaterThanOrEqual(before + 6 * 3_600_000 - 1000);
    // Read-your-writes in the follower, and the authoritative copy agrees.
    expect((await api(eu, 'GET', '/v1/acl/token/self', { token: tok.SecretID })).body.ExpirationTime).toBe(r.body.ExpirationTime);
    const auth = await api(c.agent('global').addr, 'GET', `/v1/acl/token/${tok.AccessorID}`, { token: c.management });
    expect(auth.body).toMatchObject({ ExpirationTime: r.body.ExpirationTime, Meta: { app: 'billing' } });
    // A local token of eu-west renews in eu-west only.
    const local = (await api(eu, 'POST', '/v1/acl/token', { token: c.management, body: { Type: 'client', Policies: ['p'], ExpirationTTL: '1h' } })).body;
    const lr = await runCli(['acl', 'token', 'renew', '-increment=2h', local.AccessorID], { env: { TOLLGATE_ADDR: eu, TOLLGATE_TOKEN: c.management } });
    expect(lr.stderr).toBe('');
    expect(lr.code).toBe(0);
    expect((await api(c.agent('global').addr, 'GET', `/v1/acl/token/${local.AccessorID}`, { token: c.management })).status).toBe(404);
  });
});

describe('the tokens concept page (seed 003) with the CLI', () => {
  it('creates a child, revokes the parent, sees the child refused; an orphan as management; metadata in the audit log; renewal', async () => {
    const auditDir = await mkdtemp(join(tmpdir(), 'tollgate-lifecycle-audit-'));
    cleanups.push(() => rm(auditDir, { recursive: true, force: true }));
    const auditLog = join(auditDir, 'audit.log');
    const a = await agentWith(cleanups, `${CHILDREN}audit {\n  enabled = true\n  path = "${auditLog}"\n}\n`);
    const boot = await runCli(['acl', 'bootstrap', '-json'], { env: { TOLLGATE_ADDR: a.addr } });
    expect(boot.code).toBe(0);
    const root = JSON.parse(boot.stdout) as { SecretID: string; AccessorID: string };
    const cli = (args: string[], token = root.SecretID) => runCli(args, { env: { TOLLGATE_ADDR: a.addr, TOLLGATE_TOKEN: token } });
    const json = async (args: string[], token?: string) => {
      const r = await cli([...args.slice(0, 3), '-json', ...args.slice(3)], token);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Record<string, any>;
    };
    await runCli(['acl', 'policy', 'apply', 'app', '-'], { env: { TOLLGATE_ADDR: a.addr, TOLLGATE_TOKEN: root.SecretID }, stdin: 'namespace "default" { policy = "read" }' });

    // "This will create a new token that is a child of the currently authenticated token."
    const parent = await json(['acl', 'token', 'create', '-name=parent', '-type=management', '-ttl=2h']);
    const child = await json(['acl', 'token', 'create', '-name=child', '-policy=app'], parent.SecretID);
    expect(child).toMatchObject({ ParentAccessorID: parent.AccessorID, Orphan: false });
    const shown = await cli(['acl', 'token', 'info', child.AccessorID]);
    expect(shown.stdout).toMatch(new RegExp(`Parent ID\\s+= ${parent.AccessorID}`));
    const info = await cli(['acl', 'token', 'info', '-children', parent.AccessorID]);
    expect(info.stdout).toContain('Children');
    expect(info.stdout).toContain(child.AccessorID);
    // "As a child, the new token will automatically be revoked if the parent is revoked."
    expect((await cli(['acl', 'token', 'delete', parent.AccessorID])).code).toBe(0);
    const refused = await cli(['acl', 'token', 'self'], child.SecretID);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ACL token not found|Permission denied/);

    // "If you're logged in as root, you can create an orphan token by specifying the -orphan flag."
    const p2 = await json(['acl', 'token', 'create', '-name=p2', '-type=management']);
    const orphan = await json(['acl', 'token', 'create', '-name=orphan', '-orphan', '-policy=app'], p2.SecretID);
    expect(orphan.Orphan).toBe(true);
    expect((await cli(['acl', 'token', 'delete', p2.AccessorID])).code).toBe(0);
    expect((await cli(['acl', 'token', 'self'], orphan.SecretID)).code).toBe(0);
    const client = await json(['acl', 'token', 'create', '-name=plain', '-policy=app']);
    const noOrphan = await cli(['acl', 'token', 'create', '-orphan', '-policy=app'], client.SecretID);
    expect(noOrphan.code).toBe(1);

    // "Metadata … is used to annotate the token with information that is added to the audit log."
    const tagged = await json(['acl', 'token', 'create', '-name=tagged', '-policy=app', '-ttl=1h', '-meta', 'team=payments', '-meta=ticket=OPS-42']);
    expect(tagged.Meta).toEqual({ team: 'payments', ticket: 'OPS-42' });
    const listed = await cli(['acl', 'token', 'list', '-json', '-filter', 'Meta.team == "payments"']);
    expect(JSON.parse(listed.stdout).map((t: { Name: string }) => t.Name)).toEqual(['tagged']);

    // "In order to avoid your token being revoked, the … token-renew command should be used."
    const renewed = await cli(['acl', 'token', 'renew', '-increment=3h'], tagged.SecretID);
    expect(renewed.stderr).toBe('');
    expect(renewed.code).toBe(0);
    expect(renewed.stdout).toMatch(/Expiry Time\s+= /);
    expect(renewed.stdout).toMatch(/Meta\[team\]\s+= payments/);
    const eternal = await cli(['acl', 'token', 'renew'], client.SecretID);
    expect(eternal.code).toBe(1);
    expect(eternal.stderr).toContain('has no lease');

    await eventually(async () => (await readFile(auditLog, 'utf8')).includes('acl.token.renew'));
    await new Promise((r) => setTimeout(r, 50));
    const lines = (await readFile(auditLog, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>);
    const renewLine = lines.find((l) => l.op === 'acl.token.renew' && l.status === 200);
    expect(renewLine).toMatchObject({
      auth: { accessor_id: tagged.AccessorID, meta: { team: 'payments', ticket: 'OPS-42' }, parent: root.AccessorID },
      target: { accessor_id: tagged.AccessorID },
      result: 'ok',
    });
    const revoke = lines.find((l) => l.op === 'acl.token.delete' && l.target?.accessor_id === parent.AccessorID);
    expect(revoke?.target.revoked_descendants).toEqual([child.AccessorID]);
    const text = await readFile(auditLog, 'utf8');
    for (const s of [root.SecretID, parent.SecretID, child.SecretID, tagged.SecretID, orphan.SecretID]) expect(text).not.toContain(s);
    const verified = await runCli(['audit', 'verify', auditLog]);
    expect(verified.stdout).toMatch(/^ok, \d+ lines/);
  });
});
