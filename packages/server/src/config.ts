import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { decodeHcl, PolicyError } from '@tollgate/acl';
import {
  absolutePath,
  block,
  checkKey,
  duration,
  isBlock,
  optional,
  optionalAs,
  optionalBlock,
  required,
  requiredAs,
  resolvedName,
  withDefault,
  withDefaultAs,
} from './config-keys.js';
import type { BlockDecl, DefaultContext, InputTable, KeyDecl, KeyError, ResolvedTable } from './config-keys.js';
import { ConfigError } from './errors.js';
import type { RequestLimitsConfig } from './http/request-limiter.js';

const REGION_PATTERN = '^[a-zA-Z0-9_-]{1,64}$';
const REGION_RE = new RegExp(REGION_PATTERN);
const HOST_PORT_RE = /^[^\s:]+:\d{1,5}$/;

const regionName = Type.String({ pattern: REGION_PATTERN });
const regionNameError = (v: string): string => `invalid region name "${v}"`;
const port = Type.Integer({ minimum: 0, maximum: 65535 });
const PORT_ERROR = 'must be a port number 0-65535';
const between = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });

const rate = Type.Optional(between(1, 10_000_000));
/** `limits.request_limits { … }`. */
const REQUEST_LIMITS = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal('enforcing'), Type.Literal('permissive'), Type.Literal('disabled')])),
    write_rate: rate,
    write_burst: rate,
    check_rate: rate,
    check_burst: rate,
    token_write_rate: rate,
    token_check_rate: rate,
    anonymous_rate: rate,
  },
  { additionalProperties: false },
);

/**
 * `limits.request_limits` with its defaults: generous for one busy service
 * with a token (the benchmarks: ~30,000 checks/s, ~7,000 writes/s from one
 * address), small for callers without a known token, where floods come from.
 */
function resolveRequestLimits(v: Static<typeof REQUEST_LIMITS>): RequestLimitsConfig {
  const writeRate = v.write_rate ?? 10_000;
  const checkRate = v.check_rate ?? 50_000;
  return {
    mode: v.mode ?? 'enforcing',
    writeRate,
    writeBurst: v.write_burst ?? writeRate,
    checkRate,
    checkBurst: v.check_burst ?? checkRate,
    tokenWriteRate: v.token_write_rate ?? writeRate,
    tokenCheckRate: v.token_check_rate ?? checkRate,
    anonymousRate: v.anonymous_rate ?? 1_000,
  };
}

/** `region_peers`: region → `host:port` addresses; the error names the first bad entry. */
function peersError(v: Record<string, unknown>): KeyError {
  for (const [region, addrs] of Object.entries(v)) {
    if (!REGION_RE.test(region)) return `has an invalid region name "${region}"`;
    if (!Array.isArray(addrs) || addrs.length === 0 || !addrs.every((a) => typeof a === 'string' && HOST_PORT_RE.test(a))) {
      return { at: region, text: 'must be a list of "host:port" addresses' };
    }
  }
  return 'must map region names to lists of "host:port" addresses';
}

/**
 * Every key the agent knows, declared once: Nomad's agent keys (`region`,
 * `data_dir`, `bind_addr`, `ports`, `server`, `acl`) and Tollgate's own
 * (`etcd`, `limits`, `log_level`). A declaration gives the type and the
 * validation (a TypeBox schema), the default, the error text and the
 * resolution; `AgentConfigInput` and `ResolvedAgentConfig` are derived from
 * this table (resolved names are camelCase, durations become `…Ms`).
 *
 * Adding a key is one line here (and its line in the README's config
 * example); a new block is a `block({ … })` entry. Rules that relate several
 * keys live in `CROSS_FIELD_RULES`.
 */
