import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfigFile, mergeAgentConfig, parseAgentConfig, resolveAgentConfig } from './config.js';
import type { ResolvedAgentConfig } from './config.js';
import { ConfigError } from './errors.js';

const FULL = `
region   = "eu-west"
data_dir = "/var/lib/tollgate"
bind_addr = "127.0.0.1"
log_level = "debug"
ports {
  http = 5646
  rpc  = 5647
}
server {
  enabled = true
  authoritative_region = "global"
  region_peers = { "global" = ["127.0.0.1:4647"], "us-east" = ["tollgate-us:4647"] }
  acl_token_gc_threshold = "2h"
}
acl {
  enabled = true
  replication_token = "4b0a41ca-6d32-1853-e64b-de0d347e4525"
  token_min_expiration_ttl = "30s"
  token_max_expiration_ttl = "48h"
}
etcd {
  endpoints = ["http://127.0.0.1:2379"]
}
limits {
  http_max_body_bytes = 65536
  max_query_wait = "60s"
}
`;

describe('agent config', () => {
  it('reads every Nomad-style key from HCL into the resolved config', () => {
    const c = resolveAgentConfig(parseAgentConfig(FULL, 'full.hcl'));
    expect(c).toMatchObject({
      region: 'eu-west',
      dataDir: '/var/lib/tollgate',
      bindAddr: '127.0.0.1',
      logLevel: 'debug',
      ports: { http: 5646, rpc: 5647 },
      server: {
        authoritativeRegion: 'global',
        regionPeers: { global: ['127.0.0.1:4647'], 'us-east': ['tollgate-us:4647'] },
        aclTokenGcThresholdMs: 7_200_000,
      },
      acl: { enabled: true, tokenMinExpirationTtlMs: 30_000, tokenMaxExpirationTtlMs: 172_800_000 },
      etcd: { endpoints: ['http://127.0.0.1:2379'], prefix: '/tollgate/eu-west/' },
      limits: { httpMaxBodyBytes: 65536, maxQueryWaitMs: 60_000, authorizeMaxChecks: 256 },
    });
    expect(c.acl.replicationToken).toBe('4b0a41ca-6d32-1853-e64b-de0d347e4525');
  });

  it('fills Nomad defaults: region global, authoritative = own region, ports 4646/4647, TTL 1m..24h', () => {
    const c = resolveAgentConfig({ data_dir: '/tmp/x' });
    expect(c.region).toBe('global');
    expect(c.server.authoritativeRegion).toBe('global');
    expect(c.ports).toEqual({ http: 4646, rpc: 4647 });
    expect(c.bindAddr).toBe('0.0.0.0');
    expect(c.acl.tokenMinExpirationTtlMs).toBe(60_000);
    expect(c.acl.tokenMaxExpirationTtlMs).toBe(86_400_000);
    expect(c.etcd).toBeUndefined();
    expect(resolveAgentConfig({ data_dir: '/tmp/x' }, { dev: true }).bindAddr).toBe('127.0.0.1');
  });

  it('accepts the same config as JSON', () => {
    const c = parseAgentConfig('{"region":"us-east","ports":{"http":1}}', 'a.json');
    expect(c).toEqual({ region: 'us-east', ports: { http: 1 } });
  });

  it.each([
    ['regon = "x"', /a\.hcl: unknown key "regon"/],
    ['acl { enabeld = true }', /a\.hcl: unknown key "acl\.enabeld"/],
    ['ports { http = "4646" }', /key "ports\.http" must be a port number/],
    ['ports { http = 70000 }', /key "ports\.http" must be a port number/],
    ['acl { enabled = "yes" }', /key "acl\.enabled" must be true or false/],
    ['acl { token_max_expiration_ttl = "forever" }', /key "acl\.token_max_expiration_ttl" must be a duration/],
    ['ports { http = 1 }\nports { rpc = 2 }', /block "ports" is given more than once/],
    ['region = "unterminated', /a\.hcl: /],
    ['server { region_peers = { "global" = ["no-port"] } }', /region_peers\.global" must be a list of "host:port"/],
    ['etcd { endpoints = "x" }', /key "etcd\.endpoints" must be a list of strings/],
    ['audit { enabled = "yes" }', /key "audit\.enabled" must be true or false/],
    ['audit { rotate_keep = 3 }', /unknown key "audit\.rotate_keep"/],
  ])('rejects %j with an error naming the key and file', (text, re) => {
    expect(() => parseAgentConfig(text, 'a.hcl')).toThrow(ConfigError);
    expect(() => parseAgentConfig(text, 'a.hcl')).toThrow(re);
  });

  it.each([
    [{}, /data_dir: must be set/],
    [{ data_dir: '/x', region: 'bad region' }, /region: invalid region name/],
    [{ data_dir: '/x', log_level: 'loud' }, /log_level: unknown level/],
    [{ data_dir: '/x', acl: { token_min_expiration_ttl: '2h', token_max_expiration_ttl: '1h' } }, /must not exceed/],
    [{ data_dir: '/x', acl: { encryption_key: 'c2hvcnQ=' } }, /acl\.encryption_key: must be base64 of 32 bytes/],
    [{ data_dir: '/x', etcd: { endpoints: [] } }, /etcd\.endpoints: at least one endpoint/],
    [{ data_dir: '/x', acl: { replication_token: '' } }, /acl\.replication_token: must not be empty/],
    [{ data_dir: '/x', limits: { http_max_body_bytes: 10 } }, /limits\.http_max_body_bytes/],
    [{ data_dir: '/x', audit: { enabled: true, rotate_bytes: 100 } }, /audit\.rotate_bytes: must be 0 \(never\) or between 4096/],
    [{ data_dir: '/x', audit: { enabled: true, rotate_max_files: 0 } }, /audit\.rotate_max_files/],
    [{ data_dir: '/x', audit: { enabled: true, queue_lines: 1 } }, /audit\.queue_lines/],
    [{ data_dir: '/x', audit: { enabled: true, path: ' ' } }, /audit\.path: must not be empty/],
  ])('refuses an inconsistent config %j', (input, re) => {
    expect(() => resolveAgentConfig(input)).toThrow(re);
  });

  it.each([
    [{ data_dir: '/x', ports: { http: 70000 } }, /^ports\.http: must be a port number 0-65535$/],
    [{ data_dir: '/x', ports: { http: '4646' } }, /^ports\.http: must be a port number/],
    [{ data_dir: '/x', regon: 'x' }, /^unknown key "regon"$/],
    [{ data_dir: '/x', acl: { enabeld: true } }, /^unknown key "acl\.enabeld"$/],
    [{ data_dir: '/x', acl: { enabled: 'yes' } }, /^acl\.enabled: must be true or false$/],
    [{ data_dir: '/x', server: { replication_wait: '0s' } }, /^server\.replication_wait: must be greater than zero/],
    [{ data_dir: '/x', server: { anti_entropy_interval: 'soon' } }, /^server\.anti_entropy_interval: must be a duration like "30s"/],
    [{ data_dir: '/x', server: { region_peers: { eu: ['no-port'] } } }, /^server\.region_peers\.eu: must be a list of "host:port"/],
    [{ data_dir: '/x', limits: { authorize_max_checks: 0 } }, /^limits\.authorize_max_checks: must be between 1 and 10000$/],
    [{ data_dir: '/x', etcd: {} }, /^etcd\.endpoints: at least one endpoint is required$/],
    [{ data_dir: '/x', ports: 4646 }, /^ports: must be a block$/],
    ['region = "x"', /expected a configuration object/],
  ])('validates whatever resolveAgentConfig is given, not only files: %j', (input, re) => {
    expect(() => resolveAgentConfig(input)).toThrow(ConfigError);
    expect(() => resolveAgentConfig(input)).toThrow(re);
  });

  it.each([
    ['server { anti_entropy_interval = "45s" }', (c: ResolvedAgentConfig) => c.server.antiEntropyIntervalMs, 45_000],
    ['', (c: ResolvedAgentConfig) => c.server.antiEntropyIntervalMs, 30_000],
    ['server { replication_wait = "250ms" }', (c: ResolvedAgentConfig) => c.server.replicationWaitMs, 250],
    ['', (c: ResolvedAgentConfig) => c.server.aclTokenGcIntervalMs, 300_000],
    ['limits { authorize_max_checks = 7 }', (c: ResolvedAgentConfig) => c.limits.authorizeMaxChecks, 7],
    ['', (c: ResolvedAgentConfig) => c.limits.maxQueryWaitMs, 300_000],
    ['etcd { endpoints = ["http://e:2379"] }\nregion = "r"', (c: ResolvedAgentConfig) => c.etcd?.prefix, '/tollgate/r/'],
    ['region = "r"', (c: ResolvedAgentConfig) => c.server.authoritativeRegion, 'r'],
    ['acl { encryption_key = "' + Buffer.alloc(32, 7).toString('base64') + '" }', (c: ResolvedAgentConfig) => c.acl.encryptionKey?.length, 32],
  ])('round-trips %j from HCL to the resolved value', (text, pick, want) => {
    expect(pick(resolveAgentConfig(parseAgentConfig(`data_dir = "/x"\n${text}`, 'a.hcl')))).toEqual(want);
  });

  it('treats inherited Object properties as unknown keys and region names', () => {
    expect(() => parseAgentConfig('toString = "x"', 'a.hcl')).toThrow(/unknown key "toString"/);
    expect(() => parseAgentConfig('acl { constructor = "x" }', 'a.hcl')).toThrow(/unknown key "acl\.constructor"/);
    const c = resolveAgentConfig(parseAgentConfig('data_dir = "/x"\nserver { region_peers = { "eu" = ["h:1"] } }', 'a.hcl'));
    expect(c.server.regionPeers['constructor']).toBeUndefined();
    expect(c.server.regionPeers['__proto__']).toBeUndefined();
    expect(c.server.regionPeers['eu']).toEqual(['h:1']);
  });

  it('loads without changing process-wide Error settings (the HCL parser is imported guarded)', async () => {
    parseAgentConfig('region = "x"', 'a.hcl');
    expect(Error.stackTraceLimit).not.toBe(Infinity);
  });

  it('resolves the audit block: off by default, path left to the agent (data dir) unless given, stdout kept as is', () => {
    expect(resolveAgentConfig({ data_dir: '/x' }).audit).toEqual({ enabled: false, path: undefined, failOpen: false, rotateBytes: 0, rotateMaxFiles: 10, queueLines: 65_536 });
    expect(resolveAgentConfig(parseAgentConfig('data_dir = "/x"\naudit {\n  enabled = true\n  path = "rel/audit.log"\n}\n', 'a.hcl')).audit).toMatchObject({
      enabled: true,
      path: resolve('rel/audit.log'),
    });
    const text = 'data_dir = "/x"\naudit {\n  enabled = true\n  path = "stdout"\n  fail_open = true\n  rotate_bytes = 1048576\n  rotate_max_files = 3\n  queue_lines = 1024\n}\n';
    expect(resolveAgentConfig(parseAgentConfig(text, 'a.hcl')).audit).toEqual({ enabled: true, path: 'stdout', failOpen: true, rotateBytes: 1_048_576, rotateMaxFiles: 3, queueLines: 1024 });
  });

  it('merges files and flags left to right, per key inside blocks', () => {
    const merged = mergeAgentConfig(
      { region: 'a', ports: { http: 1, rpc: 2 }, acl: { enabled: true } },
      { ports: { http: 3 } },
      { region: 'b', ports: { rpc: undefined } },
    );
    expect(merged).toEqual({ region: 'b', ports: { http: 3, rpc: 2 }, acl: { enabled: true } });
  });

  it('names the file when it cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-cfg-'));
    expect(() => loadAgentConfigFile(join(dir, 'missing.hcl'))).toThrow(/cannot read config file .*missing\.hcl: ENOENT/);
    const file = join(dir, 'ok.hcl');
    await writeFile(file, 'region = "r1"\n');
    expect(loadAgentConfigFile(file)).toEqual({ region: 'r1' });
    await rm(dir, { recursive: true, force: true });
  });
});

