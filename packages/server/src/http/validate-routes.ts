import type { FastifyInstance } from 'fastify';
import type { ResolvedAgentConfig } from '../config.js';
import type { TokenResolver } from '../token-resolver.js';
import { requireAclEnabled } from '../acl-enabled.js';
import { BadRequestError, PermissionDeniedError } from '../errors.js';
import { POLICY_BODY, decodePolicyRequest } from '../policies.js';
import { route } from './route.js';
import { secretOf } from './request.js';

/** Where in the rules text a validation error points (1-based), when it can be told. */
export interface RulesPosition {
  readonly Line: number;
  readonly Column: number;
}

/** The body of `POST /v1/validate/acl-policy`. */
export interface PolicyValidation {
  readonly Valid: boolean;
  /** The text a `POST /v1/acl/policy/:name` with this body would answer with (400), or null. */
  readonly Error: string | null;
  readonly Position: RulesPosition | null;
}

// A name that passes Nomad's rule, for bodies that only ask about the rules.
const PLACEHOLDER_NAME = 'policy-being-validated';

/**
 * `POST /v1/validate/acl-policy` (Tollgate; the UI's policy editor): runs
 * exactly the checks `POST /v1/acl/policy/:name` runs — name, description
 * and the agent's own strict HCL/JSON parser — and writes nothing. Invalid
 * rules are a 200 with `Valid: false`, the write's error text and, where it
 * can be told, the line and column; a body that is not a policy is a 400.
 * Same ACL as a policy write (management), so it is no free parser for
 * anonymous callers. Answered in the agent's own region: parsing needs no
 * authoritative state.
 */
export interface ValidateRoutePorts {
  readonly config: Pick<ResolvedAgentConfig, 'acl'>;
  readonly resolver: Pick<TokenResolver, 'resolve' | 'parseForWrite'>;
}

export function registerValidateRoutes(app: FastifyInstance, ctx: ValidateRoutePorts): void {
  route(app, '/v1/validate/acl-policy', {
    POST: async (req) => {
      requireAclEnabled(ctx.config);
      if (!ctx.resolver.resolve(secretOf(req)).acl.isManagement) throw new PermissionDeniedError();
      // The policy body's schema; the fields' types are checked before the rules.
      const b = POLICY_BODY.decode(req.body);
      const name = b.Name === undefined || b.Name === null || b.Name === '' ? PLACEHOLDER_NAME : b.Name;
      const rules = b.Rules ?? '';
      try {
        await decodePolicyRequest({ ...b, Name: name }, name, (r) => ctx.resolver.parseForWrite(r));
      } catch (err) {
        if (!(err instanceof BadRequestError) || err.message.startsWith('Request decode failed')) throw err;
        return { Valid: false, Error: err.message, Position: errorPosition(err.message, rules) } satisfies PolicyValidation;
      }
      return { Valid: true, Error: null, Position: null } satisfies PolicyValidation;
    },
  });
}

/**
 * Points an error at the rules text: the HCL parser's own `At L:C:` when it
 * gave one, else the first place the block or value the message names is
 * written (`namespace "default"`, `agent {`, `'read-jb'`). Null when the
 * message names nothing findable.
 */
export function errorPosition(message: string, rules: string): RulesPosition | null {
  const at = /At (\d+):(\d+):/.exec(message);
  if (at) return { Line: Number(at[1]), Column: Number(at[2]) };
  const candidates: RegExp[] = [];
  const block = /(?:^|[\s:.])([a-z_]+) "([^"\n]*)"/.exec(message);
  if (block) candidates.push(new RegExp(`\\b${escape(block[1]!)}\\s+"${escape(block[2]!)}"`));
  const value = /'([^'\n]+)'/.exec(message);
  if (value) candidates.push(new RegExp(`"${escape(value[1]!)}"`));
  const bare = /: ([a-z_]+) \{/.exec(message);
  if (bare) candidates.push(new RegExp(`\\b${escape(bare[1]!)}\\s*\\{`));
  for (const re of candidates) {
    const m = re.exec(rules);
    if (m) return positionOf(rules, m.index);
  }
  return null;
}

function positionOf(text: string, offset: number): RulesPosition {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { Line: line, Column: offset - before.lastIndexOf('\n') };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
