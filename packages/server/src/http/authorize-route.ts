import { CheckError, validateCheck } from '@tollgate/acl';
import type { AuthorizeCheck } from '@tollgate/acl';
import type { FastifyInstance } from 'fastify';
import type { ResolvedAgentConfig } from '../config.js';
import type { AgentMetrics } from '../metrics.js';
import { BadRequestError, PermissionDeniedError, TokenExpiredError } from '../errors.js';
import type { Identity, TokenResolver } from '../token-resolver.js';
import { secretOf } from './request.js';
import { route } from './route.js';
import { requireAclEnabled } from '../acl-enabled.js';

/*
 * `POST /v1/acl/authorize` — "may this token do that?" for other services.
 *
 * Body `{"Checks":[{Resource, Name?, Namespace?, Capability?}, …]}`; answers
 * `{"AccessorID", "Results":[{Allowed, Reason}, …]}` in check order. The
 * caller's own token is checked; a management caller may check another
 * token by giving its `"SecretID"` (an unknown or expired one is denied
 * every check, with the reason). This is the hot path: resolution is a
 * Map lookup plus a memoized compiled ACL (see TokenResolver), and a check is
 * a Map lookup in the ACL.
 */
/** The answer of `POST /v1/acl/authorize`. */
export interface AuthorizeAnswer {
  readonly AccessorID: string;
  readonly Results: ReadonlyArray<{ readonly Allowed: boolean; readonly Reason: string }>;
}

/** What the authorize operation reads from the agent. */
export interface AuthorizerPorts {
  readonly config: Pick<ResolvedAgentConfig, 'acl' | 'limits'>;
  readonly resolver: Pick<TokenResolver, 'resolve'>;
  readonly metrics: Pick<AgentMetrics, 'authorizeChecks' | 'authorizeTally'>;
}

/**
 * Builds the authorize operation: `(callerSecret, body) → answer`, throwing
 * coded errors (400 bad body or check, 403 caller). Shared by the Fastify
 * route and the raw fast path (fast-path.ts), so both answer alike.
 */
export function createAuthorizer(ctx: AuthorizerPorts): (secret: string, body: unknown) => AuthorizeAnswer {
  const maxChecks = ctx.config.limits.authorizeMaxChecks;
  const { resolver } = ctx;
  // Plain numbers, added to tollgate_authorize_checks_total when it is read.
  const tally = ctx.metrics.authorizeTally;

  return (secret, rawBody) => {
    requireAclEnabled(ctx.config);
    const body = rawBody as { Checks?: unknown; SecretID?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestError('Request body must be a JSON object with a Checks list');
    }
    const raw = body.Checks;
    if (!Array.isArray(raw) || raw.length === 0) throw new BadRequestError('Checks must be a non-empty list');
    if (raw.length > maxChecks) throw new BadRequestError(`Checks has ${raw.length} entries; at most ${maxChecks} are allowed`);
    const checks: AuthorizeCheck[] = new Array<AuthorizeCheck>(raw.length);
    for (let i = 0; i < raw.length; i++) {
      try {
        checks[i] = validateCheck(raw[i]);
      } catch (err) {
        if (err instanceof CheckError) throw new BadRequestError(`Checks[${i}]: ${err.message}`);
        throw err;
      }
    }
    let subject: Identity = resolver.resolve(secret);
    if (body.SecretID !== undefined && body.SecretID !== null) {
      if (typeof body.SecretID !== 'string') throw new BadRequestError('SecretID must be a string');
      if (!subject.acl.isManagement) throw new PermissionDeniedError();
      try {
        // An empty SecretID names no token; it must not mean "anonymous".
        if (body.SecretID === '') throw new PermissionDeniedError();
        subject = resolver.resolve(body.SecretID);
      } catch (err) {
        // The caller is entitled to an answer about someone else's token:
        // an unknown or expired one is denied everything, not a 403 that
        // would read as the caller's own failure.
        if (!(err instanceof PermissionDeniedError || err instanceof TokenExpiredError)) throw err;
        tally.denied += checks.length;
        const Reason = err instanceof TokenExpiredError ? 'ACL token expired' : 'ACL token not found';
        return { AccessorID: '', Results: checks.map(() => ({ Allowed: false, Reason })) };
      }
    }
    const results = new Array<{ Allowed: boolean; Reason: string }>(checks.length);
    let allowed = 0;
    for (let i = 0; i < checks.length; i++) {
      const d = subject.acl.authorize(checks[i] as AuthorizeCheck);
      if (d.Allowed) allowed++;
      results[i] = d;
    }
    tally.allowed += allowed;
    tally.denied += checks.length - allowed;
    return { AccessorID: subject.token.AccessorID, Results: results };
  };
}

// A decision's JSON, per decision object: an ACL memoises its decisions
// (frozen, shared between requests), so a result list is mostly joined
// from strings made once.
const decisionJson = new WeakMap<object, string>();

/**
 * `JSON.stringify(answer)`, cheaper on the hot path: each decision's JSON is
 * kept with the (memoised, immutable) decision object.
 */
export function authorizeAnswerJson(answer: AuthorizeAnswer): string {
  let out = `{"AccessorID":${JSON.stringify(answer.AccessorID)},"Results":[`;
  const results = answer.Results;
  for (let i = 0; i < results.length; i++) {
    const d = results[i]!;
    let json = decisionJson.get(d);
    if (json === undefined) {
      json = JSON.stringify({ Allowed: d.Allowed, Reason: d.Reason });
      if (Object.isFrozen(d)) decisionJson.set(d, json);
    }
    out += i === 0 ? json : `,${json}`;
  }
  return `${out}]}`;
}

/** The Fastify route: requests the fast path hands over (query strings, min-index waits, draining). */
export function registerAuthorizeRoute(app: FastifyInstance, authorize: (secret: string, body: unknown) => AuthorizeAnswer): void {
  route(app, '/v1/acl/authorize', {
    POST: (req) => authorize(secretOf(req), req.body),
  });
}