describe('tls, etcd TLS and RPC limits', () => {
  it('resolves the tls block, etcd credentials and RPC limits, with defaults', () => {
    const c = resolveAgentConfig(
      parseAgentConfig(
        `data_dir = "/d"
tls {
  http = true
  rpc = true
  ca_file = "/etc/tollgate/ca.pem"
  cert_file = "/etc/tollgate/global-server-tollgate.pem"
  key_file = "/etc/tollgate/global-server-tollgate-key.pem"
  verify_server_hostname = true
  tls_min_version = "tls13"
}
etcd {
  endpoints = ["https://127.0.0.1:2379"]
  ca_file = "/etc/etcd/ca.pem"
  cert_file = "/etc/etcd/client.pem"
  key_file = "/etc/etcd/client-key.pem"
  username = "tollgate"
  password = "pw"
}
limits {
  rpc_max_conns_per_client = 20
  rpc_handshake_timeout = "2s"
}`,
        'tls.hcl',
      ),
    );
    expect(c.tls).toEqual({
      http: true,
      rpc: true,
      caFile: '/etc/tollgate/ca.pem',
      certFile: '/etc/tollgate/global-server-tollgate.pem',
      keyFile: '/etc/tollgate/global-server-tollgate-key.pem',
      verifyServerHostname: true,
      verifyHttpsClient: false,
      tlsMinVersion: 'TLSv1.3',
    });
    expect(c.etcd).toMatchObject({ caFile: '/etc/etcd/ca.pem', certFile: '/etc/etcd/client.pem', keyFile: '/etc/etcd/client-key.pem', username: 'tollgate', password: 'pw' });
    expect(c.limits).toMatchObject({ rpcMaxConnsPerClient: 20, rpcHandshakeTimeoutMs: 2000 });
    const d = resolveAgentConfig({ data_dir: '/d' });
    expect(d.tls).toMatchObject({ http: false, rpc: false, verifyServerHostname: false, tlsMinVersion: 'TLSv1.2' });
    expect(d.limits).toMatchObject({ rpcMaxConnsPerClient: 100, rpcHandshakeTimeoutMs: 5000 });
  });

  it('refuses incomplete or wrong tls and etcd settings, naming the key', () => {
    const bad: Array<[Parameters<typeof resolveAgentConfig>[0], string]> = [
      [{ data_dir: '/d', tls: { rpc: true, ca_file: '/ca', cert_file: '/c' } }, 'tls.key_file: required when tls.http or tls.rpc is true'],
      [{ data_dir: '/d', tls: { tls_min_version: 'tls10' } }, 'tls.tls_min_version: must be "tls12" or "tls13" (got "tls10")'],
      [{ data_dir: '/d', etcd: { endpoints: ['https://e:2379'], cert_file: '/c' } }, 'etcd.cert_file: cert_file and key_file go together'],
      [{ data_dir: '/d', etcd: { endpoints: ['https://e:2379'], username: 'u' } }, 'etcd.username: username and password go together'],
      [{ data_dir: '/d', limits: { rpc_max_conns_per_client: 0 } }, 'limits.rpc_max_conns_per_client: must be between 1 and 100000'],
      [{ data_dir: '/d', limits: { rpc_handshake_timeout: '0s' } }, 'limits.rpc_handshake_timeout: must be greater than zero (got "0s")'],
    ];
    for (const [input, message] of bad) expect(() => resolveAgentConfig(input)).toThrow(new ConfigError(message));
    expect(() => parseAgentConfig('tls {\n  http = "yes"\n}', 'x.hcl')).toThrow('x.hcl: key "tls.http" must be true or false');
    expect(() => parseAgentConfig('tls {\n  verify_incoming = true\n}', 'x.hcl')).toThrow('x.hcl: unknown key "tls.verify_incoming"');
  });
});