const AGENT_CONFIG = {
  /** @default "global" */
  region: withDefault(regionName, 'global', { error: regionNameError }),
  /** Where the state machine lives. Required (`-dev` makes a temporary one). */
  data_dir: requiredAs(Type.String(), 'must be set (or run with -dev)', absolutePath),
  /** @default "0.0.0.0" ("127.0.0.1" in dev mode) */
  bind_addr: withDefault(Type.String(), ({ dev }) => (dev ? '127.0.0.1' : '0.0.0.0')),
  /** @default "info" */
  log_level: withDefault(Type.String({ pattern: '^(trace|debug|info|warn|error|fatal|silent)$' }), 'info', { error: (v) => `unknown level "${v}"` }),
  /**
   * Browser origins (`https://ui.example:8443`) besides the agent's own that
   * may send writes; any other `Origin` on a write gets 403. @default []
   */
  http_allowed_origins: withDefault(Type.Array(Type.String()), []),
  ports: block({
    /** @default 4646 (0 = pick a free port) */
    http: withDefault(port, 4646, { error: PORT_ERROR, typeError: PORT_ERROR }),
    /** @default 4647 (0 = pick a free port) */
    rpc: withDefault(port, 4647, { error: PORT_ERROR, typeError: PORT_ERROR }),
  }),
  server: block({
    /** Nomad's `server { enabled = true }`, accepted so Nomad configs load; a Tollgate agent is always a server. */
    enabled: optional(Type.Boolean()),
    /** @default the agent's own region */
    authoritative_region: withDefault(regionName, ({ region }) => region, { error: regionNameError }),
    /** region → RPC addresses (`host:port`) of that region's agents. */
    region_peers: withDefaultAs(
      Type.Record(Type.String({ pattern: REGION_PATTERN }), Type.Array(Type.String({ pattern: HOST_PORT_RE.source }), { minItems: 1 })),
      {},
      // A null-prototype map: region names come from query strings
      // (`?region=`), and `constructor` or `__proto__` must find nothing.
      (peers): Readonly<Record<string, readonly string[]>> =>
        Object.freeze(Object.assign(Object.create(null) as Record<string, readonly string[]>, peers)),
      { error: peersError, hclMap: true },
    ),
    /** Expired tokens younger than this (by CreateTime) are kept. @default "1h" */
    acl_token_gc_threshold: duration('1h'),
    /** How often expired tokens are collected. @default "5m" */
    acl_token_gc_interval: duration('5m'),
    /**
     * Tollgate: longest a request waits for this region's replica to reach
     * an authoritative index — after a forwarded global write
     * (read-your-writes) or for `X-Tollgate-Min-Index` — before answering
     * 504. @default "5s"
     */
    replication_wait: duration('5s', { positive: true }),
    /**
     * Tollgate: how often a follower compares the digest of its global state
     * with the authoritative region's and resyncs on a mismatch. @default "30s"
     */
    anti_entropy_interval: duration('30s', { positive: true }),
  }),
  acl: block({
    /** @default true (Tollgate is an ACL service; Nomad defaults to false) */
    enabled: withDefault(Type.Boolean(), true),
    /** Management SecretID a follower region replicates with. */
    replication_token: optional(Type.String({ pattern: '\\S' }), { error: 'must not be empty (leave the key out instead)' }),
    /** @default "1m" */
    token_min_expiration_ttl: duration('1m'),
    /** @default "24h" */
    token_max_expiration_ttl: duration('24h'),
    /**
     * Tollgate (issue 13): the lease a new client token gets when its
     * request names no `ExpirationTTL`/`ExpirationTime`; "0s" = none (Nomad's
     * behaviour). Must lie within the min/max expiration TTLs. @default "0s"
     */
    default_token_ttl: duration('0s'),
    /**
     * Tollgate: `true` makes a new token the child of the token that created
     * it (revoked with it) unless it asks for `Orphan`; `false` (Nomad's
     * behaviour) makes it an orphan unless it asks for `Child`. @default false
     */
    child_tokens: withDefault(Type.Boolean(), false),
    /**
     * base64 of 32 bytes that encrypt SecretIDs at rest. By default a key is
     * generated once into `<data_dir>/server/keyring` (mode 0600).
     */
    encryption_key: optionalAs(Type.String({ format: 'base64-32' }), (b64) => Buffer.from(b64, 'base64'), { error: 'must be base64 of 32 bytes' }),
    /**
     * Path of a file holding the key (base64 of 32 bytes, mode 0600): the
     * production setup, kept outside `data_dir` so a backup of the data dir
     * does not carry its key. Exclusive with `encryption_key`.
     */
    encryption_key_file: optionalAs(Type.String({ minLength: 1 }), absolutePath, { error: 'must be a file path' }),
  }),
  /** HA mode (docs/ha.md); without it, the embedded LevelDB region log. */
  etcd: optionalBlock({
    endpoints: required(Type.Array(Type.String(), { minItems: 1 }), 'at least one endpoint is required', {
      error: 'at least one endpoint is required',
    }),
    /** @default "/tollgate/<region>/" */
    prefix: withDefault(Type.String(), ({ region }) => `/tollgate/${region}/`),
    /** CA that signed etcd's server certificate (https endpoints). */
    ca_file: optionalAs(Type.String(), absolutePath),
    /** Client certificate for etcd's `--client-cert-auth`; with `key_file`. */
    cert_file: optionalAs(Type.String(), absolutePath),
    key_file: optionalAs(Type.String(), absolutePath),
    /** etcd's own authentication; with `password`. */
    username: optional(Type.String()),
    password: optional(Type.String()),
    /**
     * etcd's `--max-txn-ops` as the operator set it: the most operations one
     * atomic write may carry. A token revocation with its descendants is one
     * transaction of 2 operations per token plus 4, so a tree of N tokens
     * needs `--max-txn-ops` ≥ 2N + 4 on every etcd member and this key set to
     * it; a larger tree is refused (503, nothing revoked). @default 128 (etcd's default)
     */
    max_txn_ops: withDefault(Type.Integer({ minimum: 128, maximum: 1_000_000 }), 128, { error: 'must be an integer from 128 (etcd\'s default) to 1000000' }),
  }),
  /** Nomad's `tls` block: HTTPS on the HTTP port, mTLS on the RPC port (README "Securing Tollgate"). */
  tls: block({
    /** HTTPS on `ports.http`. @default false */
    http: withDefault(Type.Boolean(), false),
    /** mTLS on `ports.rpc`, server and client side. @default false */
    rpc: withDefault(Type.Boolean(), false),
    ca_file: optionalAs(Type.String(), absolutePath),
    cert_file: optionalAs(Type.String(), absolutePath),
    key_file: optionalAs(Type.String(), absolutePath),
    /** Peers of region R must present `server.R.tollgate`; RPC callers a `server.<region>.tollgate` certificate. @default false */
    verify_server_hostname: withDefault(Type.Boolean(), false),
    /** HTTPS clients must present a certificate from the CA. @default false */
    verify_https_client: withDefault(Type.Boolean(), false),
    /** "tls12" or "tls13"; resolved to Node's name. @default "tls12" */
    tls_min_version: withDefaultAs(
      Type.String({ pattern: '^tls1[23]$' }),
      'tls12',
      (v): 'TLSv1.2' | 'TLSv1.3' => (v === 'tls13' ? 'TLSv1.3' : 'TLSv1.2'),
      { error: (v) => `must be "tls12" or "tls13" (got "${v}")` },
    ),
  }),
  limits: block({
    /** Largest request body accepted. @default 1048576 */
    http_max_body_bytes: withDefault(between(1024, 64 * 1_048_576), 1_048_576, { error: 'must be between 1024 and 67108864' }),
    /** Most checks in one `/v1/acl/authorize` call. @default 256 */
    authorize_max_checks: withDefault(between(1, 10_000), 256, { error: 'must be between 1 and 10000' }),
    /** Longest blocking-query wait. @default "300s" (Nomad's cap) */
    max_query_wait: duration('300s'),
    /** Open RPC connections one remote address may hold. @default 100 (Nomad's) */
    rpc_max_conns_per_client: withDefault(between(1, 100_000), 100, { error: 'must be between 1 and 100000' }),
    /** A new RPC connection must finish its TLS handshake within this. @default "5s" */
    rpc_handshake_timeout: duration('5s', { positive: true }),
    /** Open HTTP connections per client address (Nomad's key); 0 = unlimited. @default 100 */
    http_max_conns_per_client: withDefault(between(0, 1_000_000), 100, { error: 'must be between 0 and 1000000' }),
    /** Longest a TLS handshake on the HTTPS listener may take (Nomad's key). @default "5s" */
    https_handshake_timeout: duration('5s', { positive: true }),
    /** Longest time to receive a whole request, headers and body (then 408). @default "30s" */
    http_read_timeout: duration('30s', { positive: true }),
    /** A connection idle this long with no request in flight is closed. @default "60s" */
    http_idle_timeout: duration('60s', { positive: true }),
    /** Request rate limits per client address and per token (429 + Retry-After); see `RequestLimitsConfig`. */
    request_limits: withDefaultAs(REQUEST_LIMITS, {}, resolveRequestLimits, {
      hclMap: true,
      error:
        'must be a block of mode ("enforcing", "permissive" or "disabled") and write_rate, write_burst, check_rate, check_burst, token_write_rate, token_check_rate, anonymous_rate (integers from 1 to 10000000)',
    }),
  }),
  /** The audit log (README "Audit log"). */
  audit: block({
    /** @default false */
    enabled: withDefault(Type.Boolean(), false),
    /** A file, or "stdout". @default "<data_dir>/audit/audit.log" (the agent fills it in) */
    path: optionalAs(Type.String({ pattern: '\\S' }), (p) => (p === 'stdout' ? p : absolutePath(p)), { error: 'must not be empty' }),
    /** Serve requests unaudited when the log cannot be written (else they get 503). @default false */
    fail_open: withDefault(Type.Boolean(), false),
    /** Rotate the file after this many bytes; 0 = never (rotate externally, then SIGHUP). @default 0 */
    rotate_bytes: withDefault(Type.Union([Type.Literal(0), between(4096, 2 ** 40)]), 0, { error: 'must be 0 (never) or between 4096 and 2^40' }),
    /** Rotated files kept (`audit.log.1` … `.N`). @default 10 */
    rotate_max_files: withDefault(between(1, 10_000), 10, { error: 'must be between 1 and 10000' }),
    /** Lines queued before answers wait for the writer (back-pressure). @default 65536 */
    queue_lines: withDefault(between(16, 10_000_000), 65_536, { error: 'must be between 16 and 10000000' }),
  }),
  /** The operator web UI at `/ui/` (served only when built; the API never depends on it). */
  ui: block({
    /** @default true */
    enabled: withDefault(Type.Boolean(), true),
  }),
};

