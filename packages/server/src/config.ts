import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeHcl, parseGoDuration, PolicyError } from '@tollgate/acl';
import { ConfigError } from './errors.js';

/**
 * The agent configuration as a user writes it: Nomad's agent keys in HCL
 * (`region`, `data_dir`, `bind_addr`, `ports`, `server`, `acl`), plus
 * Tollgate's own (`etcd`, `limits`, `log_level`). Every field is optional;
 * `resolveAgentConfig` fills the defaults.
 */
export interface AgentConfigInput {
  /** @default "global" */
  region?: string;
  /** Where the state machine lives. Required unless `dev`. */
  data_dir?: string;
  /** @default "0.0.0.0" ("127.0.0.1" in dev mode) */
  bind_addr?: string;
  /** @default "info" */
  log_level?: string;
  ports?: {
    /** @default 4646 (0 = pick a free port) */
    http?: number;
    /** @default 4647 (0 = pick a free port) */
    rpc?: number;
  };
  server?: {
    /** @default the agent's own region */
    authoritative_region?: string;
    /** region → RPC addresses (`host:port`) of that region's agents. */
    region_peers?: Record<string, string[]>;
    /** Expired tokens younger than this (by CreateTime) are kept. @default "1h" */
    acl_token_gc_threshold?: string;
    /** How often expired tokens are collected. @default "5m" */
    acl_token_gc_interval?: string;
    /**
     * Tollgate: longest a request waits for this region's replica to reach
     * an authoritative index — after a forwarded global write
     * (read-your-writes) or for `X-Tollgate-Min-Index` — before answering
     * 504. @default "5s"
     */
    replication_wait?: string;
    /**
     * Tollgate: how often a follower compares the digest of its global state
     * with the authoritative region's and resyncs on a mismatch. @default "30s"
     */
    anti_entropy_interval?: string;
  };
  acl?: {
    /** @default true (Tollgate is an ACL service; Nomad defaults to false) */
    enabled?: boolean;
    /** Management SecretID a follower region replicates with. */
    replication_token?: string;
    /** @default "1m" */
    token_min_expiration_ttl?: string;
    /** @default "24h" */
    token_max_expiration_ttl?: string;
    /**
     * base64 of 32 bytes that encrypt SecretIDs at rest. By default a key is
     * generated once into `<data_dir>/server/keyring` (mode 0600).
     */
    encryption_key?: string;
  };
  etcd?: {
    endpoints?: string[];
    /** @default "/tollgate/<region>/" */
    prefix?: string;
  };
  limits?: {
    /** Largest request body accepted. @default 1048576 */
    http_max_body_bytes?: number;
    /** Most checks in one `/v1/acl/authorize` call. @default 256 */
    authorize_max_checks?: number;
    /** Longest blocking-query wait. @default "300s" (Nomad's cap) */
    max_query_wait?: string;
  };
  /** The operator web UI at `/ui/`. */
  ui?: {
    /** @default true (served when the built assets are present) */
    enabled?: boolean;
  };
}

/** The configuration after defaults and validation; what the agent runs on. */
export interface ResolvedAgentConfig {
  readonly region: string;
  readonly dataDir: string;
  readonly dev: boolean;
  readonly bindAddr: string;
  readonly logLevel: string;
  readonly ports: { readonly http: number; readonly rpc: number };
  readonly server: {
    readonly authoritativeRegion: string;
    readonly regionPeers: Readonly<Record<string, readonly string[]>>;
    readonly aclTokenGcThresholdMs: number;
    readonly aclTokenGcIntervalMs: number;
    readonly replicationWaitMs: number;
    readonly antiEntropyIntervalMs: number;
  };
  readonly acl: {
    readonly enabled: boolean;
    readonly replicationToken: string | undefined;
    readonly tokenMinExpirationTtlMs: number;
    readonly tokenMaxExpirationTtlMs: number;
    readonly encryptionKey: Buffer | undefined;
  };
  readonly etcd: { readonly endpoints: readonly string[]; readonly prefix: string } | undefined;
  readonly limits: {
    readonly httpMaxBodyBytes: number;
    readonly authorizeMaxChecks: number;
    readonly maxQueryWaitMs: number;
  };
  readonly ui: { readonly enabled: boolean };
}

type FieldKind = 'string' | 'bool' | 'port' | 'int' | 'duration' | 'strings' | 'peers';

