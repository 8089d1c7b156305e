import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuditUnavailableError } from '../errors.js';
import { secretOf } from './request.js';
import { forwardedOriginOf } from '../audit/forwarded-origin.js';
import { authorizeTarget, auditOp, isAuditedPath, isWriteOp } from '../audit/request-auditor.js';
import type { AuditEntry, RequestAuditor } from '../audit/request-auditor.js';

const TEXT = 'text/plain; charset=utf-8';

/**
 * The audit log's two hooks on the Fastify routes (the authorize fast path
 * audits itself):
 *
 * - `onRequest`: fail-closed — while the log cannot be written and
 *   `audit.fail_open` is off, every audited request is refused with 503
 *   `TOLLGATE_AUDIT_UNAVAILABLE` before it runs, so nothing changes unaudited.
 * - `onSend`: one line per audited request, with its status and answer. A
 *   successful write (bootstrap, token and policy writes) waits until its
 *   line is written and fsynced; if that fails, the answer becomes a 503
 *   (the write itself did commit: the text says so, with its index). Other
 *   lines are queued, and wait only for room in a full queue.
 */
export function registerAuditHooks(app: FastifyInstance, audit: RequestAuditor): void {
  app.addHook('onRequest', (req, _reply, done) => {
    if (!isAuditedPath(req.url)) {
      done();
      return;
    }
    const refusal = audit.refusal();
    if (refusal === undefined) {
      done();
      return;
    }
    done(new AuditUnavailableError(`audit log unavailable, request refused: ${refusal}`));
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const routeUrl = req.routeOptions.url;
    if (routeUrl === undefined || !isAuditedPath(routeUrl)) return payload;
    const entry = entryOf(audit, req, reply, routeUrl, payload);
    const writer = audit.writer;
    if (writer.mustWait()) await writer.whenRoom();
    const durable = reply.statusCode < 300 && isWriteOp(entry.op) && !writer.failOpen;
    const written = audit.submit(entry, durable);
    if (written === undefined) return payload;
    try {
      await written;
      return payload;
    } catch (err) {
      reply.code(503).type(TEXT);
      reply.removeHeader('x-nomad-index');
      return `audit log unavailable: ${(err as Error).message}; the write was committed${entry.index === undefined ? '' : ` at index ${entry.index}`} but is not in the audit log`;
    }
  });
}

function entryOf(audit: RequestAuditor, req: FastifyRequest, reply: FastifyReply, routeUrl: string, payload: unknown): AuditEntry {
  const op = auditOp(req.method, routeUrl);
  const status = reply.statusCode;
  const q = req.url.indexOf('?');
  const params = req.params as Record<string, string | undefined>;
  const origin = forwardedOriginOf(req.headers);
  let target: Record<string, unknown> | undefined;
  let response: Record<string, unknown> | undefined;
  let result: string | undefined;
  let reason: string | undefined;
  const text = status >= 300 || op === 'acl.authorize' || op === 'acl.token.create' || SECRET_OPS.has(op) ? payloadText(payload) : undefined;
  if (status >= 300) reason = text;
  if (op === 'acl.authorize') {
    const answer = status === 200 && text !== undefined ? (safeJson(text) as { AccessorID: string; Results: { Allowed: boolean; Reason: string }[] } | undefined) : undefined;
    target = authorizeTarget(audit, req.body, answer);
    if (answer !== undefined) result = answer.Results.every((r) => r.Allowed) ? 'allowed' : 'denied';
  } else if (params.accessor !== undefined) {
    target = { accessor_id: params.accessor };
    const revoked = audit.revokedBy(req.raw);
    if (revoked !== undefined && status < 300) target.revoked_descendants = revoked;
  } else if (op.startsWith('acl.auth_method.') && params.name !== undefined) {
    target = { auth_method: params.name };
  } else if (op.startsWith('acl.binding_rule.') && params.id !== undefined) {
    target = { binding_rule: params.id };
  } else if (params.name !== undefined) {
    target = { policy: params.name };
  }
  const noted = audit.targetOf(req.raw);
  if (noted !== undefined) target = { ...target, ...noted };
  if (status < 300 && SECRET_OPS.has(op) && text !== undefined) {
    const t = safeJson(text) as { AccessorID?: unknown; SecretID?: unknown } | undefined;
    if (t !== undefined) {
      response = {};
      if (typeof t.AccessorID === 'string') response.accessor_id = t.AccessorID;
      if (typeof t.SecretID === 'string') response.secret_id = audit.hash(t.SecretID);
      if ((op === 'acl.token.create' || (op === 'acl.token.renew' && target === undefined)) && typeof t.AccessorID === 'string') {
        target = { accessor_id: t.AccessorID };
      }
      if (op === 'acl.login' && typeof t.AccessorID === 'string') target = { ...target, accessor_id: t.AccessorID };
    }
  }
  const rawIndex = reply.getHeader('x-nomad-index');
  const index = isWriteOp(op) && rawIndex !== undefined ? Number(rawIndex) : undefined;
  const forwardedTo = audit.forwardedTo(req.raw);
  return {
    requestId: req.id,
    address: origin?.peer ?? req.ip,
    secret: secretOf(req),
    op,
    method: req.method,
    path: q === -1 ? req.url : req.url.slice(0, q),
    status,
    ...(result === undefined ? {} : { result }),
    ...(reason === undefined ? {} : { reason }),
    ...(target === undefined ? {} : { target }),
    ...(response === undefined ? {} : { response }),
    ...(index === undefined || !Number.isFinite(index) ? {} : { index }),
    ...(forwardedTo === undefined ? {} : { forwardedTo }),
    ...(origin === undefined ? {} : { forwardedFrom: origin }),
  };
}

const SECRET_OPS = new Set(['acl.bootstrap', 'acl.token.create', 'acl.token.update', 'acl.token.read', 'acl.token.self', 'acl.token.renew', 'acl.login']);

function payloadText(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