/**
 * The agent configuration as a user writes it (derived from `AGENT_CONFIG`).
 * Every field is optional; `resolveAgentConfig` fills the defaults.
 */
export type AgentConfigInput = InputTable<typeof AGENT_CONFIG>;

/** The configuration after defaults and validation; what the agent runs on (derived from `AGENT_CONFIG`). */
export type ResolvedAgentConfig = ResolvedTable<typeof AGENT_CONFIG> & { readonly dev: boolean };

/** The `tls` block after defaults (its files are read and checked at start, tls/agent-tls.ts). */
export type ResolvedTlsConfig = ResolvedAgentConfig['tls'];

/** The `etcd` block after defaults. */
export type ResolvedEtcdConfig = NonNullable<ResolvedAgentConfig['etcd']>;

/**
 * Rules that relate several keys, in one place. Each gets the resolved
 * config and throws a `ConfigError` naming the key when it is broken.
 */
const CROSS_FIELD_RULES: ReadonlyArray<(c: ResolvedAgentConfig) => void> = [
  (c) => {
    if (c.acl.tokenMinExpirationTtlMs > c.acl.tokenMaxExpirationTtlMs) {
      throw new ConfigError('acl.token_min_expiration_ttl: must not exceed acl.token_max_expiration_ttl');
    }
  },
  (c) => {
    const ttl = c.acl.defaultTokenTtlMs;
    if (ttl !== 0 && (ttl < c.acl.tokenMinExpirationTtlMs || ttl > c.acl.tokenMaxExpirationTtlMs)) {
      throw new ConfigError('acl.default_token_ttl: must lie between acl.token_min_expiration_ttl and acl.token_max_expiration_ttl');
    }
  },
  (c) => {
    if (!c.tls.http && !c.tls.rpc) return;
    for (const [key, v] of [['ca_file', c.tls.caFile], ['cert_file', c.tls.certFile], ['key_file', c.tls.keyFile]] as const) {
      if (v === undefined) throw new ConfigError(`tls.${key}: required when tls.http or tls.rpc is true`);
    }
  },
  (c) => {
    if (c.etcd === undefined) return;
    if ((c.etcd.certFile === undefined) !== (c.etcd.keyFile === undefined)) throw new ConfigError('etcd.cert_file: cert_file and key_file go together');
    if ((c.etcd.username === undefined) !== (c.etcd.password === undefined)) throw new ConfigError('etcd.username: username and password go together');
  },
  (c) => {
    if (c.acl.encryptionKey !== undefined && c.acl.encryptionKeyFile !== undefined) {
      throw new ConfigError('acl.encryption_key_file: set either acl.encryption_key or acl.encryption_key_file, not both');
    }
  },
];

