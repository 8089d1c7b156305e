import { ApiError, ConnectionError, InvalidResponseError } from './errors.js';
import { resolveClientOptions } from './client-options.js';
import type { ResolvedClientOptions, TollgateClientOptions } from './client-options.js';
import type { AclOidcAuthUrlRequest, AclOidcCompleteAuthRequest } from './types.js';
import type {
  AclAuthMethod,
  AclAuthMethodListStub,
  AclAuthMethodWriteRequest,
  AclBindingRule,
  AclBindingRuleListStub,
  AclBindingRuleWriteRequest,
  AclLoginRequest,
  AclRole,
  AclRoleListStub,
  AclRoleWriteRequest,
  AclPolicy,
  AclPolicyListStub,
  AclPolicyWriteRequest,
  AclToken,
  AclTokenCreateRequest,
  AclTokenListStub,
  AclTokenUpdateRequest,
  AclTokenRenewRequest,
  AclTokenUploadRequest,
  AgentHealth,
  AuthorizeCheck,
  AuthorizeResponse,
  PolicyValidation,
  ReplicationStatus,
} from './types.js';

/**
 * What every call returns: the decoded body and the agent's `X-Nomad-Index`
 * (0 when the agent sent none). Feed `index` back as {@link QueryOptions.index}
 * to block until something changes.
 */
export interface ApiResponse<T> {
  readonly data: T;
  readonly index: number;
  /** `X-Nomad-NextToken` of a paginated list: pass it as {@link QueryOptions.nextToken} for the next page. */
  readonly nextToken?: string;
}

/** Options every request accepts. */
export interface RequestOptions {
  /** Overrides the client's token for this call; `''` sends no token (anonymous). */
  token?: string;
  /** Cancels the request; the rejection is the signal's reason, not a ConnectionError. */
  signal?: AbortSignal;
}

/** Options of reads; `index` and `waitMs` make it a Nomad blocking query. */
export interface QueryOptions extends RequestOptions {
  /** Return only once the result's index is greater than this (a blocking query). */
  index?: number;
  /** Longest time the agent may hold a blocking query, in ms; sent as `wait=<n>ms`. @default the agent's (300 s) */
  waitMs?: number;
  /** Only objects whose ID (tokens) or name (policies) starts with this. */
  prefix?: string;
  /** Let any agent of the region answer from its local state. */
  stale?: boolean;
  /** Page size of a list (`per_page`); the answer's `nextToken` continues it. */
  perPage?: number;
  /** Where a list page starts (`next_token`, from a previous answer). */
  nextToken?: string;
  /**
   * List endpoints: a go-bexpr filter expression, applied by the agent
   * before pagination, e.g. `Name contains "ci" and "ops" in Policies`.
   * An invalid one is a 400 ({@link ApiError}).
   */
  filter?: string;
}

/** Server-side cap of a blocking query when no wait is given (Nomad's 300 s). */
const DEFAULT_BLOCKING_WAIT_MS = 300_000;

type Expect = 'object' | 'array' | 'none';

interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  expect: Expect;
  body?: unknown;
  query?: QueryOptions;
  opts?: RequestOptions;
  /** Extra query parameters of one endpoint. */
  params?: Record<string, string>;
}

/**
 * A typed client for a Tollgate (or Nomad) agent's `/v1/acl/*` and agent
 * endpoints. Every method is one HTTP request: no retries, no caching, so the
 * caller decides what a failure means.
 *
 * @example
 * const client = new TollgateClient(); // TOLLGATE_ADDR / NOMAD_ADDR, TOLLGATE_TOKEN / NOMAD_TOKEN
 * const { data: token } = await client.createToken({ Name: 'ci', Type: 'client', Policies: ['readonly'] });
 *
 * Errors: {@link ApiError} for a non-2xx answer (status and body kept),
 * {@link ConnectionError} when there was no answer, {@link InvalidResponseError}
 * for a 2xx answer that is not the expected JSON.
 */
