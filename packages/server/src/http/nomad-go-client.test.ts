import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent } from '@tollgate/testkit';
import type { TestAgent } from '@tollgate/testkit';

/**
 * Nomad's own Go client (`github.com/hashicorp/nomad/api`, behind the
 * `nomad` CLI and the Terraform provider), replayed byte for byte.
 *
 * How the requests were derived from api/api.go and api/acl.go:
 * - every write is `PUT` (`client.write`), reads are `GET`, deletes are
 *   `DELETE` with no body;
 * - bodies are `json.NewEncoder(buf).Encode(obj)`: compact JSON, struct
 *   fields in declaration order, a trailing newline, nil slices and
 *   pointers as `null`, `omitempty` fields left out;
 * - `ACLToken.MarshalJSON` wraps the token in `struct{ ExpirationTTL string;
 *   *Alias }`, so `ExpirationTTL` comes first, as `""` when zero or Go's
 *   `Duration.String()`, and the token's own `ExpirationTTL` is shadowed;
 *   a zero `CreateTime` is `"0001-01-01T00:00:00Z"`;
 * - headers: Go's transport writes Host, User-Agent `Go-http-client/1.1`,
 *   Content-Length (for PUT even when 0, never for a body-less DELETE or
 *   GET), then the api's `Accept-Encoding: gzip` and `X-Nomad-Token`; no
 *   Content-Type.
 *
 * Every answer is then decoded as the Go structs would decode it (field
 * names, JSON types, `null` only where Go has a pointer or slice), and the
 * query/write meta headers are parsed as `parseQueryMeta`/`parseWriteMeta` do.
 */

let t: TestAgent;
let host: string;
let port: number;
/** The bootstrap answer, as `nomad acl bootstrap` got it (checked below). */
let boot: RawAnswer;
let root = '';