type Table = Readonly<Record<string, KeyDecl | BlockDecl>>;

/**
 * Parses one HCL (or JSON) agent config file into the input shape, checking
 * every key and value type. Errors name the file and the key.
 */
export function parseAgentConfig(text: string, source: string): AgentConfigInput {
  // The acl package's guarded loader of hashicorp/hcl v1 (the GopherJS build
  // would otherwise change process-wide globals on import).
  let doc: unknown;
  try {
    doc = decodeHcl(text);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    throw new ConfigError(`${source}: ${err.message.replace(/^Failed to parse ACL Policy: /, '')}`);
  }
  if (!isObject(doc)) throw new ConfigError(`${source}: expected a configuration document`);
  return validateInput(doc, AGENT_CONFIG, { source, hcl: true }) as AgentConfigInput;
}

/** Reads and parses a config file (`-config=FILE`). */
export function loadAgentConfigFile(file: string): AgentConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseAgentConfig(text, file);
}

/** Merges config inputs left to right; later files and flags win per key. */
export function mergeAgentConfig(...inputs: AgentConfigInput[]): AgentConfigInput {
  const out: Record<string, unknown> = {};
  for (const input of inputs) {
    for (const [key, value] of Object.entries(input)) {
      if (value === undefined) continue;
      if (isBlockName(key) && isObject(value)) {
        out[key] = { ...(isObject(out[key]) ? out[key] : {}), ...stripUndefined(value) };
      } else {
        out[key] = value;
      }
    }
  }
  return out as AgentConfigInput;
}