describe('limits against hostile clients', () => {
  it('resolves the HTTP limits and request_limits with their defaults, from HCL too', () => {
    const d = resolveAgentConfig({ data_dir: '/tmp/x' }).limits;
    expect(d).toMatchObject({ httpMaxConnsPerClient: 100, httpsHandshakeTimeoutMs: 5000, httpReadTimeoutMs: 30_000, httpIdleTimeoutMs: 60_000 });
    expect(d.requestLimits).toEqual({
      mode: 'enforcing',
      writeRate: 10_000,
      writeBurst: 10_000,
      checkRate: 50_000,
      checkBurst: 50_000,
      tokenWriteRate: 10_000,
      tokenCheckRate: 50_000,
      anonymousRate: 1_000,
    });
    const hcl = parseAgentConfig('limits {\n  http_idle_timeout = "5s"\n  request_limits {\n    mode = "permissive"\n    check_rate = 7\n  }\n}\n', 'a.hcl');
    const r = resolveAgentConfig({ ...hcl, data_dir: '/tmp/x' }).limits;
    expect(r.httpIdleTimeoutMs).toBe(5000);
    expect(r.requestLimits).toMatchObject({ mode: 'permissive', checkRate: 7, checkBurst: 7, tokenCheckRate: 7 });
  });

  it('names the key of a bad limit, and refuses both encryption_key and encryption_key_file', () => {
    expect(() => parseAgentConfig('limits {\n  request_limits {\n    mode = "off"\n  }\n}\n', 'a.hcl')).toThrow(/a.hcl: key "limits.request_limits" must be a block of mode/);
    expect(() => resolveAgentConfig({ data_dir: '/tmp/x', limits: { http_read_timeout: '0s' } })).toThrow(/limits.http_read_timeout/);
    expect(() =>
      resolveAgentConfig({ data_dir: '/tmp/x', acl: { encryption_key: Buffer.alloc(32).toString('base64'), encryption_key_file: '/etc/k' } }),
    ).toThrow('acl.encryption_key_file: set either acl.encryption_key or acl.encryption_key_file, not both');
    expect(resolveAgentConfig({ data_dir: '/tmp/x', acl: { encryption_key_file: 'rel/k' } }).acl.encryptionKeyFile).toMatch(/^\/.*rel\/k$/);
  });
});