beforeAll(async () => {
  t = await startTestAgent();
  const u = new URL(t.addr);
  host = u.host;
  port = Number(u.port);
  // ACLTokens().BootstrapOpts("") as `nomad acl bootstrap` calls it.
  boot = await goRequest('PUT', '/v1/acl/bootstrap', { body: '{"BootstrapSecret":""}\n' });
  root = (JSON.parse(boot.body) as { SecretID: string }).SecretID;
});
afterAll(async () => {
  await t.close();
});

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends exactly the bytes Go's net/http would, and reads one response. */
function goRequest(method: 'GET' | 'PUT' | 'DELETE', path: string, opts: { token?: string; body?: string } = {}): Promise<RawAnswer> {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, 'User-Agent: Go-http-client/1.1'];
  const body = Buffer.from(opts.body ?? '', 'utf8');
  if (method === 'PUT' || body.length > 0) lines.push(`Content-Length: ${body.length}`);
  lines.push('Accept-Encoding: gzip');
  if (opts.token !== undefined) lines.push(`X-Nomad-Token: ${opts.token}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine = '', ...headerLines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers.get('content-length') ?? '0');
      if (buf.length < end + 4 + length) return;
      sock.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: buf.subarray(end + 4, end + 4 + length).toString('utf8') });
    });
    sock.write(Buffer.concat([head, body]));
  });
}

// ---------------------------------------------------------------------------
// Go's decoding of the answers, as a small type checker over Nomad's api
// structs.

type GoType =
  | 'string'
  | 'bool'
  | 'uint64'
  | 'time'
  | '*time'
  | 'duration' // api.ACLToken.UnmarshalJSON: a duration string or nanoseconds
  | { slice: GoType }
  | { ptr: GoStruct }
  | GoStruct;
interface GoStruct {
  readonly fields: Readonly<Record<string, GoType>>;
  /** Fields Nomad's server also sends that this api struct ignores. */
  readonly extra?: readonly string[];
  /** `omitempty` fields: may be absent. */
  readonly optional?: readonly string[];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$/;

function decodeGo(v: unknown, type: GoType, at: string): void {
  const fail = (want: string): never => {
    throw new Error(`${at}: Go cannot decode ${JSON.stringify(v)} into ${want}`);
  };
  if (type === 'string') return void (typeof v === 'string' || fail('string'));
  if (type === 'bool') return void (typeof v === 'boolean' || fail('bool'));
  if (type === 'uint64') return void ((typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || fail('uint64'));
  if (type === 'time') return void ((typeof v === 'string' && RFC3339.test(v)) || fail('time.Time'));
  if (type === '*time') return v === null ? undefined : decodeGo(v, 'time', at);
  if (type === 'duration') {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return;
    return void ((typeof v === 'string' && (v === '' || GO_DURATION.test(v))) || fail('a duration string or nanoseconds'));
  }
  if ('slice' in type) {
    if (v === null) return;
    if (!Array.isArray(v)) fail('a slice');
    (v as unknown[]).forEach((e, i) => decodeGo(e, type.slice, `${at}[${i}]`));
    return;
  }
  if ('ptr' in type) return v === null ? undefined : decodeGo(v, type.ptr, at);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('a struct');
  const o = v as Record<string, unknown>;
  for (const [name, ft] of Object.entries(type.fields)) {
    if (!(name in o)) {
      if (type.optional?.includes(name)) continue;
      throw new Error(`${at}.${name}: missing`);
    }
    decodeGo(o[name], ft, `${at}.${name}`);
  }
  const unknown = Object.keys(o).filter((k) => !(k in type.fields) && !type.extra?.includes(k));
  if (unknown.length > 0) throw new Error(`${at}: fields Nomad does not send: ${unknown.join(', ')}`);
}

const ROLE_LINK: GoStruct = { fields: { ID: 'string', Name: 'string' } };
const JOB_ACL: GoStruct = { fields: { Namespace: 'string', JobID: 'string', Group: 'string', Task: 'string' } };
/** Fields Tollgate adds to every token answer (ignored by Nomad's api structs). */
const LIFECYCLE_FIELDS = ['ParentAccessorID', 'Orphan', 'Meta', 'ExplicitMaxTTL', 'Period'];
/** api.ACLToken (+ Hash, which Nomad's server sends). */
const ACL_TOKEN: GoStruct = {
  fields: {
    AccessorID: 'string',
    SecretID: 'string',
    Name: 'string',
    Type: 'string',
    Policies: { slice: 'string' },
    Roles: { slice: ROLE_LINK },
    Global: 'bool',
    CreateTime: 'time',
    ExpirationTime: '*time',
    ExpirationTTL: 'duration',
    CreateIndex: 'uint64',
    ModifyIndex: 'uint64',
  },
  optional: ['ExpirationTime', 'ExpirationTTL'],
  // Tollgate's lifecycle fields (issue 13) are always sent; api.ACLToken has
  // no such fields, and Go's decoder ignores fields a struct does not have.
  extra: ['Hash', ...LIFECYCLE_FIELDS],
};
/** api.ACLTokenListStub: the token without SecretID and ExpirationTTL. */
const ACL_TOKEN_STUB: GoStruct = {
  fields: Object.fromEntries(Object.entries(ACL_TOKEN.fields).filter(([k]) => k !== 'SecretID' && k !== 'ExpirationTTL')),
  optional: ['ExpirationTime'],
  extra: ['Hash', 'ParentAccessorID', 'Orphan', 'Meta'],
};
/** api.ACLPolicy (+ RulesJSON and Hash from the server's struct). */
const ACL_POLICY: GoStruct = {
  fields: { Name: 'string', Description: 'string', Rules: 'string', JobACL: { ptr: JOB_ACL }, CreateIndex: 'uint64', ModifyIndex: 'uint64' },
  extra: ['RulesJSON', 'Hash'],
};
/** api.ACLPolicyListStub (+ JobACL and Hash from the server's stub). */
const ACL_POLICY_STUB: GoStruct = {
  fields: { Name: 'string', Description: 'string', CreateIndex: 'uint64', ModifyIndex: 'uint64' },
  extra: ['JobACL', 'Hash'],
};

/** Go's `decodeBody` into `out`, after `requireOK` and the meta parsing. */
function expectDecodes(a: RawAnswer, type: GoType): any {
  expect(a.status, a.body).toBe(200);
  const body: unknown = JSON.parse(a.body);
  decodeGo(body, type, 'answer');
  return body;
}

/** parseQueryMeta: index, last contact and known leader must parse. */
function expectQueryMeta(a: RawAnswer): number {
  expect(a.headers.get('x-nomad-index')).toMatch(/^\d+$/);
  expect(a.headers.get('x-nomad-lastcontact')).toMatch(/^\d+$/);
  expect(a.headers.get('x-nomad-knownleader')).toMatch(/^(true|false)$/);
  return Number(a.headers.get('x-nomad-index'));
}

/** parseWriteMeta: the index must parse. */
function expectWriteMeta(a: RawAnswer): number {
  expect(a.headers.get('x-nomad-index')).toMatch(/^[1-9]\d*$/);
  return Number(a.headers.get('x-nomad-index'));
}

/** An api.ACLToken as `json.NewEncoder(…).Encode(token)` writes it. */
function goTokenBody(t: {
  ttl?: string;
  accessor?: string;
  secret?: string;
  name: string;
  type: string;
  policies: string[] | null;
  global?: boolean;
  createTime?: string;
  expirationTime?: string;
  createIndex?: number;
  modifyIndex?: number;
}): string {
  return (
    `{"ExpirationTTL":${JSON.stringify(t.ttl ?? '')},"AccessorID":${JSON.stringify(t.accessor ?? '')},` +
    `"SecretID":${JSON.stringify(t.secret ?? '')},"Name":${JSON.stringify(t.name)},"Type":${JSON.stringify(t.type)},` +
    `"Policies":${JSON.stringify(t.policies)},"Roles":null,"Global":${t.global ?? false},` +
    `"CreateTime":${JSON.stringify(t.createTime ?? '0001-01-01T00:00:00Z')},` +
    (t.expirationTime === undefined ? '' : `"ExpirationTime":${JSON.stringify(t.expirationTime)},`) +
    `"CreateIndex":${t.createIndex ?? 0},"ModifyIndex":${t.modifyIndex ?? 0}}\n`
  );
}

const RULES = 'namespace "default" {\n  policy = "write"\n}\n';

/** ACLPolicies().Upsert as the Go client encodes it; answers with the write's index. */
async function upsertPolicy(name: string, jobACL: string = 'null', description = 'Ops team', rules = RULES): Promise<RawAnswer> {
  return goRequest('PUT', `/v1/acl/policy/${name}`, {
    token: root,
    body: `{"Name":${JSON.stringify(name)},"Description":${JSON.stringify(description)},"Rules":${JSON.stringify(rules)},"JobACL":${jobACL},"CreateIndex":0,"ModifyIndex":0}\n`,
  });
}

/** ACLTokens().Create of a client token; the decoded answer. */
async function createToken(name: string, policies: string[], ttl = ''): Promise<any> {
  const a = await goRequest('PUT', '/v1/acl/token', { token: root, body: goTokenBody({ ttl, name, type: 'client', policies }) });
  return expectDecodes(a, ACL_TOKEN);
}

describe("Nomad's Go api client, replayed byte for byte", () => {
  beforeAll(async () => {
    expect((await upsertPolicy('ops')).status).toBe(200);
    expect((await upsertPolicy('wi', '{"Namespace":"default","JobID":"web","Group":"","Task":""}', '', '')).status).toBe(200);
  });

  it('ACLTokens().BootstrapOpts(""): PUT /v1/acl/bootstrap {"BootstrapSecret":""}', () => {
    const tok = expectDecodes(boot, ACL_TOKEN);
    expectWriteMeta(boot);
    expect(tok).toMatchObject({ Name: 'Bootstrap Token', Type: 'management', Policies: null, Roles: null, Global: true, ExpirationTTL: '' });
  });

  it('ACLPolicies().Upsert: PUT /v1/acl/policy/:name with JobACL null, and with a JobACL', async () => {
    const plain = await upsertPolicy('ops2');
    expect(plain.status, plain.body).toBe(200);
    expect(plain.body).toBe('');
    expectWriteMeta(plain);
    const wi = await upsertPolicy('wi2', '{"Namespace":"default","JobID":"web","Group":"api","Task":"main"}');
    expect(wi.status, wi.body).toBe(200);
    expectWriteMeta(wi);
  });

  it('ACLPolicies().Info: GET /v1/acl/policy/:name decodes into api.ACLPolicy', async () => {
    const a = await goRequest('GET', '/v1/acl/policy/ops', { token: root });
    expect(expectDecodes(a, ACL_POLICY)).toMatchObject({ Name: 'ops', Description: 'Ops team', Rules: RULES, JobACL: null });
    expectQueryMeta(a);
    const wi = expectDecodes(await goRequest('GET', '/v1/acl/policy/wi', { token: root }), ACL_POLICY);
    expect(wi.JobACL).toEqual({ Namespace: 'default', JobID: 'web', Group: '', Task: '' });
  });

  it('ACLPolicies().List and Self: GET /v1/acl/policies and /v1/acl/policy/self decode into []*api.ACLPolicyListStub', async () => {
    const list = await goRequest('GET', '/v1/acl/policies', { token: root });
    expect(expectDecodes(list, { slice: ACL_POLICY_STUB }).map((p: any) => p.Name)).toEqual(expect.arrayContaining(['ops', 'wi']));
    expectQueryMeta(list);
    const mine = await createToken('mine', ['wi']);
    const self = await goRequest('GET', '/v1/acl/policy/self', { token: mine.SecretID });
    expect(expectDecodes(self, { slice: ACL_POLICY_STUB }).map((p: any) => p.Name)).toEqual(['wi']);
    expectQueryMeta(self);
  });

  it('ACLTokens().Create: PUT /v1/acl/token with "ExpirationTTL":"" first, zero IDs and zero CreateTime', async () => {
    const a = await goRequest('PUT', '/v1/acl/token', { token: root, body: goTokenBody({ name: 'ci', type: 'client', policies: ['ops'] }) });
    const ci = expectDecodes(a, ACL_TOKEN);
    expect(expectWriteMeta(a)).toBe(ci.CreateIndex);
    expect(ci).toMatchObject({ Name: 'ci', Type: 'client', Policies: ['ops'], Roles: null, Global: false, ExpirationTime: null, ExpirationTTL: '' });
    expect(ci.CreateTime).not.toBe('0001-01-01T00:00:00Z');
  });

  it('ACLTokens().Create with a TTL: "ExpirationTTL":"10m0s" is answered as "10m0s"', async () => {
    const tok = await createToken('short', ['ops'], '10m0s');
    expect(tok.ExpirationTTL).toBe('10m0s');
    expect(Date.parse(tok.ExpirationTime) - Date.parse(tok.CreateTime)).toBe(600_000);
  });

  it('ACLTokens().Info and Self: GET /v1/acl/token/:accessor and /v1/acl/token/self', async () => {
    const ci = await createToken('info', ['ops']);
    const info = await goRequest('GET', `/v1/acl/token/${ci.AccessorID}`, { token: root });
    expect(expectDecodes(info, ACL_TOKEN)).toEqual(ci);
    expectQueryMeta(info);
    const self = await goRequest('GET', '/v1/acl/token/self', { token: ci.SecretID });
    expect(expectDecodes(self, ACL_TOKEN).AccessorID).toBe(ci.AccessorID);
    expectQueryMeta(self);
  });

  it('ACLTokens().Update (as `nomad acl token update` does: the token read back, re-encoded, renamed)', async () => {
    const ci = await createToken('ci', ['ops']);
    const body = goTokenBody({
      accessor: ci.AccessorID,
      secret: ci.SecretID,
      name: 'ci-renamed',
      type: 'client',
      policies: ['ops', 'wi'],
      createTime: ci.CreateTime,
      createIndex: ci.CreateIndex,
      modifyIndex: ci.ModifyIndex,
    });
    const a = await goRequest('PUT', `/v1/acl/token/${ci.AccessorID}`, { token: root, body });
    const tok = expectDecodes(a, ACL_TOKEN);
    expect(tok).toMatchObject({ AccessorID: ci.AccessorID, SecretID: ci.SecretID, Name: 'ci-renamed', Policies: ['ops', 'wi'], CreateTime: ci.CreateTime });
    expect(expectWriteMeta(a)).toBe(tok.ModifyIndex);
    expect(tok.ModifyIndex).toBeGreaterThan(ci.ModifyIndex);
  });

  it('Update keeps what api.ACLToken cannot carry: Tollgate\'s Meta and lineage of the token survive the round trip', async () => {
    const made = await t.call('POST', '/v1/acl/token', { token: root, body: { Name: 'tagged', Type: 'client', Policies: ['ops'], Meta: { team: 'payments' } } });
    const tok = made.body as Record<string, any>;
    const body = goTokenBody({
      accessor: tok.AccessorID,
      secret: tok.SecretID,
      name: 'tagged2',
      type: 'client',
      policies: ['ops'],
      createTime: tok.CreateTime,
      createIndex: tok.CreateIndex,
      modifyIndex: tok.ModifyIndex,
    });
    expect(body.toString()).not.toContain('Meta');
    const a = await goRequest('PUT', `/v1/acl/token/${tok.AccessorID}`, { token: root, body });
    expect(expectDecodes(a, ACL_TOKEN)).toMatchObject({ Name: 'tagged2', Meta: { team: 'payments' }, ParentAccessorID: tok.ParentAccessorID });
  });

  it('Update of a TTL token echoes "ExpirationTTL" and ExpirationTime as read, and is accepted', async () => {
    const created = await createToken('ttl', ['ops'], '1h0m0s');
    const body = goTokenBody({
      ttl: created.ExpirationTTL,
      accessor: created.AccessorID,
      secret: created.SecretID,
      name: 'ttl2',
      type: 'client',
      policies: ['ops'],
      createTime: created.CreateTime,
      expirationTime: created.ExpirationTime,
      createIndex: created.CreateIndex,
      modifyIndex: created.ModifyIndex,
    });
    const a = await goRequest('PUT', `/v1/acl/token/${created.AccessorID}`, { token: root, body });
    expect(expectDecodes(a, ACL_TOKEN)).toMatchObject({ Name: 'ttl2', ExpirationTTL: '1h0m0s', ExpirationTime: created.ExpirationTime });
  });

  it('token upload: PUT /v1/acl/token with both IDs creates the token under them; a taken SecretID is a 409', async () => {
    const accessor = 'd8e2f6a1-3b4c-4d5e-8f90-123456789abc';
    const secret = '0f1e2d3c-4b5a-4968-8776-655443322110';
    const a = await goRequest('PUT', '/v1/acl/token', {
      token: root,
      body: goTokenBody({ accessor, secret, name: 'migrated', type: 'client', policies: ['ops'] }),
    });
    const tok = expectDecodes(a, ACL_TOKEN);
    expect(tok).toMatchObject({ AccessorID: accessor, SecretID: secret, Name: 'migrated' });
    const self = expectDecodes(await goRequest('GET', '/v1/acl/token/self', { token: secret }), ACL_TOKEN);
    expect(self.AccessorID).toBe(accessor);
    const taken = await goRequest('PUT', '/v1/acl/token', {
      token: root,
      body: goTokenBody({ accessor: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', secret, name: 'dup', type: 'client', policies: ['ops'] }),
    });
    expect(taken.status).toBe(409);
    expect(taken.body).not.toContain(secret);
  });

  it('ACLTokens().List: GET /v1/acl/tokens decodes into []*api.ACLTokenListStub', async () => {
    await createToken('listed', ['ops']);
    const a = await goRequest('GET', '/v1/acl/tokens', { token: root });
    const list = expectDecodes(a, { slice: ACL_TOKEN_STUB });
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list.every((s: any) => !('SecretID' in s))).toBe(true);
    expectQueryMeta(a);
  });

  it('ACLTokens().Delete and ACLPolicies().Delete: DELETE without a body, answered empty with the index', async () => {
    const ci = await createToken('doomed', ['ops']);
    expect((await upsertPolicy('doomed')).status).toBe(200);
    const tok = await goRequest('DELETE', `/v1/acl/token/${ci.AccessorID}`, { token: root });
    expect(tok.status, tok.body).toBe(200);
    expect(tok.body).toBe('');
    expectWriteMeta(tok);
    const pol = await goRequest('DELETE', '/v1/acl/policy/doomed', { token: root });
    expect(pol.status, pol.body).toBe(200);
    expectWriteMeta(pol);
    const gone = await goRequest('GET', `/v1/acl/token/${ci.AccessorID}`, { token: root });
    expect(gone.status).toBe(404);
    // Error answers carry the index too.
    expect(gone.headers.get('x-nomad-index')).toMatch(/^\d+$/);
  });
});
