import type { IncomingMessage } from 'node:http';
import type { ACLToken } from '@tollgate/state';
import { openJson } from './audit-chain.js';
import { hmacSecret } from './audit-key.js';
import type { AuditWriter } from './audit-writer.js';
import type { ForwardedOrigin } from './forwarded-origin.js';

/** The token lookup the auditor needs: by secret, expired tokens included. */
export interface AuditTokenSource {
  tokenBySecret(secret: string): ACLToken | undefined;
}

/** What the auditor needs besides the writer. */
export interface RequestAuditorOptions {
  readonly writer: AuditWriter;
  readonly auditKey: Buffer;
  readonly region: string;
  readonly agent: string;
  readonly tokens: () => AuditTokenSource;
}

/** The operation names of audit lines, by method and route pattern. */
const OPS: Readonly<Record<string, string>> = {
  'POST /v1/acl/authorize': 'acl.authorize',
  'POST /v1/acl/bootstrap': 'acl.bootstrap',
  'GET /v1/acl/tokens': 'acl.token.list',
  'POST /v1/acl/token': 'acl.token.create',
  'GET /v1/acl/token/self': 'acl.token.self',
  'GET /v1/acl/token/:accessor': 'acl.token.read',
  'POST /v1/acl/token/:accessor': 'acl.token.update',
  'DELETE /v1/acl/token/:accessor': 'acl.token.delete',
  'POST /v1/acl/token/self/renew': 'acl.token.renew',
  'POST /v1/acl/token/:accessor/renew': 'acl.token.renew',
  'POST /v1/acl/token/:accessor/revoke-orphan': 'acl.token.revoke-orphan',
  'GET /v1/acl/token/:accessor/children': 'acl.token.children',
  'GET /v1/acl/policies': 'acl.policy.list',
  'GET /v1/acl/policy/:name': 'acl.policy.read',
  'POST /v1/acl/policy/:name': 'acl.policy.write',
  'DELETE /v1/acl/policy/:name': 'acl.policy.delete',
  'GET /v1/acl/replication': 'acl.replication.read',
  'POST /v1/audit/hash': 'audit.hash',
  'POST /v1/acl/login': 'acl.login',
  'GET /v1/acl/auth-methods': 'acl.auth_method.list',
  'POST /v1/acl/auth-method': 'acl.auth_method.create',
  'GET /v1/acl/auth-method/:name': 'acl.auth_method.read',
  'POST /v1/acl/auth-method/:name': 'acl.auth_method.update',
  'DELETE /v1/acl/auth-method/:name': 'acl.auth_method.delete',
  'GET /v1/acl/binding-rules': 'acl.binding_rule.list',
  'POST /v1/acl/binding-rule': 'acl.binding_rule.create',
  'GET /v1/acl/binding-rule/:id': 'acl.binding_rule.read',
  'POST /v1/acl/binding-rule/:id': 'acl.binding_rule.update',
  'DELETE /v1/acl/binding-rule/:id': 'acl.binding_rule.delete',
};

/** Operations that change state: their line is durable before the answer (fail-closed). */
const WRITE_OPS = new Set([
  'acl.bootstrap',
  'acl.token.create',
  'acl.token.update',
  'acl.token.delete',
  'acl.token.renew',
  'acl.token.revoke-orphan',
  'acl.policy.write',
  'acl.policy.delete',
  'acl.login',
  'acl.auth_method.create',
  'acl.auth_method.update',
  'acl.auth_method.delete',
  'acl.binding_rule.create',
  'acl.binding_rule.update',
  'acl.binding_rule.delete',
]);


/** Whether requests to `url` (a path or route pattern) are audited: the ACL system and the audit API. */
export function isAuditedPath(url: string): boolean {
  return url.startsWith('/v1/acl/') || url.startsWith('/v1/audit/');
}

/** The operation name for a method and route pattern (`acl.other` for the rest: 405s, missing ids). */
export function auditOp(method: string, routeUrl: string): string {
  return OPS[`${method === 'PUT' ? 'POST' : method} ${routeUrl}`] ?? 'acl.other';
}

/** Whether an operation changes state. */
export function isWriteOp(op: string): boolean {
  return WRITE_OPS.has(op);
}