/**
 * Validates `input` (whatever it is: a merged file config or an object built
 * in code), applies the defaults and the cross-field rules. Errors name the
 * key.
 *
 * @example resolveAgentConfig({ region: 'eu-west', data_dir: '/var/lib/tollgate' })
 */
export function resolveAgentConfig(input: unknown, opts: { dev?: boolean } = {}): ResolvedAgentConfig {
  const dev = opts.dev ?? false;
  const valid = validateInput(input, AGENT_CONFIG, { hcl: false });
  const regionDecl = AGENT_CONFIG.region;
  const ctx: DefaultContext = { region: (valid['region'] as string | undefined) ?? (regionDecl.default as string), dev };
  const out: Record<string, unknown> = { dev };
  for (const [name, d] of Object.entries(AGENT_CONFIG as Table)) {
    if (isBlock(d)) {
      const given = valid[name] as Record<string, unknown> | undefined;
      if (given === undefined && d.optional) {
        out[resolvedName(name, d as unknown as KeyDecl)] = undefined;
        continue;
      }
      const resolved: Record<string, unknown> = {};
      for (const [key, k] of Object.entries(d.keys)) resolved[resolvedName(key, k)] = resolveKey(`${name}.${key}`, k, given?.[key], ctx);
      out[name] = resolved;
    } else {
      out[resolvedName(name, d)] = resolveKey(name, d, valid[name], ctx);
    }
  }
  const config = out as ResolvedAgentConfig;
  for (const rule of CROSS_FIELD_RULES) rule(config);
  return config;
}