/** Every key the agent knows, by dotted path. Anything else is an error. */
const FIELDS: Readonly<Record<string, FieldKind>> = {
  region: 'string',
  data_dir: 'string',
  bind_addr: 'string',
  log_level: 'string',
  'ports.http': 'port',
  'ports.rpc': 'port',
  'server.authoritative_region': 'string',
  'server.region_peers': 'peers',
  'server.acl_token_gc_threshold': 'duration',
  'server.acl_token_gc_interval': 'duration',
  'server.replication_wait': 'duration',
  'server.anti_entropy_interval': 'duration',
  // Nomad's `server { enabled = true }` is accepted so Nomad configs load;
  // a Tollgate agent is always a server.
  'server.enabled': 'bool',
  'acl.enabled': 'bool',
  'acl.replication_token': 'string',
  'acl.token_min_expiration_ttl': 'duration',
  'acl.token_max_expiration_ttl': 'duration',
  'acl.encryption_key': 'string',
  'etcd.endpoints': 'strings',
  'etcd.prefix': 'string',
  'limits.http_max_body_bytes': 'int',
  'limits.authorize_max_checks': 'int',
  'limits.max_query_wait': 'duration',
  'ui.enabled': 'bool',
};
const BLOCKS = new Set(['ports', 'server', 'acl', 'etcd', 'limits', 'ui']);

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
const REGION_RE = /^[a-zA-Z0-9_-]{1,64}$/;

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
  const result: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(doc)) {
    if (BLOCKS.has(key)) {
      const block = unwrapBlock(raw, key, source);
      const target: Record<string, unknown> = {};
      for (const [sub, value] of Object.entries(block)) {
        const path = `${key}.${sub}`;
        target[sub] = checkField(path, value, source);
      }
      result[key] = target;
    } else {
      result[key] = checkField(key, raw, source);
    }
  }
  return result as AgentConfigInput;
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
      if (BLOCKS.has(key) && isObject(value)) {
        out[key] = { ...(isObject(out[key]) ? out[key] : {}), ...stripUndefined(value) };
      } else {
        out[key] = value;
      }
    }
  }
  return out as AgentConfigInput;
}

/**
 * Applies defaults and cross-field checks.
 *
 * @example resolveAgentConfig({ region: 'eu-west', data_dir: '/var/lib/tollgate' })
 */
export function resolveAgentConfig(input: AgentConfigInput, opts: { dev?: boolean } = {}): ResolvedAgentConfig {
  const dev = opts.dev ?? false;
  const region = input.region ?? 'global';
  if (!REGION_RE.test(region)) throw new ConfigError(`region: invalid region name "${region}"`);
  if (!input.data_dir) throw new ConfigError('data_dir: must be set (or run with -dev)');
  const logLevel = input.log_level ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) throw new ConfigError(`log_level: unknown level "${logLevel}"`);
  const authoritativeRegion = input.server?.authoritative_region ?? region;
  if (!REGION_RE.test(authoritativeRegion)) {
    throw new ConfigError(`server.authoritative_region: invalid region name "${authoritativeRegion}"`);
  }
  // A null-prototype map: region names come from query strings (`?region=`),
  // and `constructor` or `__proto__` must find nothing.
  const regionPeers: Record<string, readonly string[]> = Object.freeze(
    Object.assign(Object.create(null) as Record<string, readonly string[]>, input.server?.region_peers),
  );
  const min = durationField('acl.token_min_expiration_ttl', input.acl?.token_min_expiration_ttl, 60_000);
  const max = durationField('acl.token_max_expiration_ttl', input.acl?.token_max_expiration_ttl, 86_400_000);
  if (min > max) throw new ConfigError('acl.token_min_expiration_ttl: must not exceed acl.token_max_expiration_ttl');
  if (input.acl?.replication_token !== undefined && input.acl.replication_token.trim() === '') {
    throw new ConfigError('acl.replication_token: must not be empty (leave the key out instead)');
  }
  let encryptionKey: Buffer | undefined;
  if (input.acl?.encryption_key !== undefined) {
    encryptionKey = Buffer.from(input.acl.encryption_key, 'base64');
    if (encryptionKey.length !== 32) throw new ConfigError('acl.encryption_key: must be base64 of 32 bytes');
  }
  let etcd: ResolvedAgentConfig['etcd'];
  if (input.etcd !== undefined) {
    const endpoints = input.etcd.endpoints ?? [];
    if (endpoints.length === 0) throw new ConfigError('etcd.endpoints: at least one endpoint is required');
    etcd = { endpoints, prefix: input.etcd.prefix ?? `/tollgate/${region}/` };
  }
  const maxBody = input.limits?.http_max_body_bytes ?? 1_048_576;
  if (maxBody < 1024 || maxBody > 64 * 1_048_576) {
    throw new ConfigError('limits.http_max_body_bytes: must be between 1024 and 67108864');
  }
  const maxChecks = input.limits?.authorize_max_checks ?? 256;
  if (maxChecks < 1 || maxChecks > 10_000) throw new ConfigError('limits.authorize_max_checks: must be between 1 and 10000');
  return {
    region,
    dataDir: resolve(input.data_dir),
    dev,
    bindAddr: input.bind_addr ?? (dev ? '127.0.0.1' : '0.0.0.0'),
    logLevel,
    ports: { http: input.ports?.http ?? 4646, rpc: input.ports?.rpc ?? 4647 },
    server: {
      authoritativeRegion,
      regionPeers,
      aclTokenGcThresholdMs: durationField('server.acl_token_gc_threshold', input.server?.acl_token_gc_threshold, 3_600_000),
      aclTokenGcIntervalMs: durationField('server.acl_token_gc_interval', input.server?.acl_token_gc_interval, 300_000),
      replicationWaitMs: positiveDuration('server.replication_wait', input.server?.replication_wait, 5_000),
      antiEntropyIntervalMs: positiveDuration('server.anti_entropy_interval', input.server?.anti_entropy_interval, 30_000),
    },
    acl: {
      enabled: input.acl?.enabled ?? true,
      replicationToken: input.acl?.replication_token,
      tokenMinExpirationTtlMs: min,
      tokenMaxExpirationTtlMs: max,
      encryptionKey,
    },
    etcd,
    limits: {
      httpMaxBodyBytes: maxBody,
      authorizeMaxChecks: maxChecks,
      maxQueryWaitMs: durationField('limits.max_query_wait', input.limits?.max_query_wait, 300_000),
    },
    ui: { enabled: input.ui?.enabled ?? true },
  };
}