/** One request as the audit line describes it. */
export interface AuditEntry {
  readonly requestId: string;
  readonly address: string;
  /** The caller's secret ('' = anonymous); only its HMAC is written. */
  readonly secret: string;
  readonly op: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** `allowed`/`denied` for checks, else `ok`/`denied`/`error` from the status. */
  readonly result?: string;
  /** The error text of a failed request. */
  readonly reason?: string;
  readonly target?: Record<string, unknown>;
  readonly response?: Record<string, unknown>;
  /** X-Nomad-Index of a write. */
  readonly index?: number;
  /** This agent sent the request on to `to_region`. */
  readonly forwardedTo?: string;
  /** The request came from another region. */
  readonly forwardedFrom?: ForwardedOrigin;
}

/** What an authorize answer looks like, for its line. */
interface AuthorizeAnswerLike {
  readonly AccessorID: string;
  readonly Results: ReadonlyArray<{ readonly Allowed: boolean; readonly Reason: string }>;
}

/**
 * Builds audit lines for requests and hands them to the writer. Shared by
 * the Fastify hooks (audit-hooks.ts) and the authorize fast path.
 *
 * The caller is named by AccessorID, Name and Type and by the HMAC of its
 * secret (cached per token object), never the secret. `meta` is the caller's
 * token metadata (`{}` when none) and `parent` its parent's AccessorID (when
 * it has one).
 */
export class RequestAuditor {
  readonly #o: RequestAuditorOptions;
  readonly #hmacs = new WeakMap<ACLToken, string>();
  readonly #forwardedTo = new WeakMap<IncomingMessage, string>();
  readonly #targets = new WeakMap<IncomingMessage, Readonly<Record<string, unknown>>>();
  readonly #revoked = new WeakMap<IncomingMessage, readonly string[]>();
  /** `"auth":{…}` per token object: the same for every request of a token. */
  readonly #authJson = new WeakMap<ACLToken, string>();
  /** `","region":…,"agent":…,"request_id":"` */
  readonly #afterTime: string;
  #lastMs = 0;
  #lastIso = '';

  constructor(opts: RequestAuditorOptions) {
    this.#o = opts;
    this.#afterTime = `","region":${JSON.stringify(opts.region)},"agent":${JSON.stringify(opts.agent)},"request_id":`;
  }

