import { createHash } from 'node:crypto';
import { parsePolicy, PolicyError } from '@tollgate/acl';
import type { ACLPolicy } from '@tollgate/state';
import { BadRequestError } from './errors.js';
import { multiError } from './tokens.js';

/** Nomad's policy name rule. */
export const POLICY_NAME_RE = /^[a-zA-Z0-9-]{1,128}$/;
/** Longest description (Nomad counts bytes; so do we here). */
export const MAX_POLICY_DESCRIPTION_BYTES = 256;

/**
 * Type-checks and validates a policy body for `POST /v1/acl/policy/:name`
 * and builds the object to store. Errors follow Nomad's
 * `policy 0 invalid: <multierror>` format.
 */
export function decodePolicyRequest(body: unknown, pathName: string): ACLPolicy {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('Request decode failed: expected a JSON object');
  }
  const b = body as Record<string, unknown>;
  for (const k of ['Name', 'Description', 'Rules'] as const) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') {
      throw new BadRequestError(`Request decode failed: ${k} must be a string`);
    }
  }
  const name = (b.Name as string | undefined) ?? '';
  if (name !== pathName) throw new BadRequestError('ACL policy name does not match request path');
  const description = (b.Description as string | undefined) ?? '';
  const rules = (b.Rules as string | undefined) ?? '';
  const errs: string[] = [];
  if (!POLICY_NAME_RE.test(name)) errs.push(`invalid name '${name.slice(0, 140)}'`);
  try {
    parsePolicy(rules, { strict: true });
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    errs.push(`failed to parse rules: ${err.message}`);
  }
  if (Buffer.byteLength(description) > MAX_POLICY_DESCRIPTION_BYTES) errs.push('description longer than 256');
  if (errs.length > 0) throw new BadRequestError(`policy 0 invalid: ${multiError(errs)}`);
  return {
    Name: name,
    Description: description,
    Rules: rules,
    Hash: policyHash(name, description, rules),
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/** SHA-256 over Name + Description + Rules (Nomad: blake2b-256; see tokenHash). */
export function policyHash(name: string, description: string, rules: string): string {
  return createHash('sha256').update(name).update(description).update(rules).digest('base64');
}