function durationField(path: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  try {
    const ms = parseGoDuration(value);
    if (ms < 0) throw new RangeError('negative');
    return ms;
  } catch {
    throw new ConfigError(`${path}: invalid duration "${value}"`);
  }
}

/** A duration that must be above zero (a zero wait or interval would spin or always fail). */
function positiveDuration(path: string, value: string | undefined, fallbackMs: number): number {
  const ms = durationField(path, value, fallbackMs);
  if (ms <= 0) throw new ConfigError(`${path}: must be greater than zero (got "${value}")`);
  return ms;
}

function checkField(path: string, value: unknown, source: string): unknown {
  const kind = Object.hasOwn(FIELDS, path) ? FIELDS[path] : undefined;
  if (kind === undefined) throw new ConfigError(`${source}: unknown key "${path}"`);
  const bad = (what: string): never => {
    throw new ConfigError(`${source}: key "${path}" must be ${what}`);
  };
  switch (kind) {
    case 'string':
    case 'duration':
      if (typeof value !== 'string') bad('a string');
      if (kind === 'duration') {
        try {
          parseGoDuration(value as string);
        } catch {
          bad(`a duration like "30s" (got "${String(value)}")`);
        }
      }
      return value;
    case 'bool':
      if (typeof value !== 'boolean') bad('true or false');
      return value;
    case 'port':
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) bad('a port number 0-65535');
      return value;
    case 'int':
      if (!Number.isInteger(value)) bad('an integer');
      return value;
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) bad('a list of strings');
      return value;
    case 'peers': {
      const map = unwrapBlock(value, path, source);
      const peers: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
      for (const [region, addrs] of Object.entries(map)) {
        if (!REGION_RE.test(region)) throw new ConfigError(`${source}: key "${path}" has an invalid region name "${region}"`);
        if (!Array.isArray(addrs) || addrs.length === 0 || !addrs.every((a) => typeof a === 'string' && /^[^\s:]+:\d{1,5}$/.test(a))) {
          throw new ConfigError(`${source}: key "${path}.${region}" must be a list of "host:port" addresses`);
        }
        peers[region] = addrs as string[];
      }
      return peers;
    }
  }
}

/** HCL v1 turns every block into a list; a block given twice is an error. */
function unwrapBlock(raw: unknown, key: string, source: string): Record<string, unknown> {
  if (Array.isArray(raw)) {
    if (raw.length !== 1) throw new ConfigError(`${source}: block "${key}" is given more than once`);
    raw = raw[0];
  }
  if (!isObject(raw)) throw new ConfigError(`${source}: key "${key}" must be a block`);
  return raw;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