  /** The ISO time, formatted once per millisecond. */
  #now(): string {
    const ms = Date.now();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastIso = new Date(ms).toISOString();
    }
    return this.#lastIso;
  }

  get writer(): AuditWriter {
    return this.#o.writer;
  }

  /**
   * Why requests must be refused now (fail-closed with a log that cannot be
   * written), or `undefined`.
   */
  refusal(): string | undefined {
    const w = this.#o.writer;
    return w.failure !== undefined && !w.failOpen ? w.failure : undefined;
  }

  /** `hmac-sha256:<hex>` of a secret under this region's audit key. */
  hash(secret: string): string {
    return hmacSecret(this.#o.auditKey, secret);
  }

  /** Marks a request this agent forwards to another region (its line says `arrived`). */
  /**
   * Details of what a request did, for its line's `target` (a login's auth
   * method and mapped claims). Never a secret or a raw token.
   */
  noteTarget(req: IncomingMessage, target: Readonly<Record<string, unknown>>): void {
    this.#targets.set(req, target);
  }

  /** What `noteTarget` recorded for this request. */
  targetOf(req: IncomingMessage): Readonly<Record<string, unknown>> | undefined {
    return this.#targets.get(req);
  }

  noteForwarded(req: IncomingMessage, toRegion: string): void {
    this.#forwardedTo.set(req, toRegion);
  }

  /** Records the descendants a token revocation took with it (its line's `target.revoked_descendants`). */
  noteRevoked(req: IncomingMessage, accessors: readonly string[]): void {
    if (accessors.length > 0) this.#revoked.set(req, accessors);
  }

  /** The descendants a request's revocation took with it, if any. */
  revokedBy(req: IncomingMessage): readonly string[] | undefined {
    return this.#revoked.get(req);
  }

  /** The region a request was forwarded to, if it was. */
  forwardedTo(req: IncomingMessage): string | undefined {
    return this.#forwardedTo.get(req);
  }

  /**
   * Writes an entry. Returns a promise when `durable` (resolves once the
   * line is on disk; rejects with AuditUnavailableError when it cannot be), else
   * undefined. Callers apply back-pressure with `writer.mustWait()` first.
   */
  submit(e: AuditEntry, durable: boolean): Promise<void> | undefined {
    const line = this.line(e);
    if (durable) return this.#o.writer.appendDurable(line);
    this.#o.writer.append(line);
    return undefined;
  }

  /**
   * The authorize fast path's entry: logs the answer (or error) and calls
   * `then` once the line is queued — at once, unless the queue is full
   * (back-pressure: the answer waits for room).
   */
  authorized(
    requestId: string,
    address: string,
    secret: string,
    body: unknown,
    answer: AuthorizeAnswerLike | undefined,
    status: number,
    reason: string | undefined,
    then: () => void,
  ): void {
    // Built by hand, not with JSON.stringify of an object: this runs for
    // every check request, and the generic `line()` costs several times more.
    // Same fields, same order as `line()`.
    let s = `{"type":"audit","time":"${this.#now()}${this.#afterTime}${JSON.stringify(requestId)},"client":{"address":${JSON.stringify(address)}},${this.#authField(secret)},"op":"acl.authorize","method":"POST","path":"/v1/acl/authorize"`;
    s += authorizeTargetJson(this, body, answer);
    s += answer === undefined ? `,"result":"${resultOf(status)}","status":${status}` : `,"result":"${authorizeResult(answer)}","status":${status}`;
    if (reason !== undefined) s += `,"reason":${JSON.stringify(reason.length > 512 ? `${reason.slice(0, 512)}…` : reason)}`;
    // Left open: the writer closes it with seq and prev.
    const w = this.#o.writer;
    if (!w.mustWait()) {
      w.append(s);
      then();
      return;
    }
    void w.whenRoom().then(() => {
      w.append(s);
      then();
    });
  }

  /** `"auth":{…}`, cached per token (not for unknown or expired ones). */
  #authField(secret: string): string {
    if (secret !== '') {
      const token = this.#o.tokens().tokenBySecret(secret);
      if (token !== undefined && token.ExpirationTime === null) {
        let j = this.#authJson.get(token);
        if (j === undefined) this.#authJson.set(token, (j = `"auth":${JSON.stringify(this.#auth(secret))}`));
        return j;
      }
    }
    return `"auth":${JSON.stringify(this.#auth(secret))}`;
  }

  /** The line of an entry, open (without seq, prev and the closing brace, which the writer adds). */
  line(e: AuditEntry): string {
    const rec: Record<string, unknown> = {
      region: this.#o.region,
      agent: this.#o.agent,
      request_id: e.requestId,
      client: { address: e.address },
    };
    if (e.forwardedTo !== undefined) rec.forwarded = { role: 'arrived', to_region: e.forwardedTo };
    else if (e.forwardedFrom !== undefined) {
      rec.forwarded = { role: 'applied', from_region: e.forwardedFrom.region, peer: e.forwardedFrom.peer, origin_request_id: e.forwardedFrom.requestId };
    }
    rec.auth = this.#auth(e.secret);
    rec.op = e.op;
    rec.method = e.method;
    rec.path = e.path;
    if (e.target !== undefined) rec.target = e.target;
    rec.result = e.result ?? resultOf(e.status);
    rec.status = e.status;
    if (e.reason !== undefined) rec.reason = e.reason.length > 512 ? `${e.reason.slice(0, 512)}…` : e.reason;
    if (e.response !== undefined) rec.response = e.response;
    if (e.index !== undefined) rec.index = e.index;
    // `type` and `time` lead every line (verify and readers key on the prefix).
    return `{"type":"audit","time":"${this.#now()}",${openJson(rec).slice(1)}`;
  }

  #auth(secret: string): Record<string, unknown> {
    if (secret === '') return { accessor_id: 'anonymous', name: 'Anonymous Token', type: 'client', meta: {} };
    const token = this.#o.tokens().tokenBySecret(secret);
    if (token === undefined) return { accessor_id: '', secret: this.hash(secret), error: 'ACL token not found' };
    let h = this.#hmacs.get(token);
    if (h === undefined) this.#hmacs.set(token, (h = this.hash(secret)));
    const auth: Record<string, unknown> = { accessor_id: token.AccessorID, name: token.Name, type: token.Type, meta: token.Meta ?? {}, secret: h };
    if (token.ParentAccessorID !== undefined) auth.parent = token.ParentAccessorID;
    if (token.ExpirationTime !== null && Date.parse(token.ExpirationTime) <= Date.now()) auth.error = 'ACL token expired';
    return auth;
  }
}