export class TollgateClient {
  readonly #opts: ResolvedClientOptions;

  /** @throws TypeError / RangeError for a bad address or timeout (see {@link resolveClientOptions}). */
  constructor(opts?: TollgateClientOptions) {
    this.#opts = resolveClientOptions(opts);
  }

  /** The agent address requests go to, normalised (e.g. `http://127.0.0.1:4646`). */
  get address(): string {
    return this.#opts.address;
  }

  /** True when requests carry a token unless a call overrides it. */
  get hasToken(): boolean {
    return this.#opts.token !== undefined;
  }

  /**
   * `POST /v1/acl/bootstrap`: creates the first management token. Works once;
   * again only after the operator writes the reset index into the
   * authoritative agent's `<data_dir>/server/acl-bootstrap-reset`.
   * @param opts.bootstrapSecret an operator-chosen SecretID (must be a UUID).
   */
  async bootstrap(opts: RequestOptions & { bootstrapSecret?: string } = {}): Promise<ApiResponse<AclToken>> {
    const { bootstrapSecret, ...rest } = opts;
    return this.#call({
      method: 'POST',
      path: '/v1/acl/bootstrap',
      expect: 'object',
      ...(bootstrapSecret !== undefined ? { body: { BootstrapSecret: bootstrapSecret } } : {}),
      opts: rest,
    });
  }

  /** `GET /v1/acl/tokens`: every token of the region, without secrets. Needs management. */
  async listTokens(query?: QueryOptions): Promise<ApiResponse<AclTokenListStub[]>> {
    return this.#call({ method: 'GET', path: '/v1/acl/tokens', expect: 'array', query });
  }

  /**
   * Every token of the region, following `X-Nomad-NextToken` page after page
   * (the agent pages lists, at most 10,000 tokens a page; `perPage` sets the
   * page size). Tokens created or deleted meanwhile may or may not be in the
   * answer; no token is listed twice. `index` is the last page's.
   * Not a blocking query: `index`/`waitMs` and `nextToken` are not taken.
   */
  async listAllTokens(query?: Omit<QueryOptions, 'index' | 'waitMs' | 'nextToken'>): Promise<ApiResponse<AclTokenListStub[]>> {
    const all: AclTokenListStub[] = [];
    let nextToken: string | undefined;
    for (;;) {
      const page = await this.listTokens({ ...query, ...(nextToken === undefined ? {} : { nextToken }) });
      all.push(...page.data);
      if (page.nextToken === undefined) return { data: all, index: page.index };
      nextToken = page.nextToken;
    }
  }

  /** `POST /v1/acl/token`: creates a token; the answer includes its SecretID. Needs management. */
  async createToken(req: AclTokenCreateRequest, opts?: RequestOptions): Promise<ApiResponse<AclToken>> {
    return this.#call({ method: 'POST', path: '/v1/acl/token', expect: 'object', body: req, opts });
  }

  /**
   * `POST /v1/acl/token` with both IDs: uploads a client token under the
   * AccessorID and SecretID it has elsewhere (migrating tokens between
   * clusters, Nomad's `acl token create -accessor`). An ID already in use is
   * a 409. Needs management.
   */
  async uploadToken(req: AclTokenUploadRequest, opts?: RequestOptions): Promise<ApiResponse<AclToken>> {
    segment('AccessorID', req.AccessorID);
    segment('SecretID', req.SecretID);
    return this.#call({ method: 'POST', path: '/v1/acl/token', expect: 'object', body: req, opts });
  }

  /**
   * `POST /v1/acl/token/:accessor`: replaces a token's mutable fields. Send the
   * token as read (see {@link AclTokenUpdateRequest}). Needs management.
   */
  async updateToken(req: AclTokenUpdateRequest, opts?: RequestOptions): Promise<ApiResponse<AclToken>> {
    const path = `/v1/acl/token/${segment('AccessorID', req.AccessorID)}`;
    return this.#call({ method: 'POST', path, expect: 'object', body: req, opts });
  }

  /** `GET /v1/acl/token/:accessor`: one token, secret included. Needs management or the token's own secret. */
  async readToken(accessorId: string, query?: QueryOptions): Promise<ApiResponse<AclToken>> {
    const path = `/v1/acl/token/${segment('accessorId', accessorId)}`;
    return this.#call({ method: 'GET', path, expect: 'object', query });
  }

  /** `GET /v1/acl/token/self`: the caller's own token (the anonymous token when none is sent). */
  async readSelfToken(query?: QueryOptions): Promise<ApiResponse<AclToken>> {
    return this.#call({ method: 'GET', path: '/v1/acl/token/self', expect: 'object', query });
  }

  /** `DELETE /v1/acl/token/:accessor`. Needs management; an unknown accessor is a 400. */
  async deleteToken(accessorId: string, opts?: RequestOptions): Promise<ApiResponse<void>> {
    const path = `/v1/acl/token/${segment('accessorId', accessorId)}`;
    return this.#call({ method: 'DELETE', path, expect: 'none', opts });
  }

  /**
   * `POST /v1/acl/token/self/renew` (no accessor) or
   * `/v1/acl/token/:accessor/renew`: extends the token's lease; answers the
   * updated token. A token may renew itself; management may renew any.
   */
  async renewToken(accessorId?: string, req: AclTokenRenewRequest = {}, opts?: RequestOptions): Promise<ApiResponse<AclToken>> {
    const path = accessorId === undefined ? '/v1/acl/token/self/renew' : `/v1/acl/token/${segment('accessorId', accessorId)}/renew`;
    return this.#call({ method: 'POST', path, expect: 'object', body: req, opts });
  }

  /** `POST /v1/acl/token/:accessor/revoke-orphan`: revokes the token, its children become orphans. Needs management. */
  async revokeTokenOrphan(accessorId: string, opts?: RequestOptions): Promise<ApiResponse<void>> {
    const path = `/v1/acl/token/${segment('accessorId', accessorId)}/revoke-orphan`;
    return this.#call({ method: 'POST', path, expect: 'none', opts });
  }

  /** `GET /v1/acl/token/:accessor/children`: the token's direct (non-orphan) children, as list stubs. */
  async tokenChildren(accessorId: string, query?: QueryOptions): Promise<ApiResponse<AclTokenListStub[]>> {
    const path = `/v1/acl/token/${segment('accessorId', accessorId)}/children`;
    return this.#call({ method: 'GET', path, expect: 'array', query });
  }

  /** `GET /v1/acl/policies`: all policies for management, else those on the caller's token. */
  async listPolicies(query?: QueryOptions): Promise<ApiResponse<AclPolicyListStub[]>> {
    return this.#call({ method: 'GET', path: '/v1/acl/policies', expect: 'array', query });
  }

  /**
   * `GET /v1/acl/policy/self`: the policies of the caller's own token (all
   * policies for a management token), as Nomad's `ACLPolicies().Self()`.
   */
  async listSelfPolicies(query?: QueryOptions): Promise<ApiResponse<AclPolicyListStub[]>> {
    return this.#call({ method: 'GET', path: '/v1/acl/policy/self', expect: 'array', query });
  }

  /** `GET /v1/acl/policy/:name`: one policy with its rules text and parsed `RulesJSON`. */
  async readPolicy(name: string, query?: QueryOptions): Promise<ApiResponse<AclPolicy>> {
    const path = `/v1/acl/policy/${segment('name', name)}`;
    return this.#call({ method: 'GET', path, expect: 'object', query });
  }

  /** `POST /v1/acl/policy/:name`: creates or replaces a policy (the server validates the rules). Needs management. */
  async writePolicy(req: AclPolicyWriteRequest, opts?: RequestOptions): Promise<ApiResponse<void>> {
    const path = `/v1/acl/policy/${segment('Name', req.Name)}`;
    return this.#call({ method: 'POST', path, expect: 'none', body: req, opts });
  }

  /** `DELETE /v1/acl/policy/:name`. Needs management; deleting a missing policy succeeds. */
  async deletePolicy(name: string, opts?: RequestOptions): Promise<ApiResponse<void>> {
    const path = `/v1/acl/policy/${segment('name', name)}`;
    return this.#call({ method: 'DELETE', path, expect: 'none', opts });
  }

  /** `GET /v1/acl/roles`: every role for management, else the caller's own; `prefix` matches the ID. */
  async listRoles(query?: QueryOptions): Promise<ApiResponse<AclRoleListStub[]>> {
    return this.#call({ method: 'GET', path: '/v1/acl/roles', expect: 'array', query });
  }

  /** `POST /v1/acl/role`: creates a role (the server picks its ID). Needs management. */
  async createRole(req: AclRoleWriteRequest, opts?: RequestOptions): Promise<ApiResponse<AclRole>> {
    if (req.ID !== undefined && req.ID !== '') throw new TypeError('createRole: ID must not be set (use updateRole)');
    return this.#call({ method: 'POST', path: '/v1/acl/role', expect: 'object', body: req, opts });
  }

  /** `POST /v1/acl/role/:id`: replaces a role's name, description and policies. Needs management. */
  async updateRole(req: AclRoleWriteRequest & { ID: string }, opts?: RequestOptions): Promise<ApiResponse<AclRole>> {
    const path = `/v1/acl/role/${segment('ID', req.ID)}`;
    return this.#call({ method: 'POST', path, expect: 'object', body: req, opts });
  }

  /** `GET /v1/acl/role/:id`. Management, or a token linked to the role. */
  async readRole(id: string, query?: QueryOptions): Promise<ApiResponse<AclRole>> {
    const path = `/v1/acl/role/${segment('id', id)}`;
    return this.#call({ method: 'GET', path, expect: 'object', query });
  }

  /** `GET /v1/acl/role/name/:name`. Management, or a token linked to the role. */
  async readRoleByName(name: string, query?: QueryOptions): Promise<ApiResponse<AclRole>> {
    const path = `/v1/acl/role/name/${segment('name', name)}`;
    return this.#call({ method: 'GET', path, expect: 'object', query });
  }

  /** `DELETE /v1/acl/role/:id`. Needs management; an unknown ID is a 400 `ACL role not found`. */
  async deleteRole(id: string, opts?: RequestOptions): Promise<ApiResponse<void>> {
    const path = `/v1/acl/role/${segment('id', id)}`;
    return this.#call({ method: 'DELETE', path, expect: 'none', opts });
  }

  /** `GET /v1/acl/auth-methods`: every auth method (no token needed; `?filter=` as `query.filter`). */
  async listAuthMethods(query?: QueryOptions): Promise<ApiResponse<AclAuthMethodListStub[]>> {
    return this.#call({ method: 'GET', path: '/v1/acl/auth-methods', expect: 'array', query });
  }

  /** `POST /v1/acl/auth-method`: creates (or, naming a stored method, updates) an auth method. Needs management. */
  async createAuthMethod(req: AclAuthMethodWriteRequest, opts?: RequestOptions): Promise<ApiResponse<AclAuthMethod>> {
    return this.#call({ method: 'POST', path: '/v1/acl/auth-method', expect: 'object', body: req, opts });
  }

  /** `POST /v1/acl/auth-method/:name`: updates a stored method (omitted Type, TokenLocality, MaxTokenTTL, Config are kept). Needs management. */
  async updateAuthMethod(req: AclAuthMethodWriteRequest, opts?: RequestOptions): Promise<ApiResponse<AclAuthMethod>> {
    const path = `/v1/acl/auth-method/${segment('Name', req.Name)}`;
    return this.#call({ method: 'POST', path, expect: 'object', body: req, opts });
  }

  /** `GET /v1/acl/auth-method/:name` (the OIDC client secret reads `redacted`). Needs management. */
  async readAuthMethod(name: string, query?: QueryOptions): Promise<ApiResponse<AclAuthMethod>> {
    const path = `/v1/acl/auth-method/${segment('name', name)}`;
    return this.#call({ method: 'GET', path, expect: 'object', query });
  }

  /** `DELETE /v1/acl/auth-method/:name`. Needs management; an unknown name is a 400 `ACL auth method not found`. */
  async deleteAuthMethod(name: string, opts?: RequestOptions): Promise<ApiResponse<void>> {
    const path = `/v1/acl/auth-method/${segment('name', name)}`;
    return this.#call({ method: 'DELETE', path, expect: 'none', opts });
  }

  /** `GET /v1/acl/binding-rules`. Needs management. */
  async listBindingRules(query?: QueryOptions): Promise<ApiResponse<AclBindingRuleListStub[]>> {
    return this.#call({ method: 'GET', path: '/v1/acl/binding-rules', expect: 'array', query });
  }

  /** `POST /v1/acl/binding-rule`: creates a rule (the server picks its ID). Needs management. */
  async createBindingRule(req: AclBindingRuleWriteRequest, opts?: RequestOptions): Promise<ApiResponse<AclBindingRule>> {
    if (req.ID !== undefined && req.ID !== '') throw new TypeError('createBindingRule: ID must not be set (use updateBindingRule)');
    return this.#call({ method: 'POST', path: '/v1/acl/binding-rule', expect: 'object', body: req, opts });
  }

  /** `POST /v1/acl/binding-rule/:id`: updates a rule (omitted BindType, BindName, AuthMethod are kept). Needs management. */
  async updateBindingRule(req: AclBindingRuleWriteRequest & { ID: string }, opts?: RequestOptions): Promise<ApiResponse<AclBindingRule>> {
    const path = `/v1/acl/binding-rule/${segment('ID', req.ID)}`;
    return this.#call({ method: 'POST', path, expect: 'object', body: req, opts });
  }

  /** `GET /v1/acl/binding-rule/:id`. Needs management. */
  async readBindingRule(id: string, query?: QueryOptions): Promise<ApiResponse<AclBindingRule>> {
    const path = `/v1/acl/binding-rule/${segment('id', id)}`;
    return this.#call({ method: 'GET', path, expect: 'object', query });
  }

  /** `DELETE /v1/acl/binding-rule/:id`. Needs management. */
  async deleteBindingRule(id: string, opts?: RequestOptions): Promise<ApiResponse<void>> {
    const path = `/v1/acl/binding-rule/${segment('id', id)}`;
    return this.#call({ method: 'DELETE', path, expect: 'none', opts });
  }

  /**
   * `POST /v1/acl/login`: exchanges a JWT for a token through a JWT auth
   * method (no token needed). Answers the new token, secret included.
   */
  async login(req: AclLoginRequest, opts?: RequestOptions): Promise<ApiResponse<AclToken>> {
    return this.#call({ method: 'POST', path: '/v1/acl/login', expect: 'object', body: req, opts });
  }

  /**
   * `POST /v1/acl/authorize` (Tollgate only): asks whether the caller's token
   * may do each of `checks`; answers come back in the same order.
   */
  async authorize(
    checks: readonly AuthorizeCheck[],
    opts: RequestOptions & { /** A management caller checks this token instead of its own. */ secretId?: string } = {},
  ): Promise<ApiResponse<AuthorizeResponse>> {
    if (!Array.isArray(checks) || checks.length === 0) {
      throw new TypeError('checks must be a non-empty array of { Resource, Name?, Capability }');
    }
    const { secretId, ...rest } = opts;
    const body = secretId === undefined || secretId === '' ? { Checks: checks } : { Checks: checks, SecretID: secretId };
    return this.#call({ method: 'POST', path: '/v1/acl/authorize', expect: 'object', body, opts: rest });
  }

  /**
   * `POST /v1/validate/acl-policy` (Tollgate): checks a policy as a write
   * would, writing nothing. Invalid rules answer `Valid: false` with the
   * write's error text and, when known, its line and column. Needs management.
   */
  async validatePolicy(req: Partial<AclPolicyWriteRequest>, opts?: RequestOptions): Promise<ApiResponse<PolicyValidation>> {
    return this.#call({ method: 'POST', path: '/v1/validate/acl-policy', expect: 'object', body: req, opts });
  }

  /** `GET /v1/regions`: every region the agent knows, sorted. No token needed. */
  async regions(query?: QueryOptions): Promise<ApiResponse<string[]>> {
    return this.#call({ method: 'GET', path: '/v1/regions', expect: 'array', query });
  }

  /**
   * `POST /v1/audit/hash` (management): the form `input` (a secret) takes in
   * this region's audit log, `hmac-sha256:<hex>`, to search the log with.
   */
  async auditHash(input: string, opts?: RequestOptions): Promise<ApiResponse<{ Hash: string }>> {
    if (typeof input !== 'string' || input === '') throw new TypeError('input must be a non-empty string');
    return this.#call({ method: 'POST', path: '/v1/audit/hash', expect: 'object', body: { Input: input }, opts });
  }

  /**
   * `POST /v1/acl/oidc/auth-url`: starts an OIDC login; answers the
   * provider URL to send the user to. No token needed.
   */
  async oidcAuthUrl(req: AclOidcAuthUrlRequest, opts?: RequestOptions): Promise<ApiResponse<{ AuthURL: string }>> {
    return this.#call({ method: 'POST', path: '/v1/acl/oidc/auth-url', expect: 'object', body: req, opts });
  }

  /**
   * `POST /v1/acl/oidc/complete-auth`: ends an OIDC login with the code
   * and state the provider sent to the redirect URI; answers the new token
   * (SecretID included). No token needed.
   */
  async oidcCompleteAuth(req: AclOidcCompleteAuthRequest, opts?: RequestOptions): Promise<ApiResponse<AclToken>> {
    return this.#call({ method: 'POST', path: '/v1/acl/oidc/complete-auth', expect: 'object', body: req, opts });
  }

  /** `GET /v1/agent/health`: 200 with `{ status: "ok" }` when the agent serves requests. No token needed. */
  async agentHealth(query?: QueryOptions): Promise<ApiResponse<AgentHealth>> {
    return this.#call({ method: 'GET', path: '/v1/agent/health', expect: 'object', query });
  }

  /**
   * `GET /v1/acl/replication`: the region's replication state and lag. With
   * `index` it is a blocking query that answers when the status changes.
   */
  async replicationStatus(query?: QueryOptions & { /** Add each source's `LagHistory` (last 15 minutes). */ history?: boolean }): Promise<ApiResponse<ReplicationStatus>> {
    const { history, ...rest } = query ?? {};
    return this.#call({ method: 'GET', path: '/v1/acl/replication', expect: 'object', query: rest, ...(history === true ? { params: { history: 'true' } } : {}) });
  }

  async #call<T>(call: Call): Promise<ApiResponse<T>> {
    const { address, region } = this.#opts;
    const opts: RequestOptions = call.query ?? call.opts ?? {};
    const url = new URL(`${address}${call.path}`);
    if (region !== undefined) url.searchParams.set('region', region);
    for (const [k, v] of Object.entries(call.params ?? {})) url.searchParams.set(k, v);
    let timeoutMs = this.#opts.timeoutMs;
    const q = call.query;
    if (q !== undefined) {
      if (q.index !== undefined) {
        if (!Number.isSafeInteger(q.index) || q.index < 0) {
          throw new RangeError(`index must be a non-negative integer, got ${String(q.index)}`);
        }
        url.searchParams.set('index', String(q.index));
      }
      if (q.waitMs !== undefined) {
        if (!Number.isFinite(q.waitMs) || q.waitMs < 0) {
          throw new RangeError(`waitMs must be a non-negative number of milliseconds, got ${String(q.waitMs)}`);
        }
        url.searchParams.set('wait', `${Math.round(q.waitMs)}ms`);
      }
      if (q.prefix !== undefined) url.searchParams.set('prefix', q.prefix);
      if (q.stale === true) url.searchParams.set('stale', 'true');
      if (q.perPage !== undefined) url.searchParams.set('per_page', String(q.perPage));
      if (q.nextToken !== undefined && q.nextToken !== '') url.searchParams.set('next_token', q.nextToken);
      if (q.filter !== undefined && q.filter !== '') url.searchParams.set('filter', q.filter);
      // A blocking query is held by the agent for up to wait + wait/16 jitter;
      // our own timeout must not cut it short, so it comes on top.
      if (q.index !== undefined && q.index > 0) {
        const wait = q.waitMs ?? DEFAULT_BLOCKING_WAIT_MS;
        timeoutMs += Math.ceil(wait + wait / 16);
      }
    }

    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = opts.token ?? this.#opts.token;
    if (token !== undefined && token !== '') headers['X-Nomad-Token'] = token;
    let body: string | undefined;
    if (call.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(call.body);
    }

    const timeout = AbortSignal.timeout(Math.ceil(timeoutMs));
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const what = `${goMethod(call.method)} "${url.href}"`;
    let res: Response;
    let text: string;
    try {
      res = await this.#opts.fetch(url, { method: call.method, headers, body, signal });
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (timeout.aborted) {
        throw new ConnectionError(`${what}: request timed out after ${timeoutMs}ms`, address, true, { cause: err });
      }
      throw new ConnectionError(`${what}: ${describeNetworkError(err)}`, address, false, { cause: err });
    }

    if (!res.ok) throw new ApiError(res.status, text);
    const index = parseIndex(res.headers.get('X-Nomad-Index'));
    const next = res.headers.get('X-Nomad-NextToken');
    const paging = next !== null && next !== '' ? { nextToken: next } : {};
    if (call.expect === 'none') return { data: undefined as T, index, ...paging };

    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new InvalidResponseError(`${what}: response is not JSON: ${truncate(text)}`, { cause: err });
    }
    const ok = call.expect === 'array' ? Array.isArray(data) : typeof data === 'object' && data !== null && !Array.isArray(data);
    if (!ok) {
      throw new InvalidResponseError(`${what}: expected a JSON ${call.expect}, got ${truncate(text)}`);
    }
    return { data: data as T, index, ...paging };
  }
}

function segment(field: string, value: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${field} must be a non-empty string`);
  }
  // encodeURIComponent leaves dots alone, and URL parsing would resolve
  // `.`/`..` segments into another path (deleteToken('..') → /v1/acl/).
  if (value === '.' || value === '..') throw new TypeError(`${field} must not be "${value}"`);
  return encodeURIComponent(value);
}

function parseIndex(header: string | null): number {
  if (header === null) return 0;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

// Go's net/http names the method in title case in its errors (`Get "…": …`).
function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

// undici reports `TypeError: fetch failed` and hides the useful part (e.g.
// `connect ECONNREFUSED 127.0.0.1:4646`) in `cause`, sometimes nested in an
// AggregateError when several addresses were tried.
function describeNetworkError(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const cause: unknown = e.cause;
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else if (cause instanceof Error) e = cause;
    else break;
  }
  return e instanceof Error ? e.message : String(e);
}

function truncate(text: string): string {
  const t = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return JSON.stringify(t);
}