function resolveKey(path: string, k: KeyDecl, value: unknown, ctx: DefaultContext): unknown {
  let v = value;
  if (v === undefined) v = typeof k.default === 'function' ? (k.default as (c: DefaultContext) => unknown)(ctx) : k.default;
  if (v === undefined) {
    if (k.required !== undefined) throw new ConfigError(`${path}: ${k.required}`);
    return undefined;
  }
  return k.resolve(v as never);
}

/**
 * Checks every key and value of a config document against the table:
 * unknown keys, wrong types and bad values are `ConfigError`s naming the key
 * (and the file, `source`, when there is one). `hcl` unwraps HCL v1's
 * one-element lists around blocks and maps. `undefined` values count as
 * absent. Returns a copy without them.
 */
function validateInput(doc: unknown, table: Table, opts: { source?: string; hcl: boolean }): Record<string, unknown> {
  const { source } = opts;
  const fail = (path: string, text: string): never => {
    throw new ConfigError(source === undefined ? `${path}: ${text}` : `${source}: key "${path}" ${text}`);
  };
  const unknownKey = (path: string): never => {
    throw new ConfigError(source === undefined ? `unknown key "${path}"` : `${source}: unknown key "${path}"`);
  };
  if (!isObject(doc)) throw new ConfigError(source === undefined ? 'expected a configuration object' : `${source}: expected a configuration document`);
  const checkValue = (path: string, k: KeyDecl, raw: unknown): unknown => {
    const value = opts.hcl && k.hclMap ? unwrapBlock(raw, path, source) : raw;
    const err = checkKey(k, value);
    if (err === undefined) return value;
    if (typeof err === 'string') return fail(path, err);
    return fail(`${path}.${err.at}`, err.text);
  };
  const result: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(doc)) {
    if (raw === undefined) continue;
    const d = Object.hasOwn(table, key) ? table[key] : undefined;
    if (d === undefined) return unknownKey(key);
    if (!isBlock(d)) {
      result[key] = checkValue(key, d, raw);
      continue;
    }
    const blockValue = opts.hcl ? unwrapBlock(raw, key, source) : raw;
    if (!isObject(blockValue)) return fail(key, 'must be a block');
    const target: Record<string, unknown> = {};
    for (const [sub, value] of Object.entries(blockValue)) {
      if (value === undefined) continue;
      const k = Object.hasOwn(d.keys, sub) ? d.keys[sub] : undefined;
      if (k === undefined) return unknownKey(`${key}.${sub}`);
      target[sub] = checkValue(`${key}.${sub}`, k, value);
    }
    result[key] = target;
  }
  return result;
}

function isBlockName(key: string): boolean {
  const d = Object.hasOwn(AGENT_CONFIG, key) ? (AGENT_CONFIG as Table)[key] : undefined;
  return d !== undefined && isBlock(d);
}

/** HCL v1 turns every block into a list; a block given twice is an error. */
function unwrapBlock(raw: unknown, key: string, source: string | undefined): unknown {
  if (Array.isArray(raw) && raw.length > 0 && raw.every(isObject)) {
    if (raw.length !== 1) throw new ConfigError(`${source ?? 'config'}: block "${key}" is given more than once`);
    return raw[0];
  }
  return raw;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