function resultOf(status: number): string {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403) return 'denied';
  return 'error';
}

function authorizeResult(answer: AuthorizeAnswerLike): string {
  for (const r of answer.Results) if (!r.Allowed) return 'denied';
  return 'allowed';
}

/** {@link authorizeTarget} as `,"target":{…}` (or nothing), written without an intermediate object. */
function authorizeTargetJson(auditor: RequestAuditor, body: unknown, answer: AuthorizeAnswerLike | undefined): string {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as { Checks?: unknown; SecretID?: unknown };
  let s = ',"target":{';
  let sep = '';
  if (typeof b.SecretID === 'string' && b.SecretID !== '') {
    s += `"secret":"${auditor.hash(b.SecretID)}"`;
    if (answer !== undefined) s += `,"accessor_id":${JSON.stringify(answer.AccessorID)}`;
    sep = ',';
  }
  if (Array.isArray(b.Checks)) {
    s += `${sep}"checks":[`;
    const n = Math.min(b.Checks.length, 256);
    for (let i = 0; i < n; i++) {
      const c = b.Checks[i] as Record<string, unknown> | null;
      let f = '';
      if (typeof c === 'object' && c !== null) {
        if (typeof c.Resource === 'string') f += `,"resource":${JSON.stringify(c.Resource.slice(0, 128))}`;
        if (typeof c.Namespace === 'string') f += `,"namespace":${JSON.stringify(c.Namespace.slice(0, 256))}`;
        if (typeof c.Name === 'string') f += `,"name":${JSON.stringify(c.Name.slice(0, 256))}`;
        if (typeof c.Capability === 'string') f += `,"capability":${JSON.stringify(c.Capability.slice(0, 128))}`;
      }
      const r = answer?.Results[i];
      if (r !== undefined) f += `,"allowed":${r.Allowed ? 'true' : 'false'},"reason":${JSON.stringify(r.Reason)}`;
      s += `${i === 0 ? '' : ','}{${f.slice(1)}}`;
    }
    s += ']';
  }
  return `${s}}`;
}

/**
 * The target of an authorize line: every check with its result and reason,
 * and the HMAC of a `SecretID` checked on someone's behalf.
 */
export function authorizeTarget(auditor: RequestAuditor, body: unknown, answer: AuthorizeAnswerLike | undefined): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { Checks?: unknown; SecretID?: unknown };
  const target: Record<string, unknown> = {};
  if (typeof b.SecretID === 'string' && b.SecretID !== '') {
    target.secret = auditor.hash(b.SecretID);
    if (answer !== undefined) target.accessor_id = answer.AccessorID;
  }
  if (Array.isArray(b.Checks)) {
    const n = Math.min(b.Checks.length, 256);
    const checks = new Array<Record<string, unknown>>(n);
    for (let i = 0; i < n; i++) {
      const c = b.Checks[i] as Record<string, unknown> | null;
      const out: Record<string, unknown> = {};
      if (typeof c === 'object' && c !== null) {
        if (typeof c.Resource === 'string') out.resource = c.Resource.slice(0, 128);
        if (typeof c.Namespace === 'string') out.namespace = c.Namespace.slice(0, 256);
        if (typeof c.Name === 'string') out.name = c.Name.slice(0, 256);
        if (typeof c.Capability === 'string') out.capability = c.Capability.slice(0, 128);
      }
      const r = answer?.Results[i];
      if (r !== undefined) {
        out.allowed = r.Allowed;
        out.reason = r.Reason;
      }
      checks[i] = out;
    }
    target.checks = checks;
  }
  return target;
}
