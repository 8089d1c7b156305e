import { createHash } from 'node:crypto';
import { PolicyError } from '@tollgate/acl';
import type { ACLPolicy, JobACL } from '@tollgate/state';
import { Type } from '@sinclair/typebox';
import { BadRequestError } from './errors.js';
import { field, requestBody, stringField } from './request-body.js';
import { multiError } from './tokens.js';

/** Nomad's policy name rule. */
export const POLICY_NAME_RE = /^[a-zA-Z0-9-]{1,128}$/;
/** Longest description (Nomad counts bytes; so do we here). */
export const MAX_POLICY_DESCRIPTION_BYTES = 256;

/** A policy body (`POST /v1/acl/policy/:name`, `POST /v1/validate/policy`). */
export const POLICY_BODY = requestBody({
  Name: stringField(),
  Description: stringField(),
  Rules: stringField(),
  JobACL: field(
    Type.Object({ Namespace: stringField(), JobID: stringField(), Group: stringField(), Task: stringField() }),
    'must be an object or null',
  ),
});

/**
 * Type-checks and validates a policy body for `POST /v1/acl/policy/:name`
 * and builds the object to store. Errors follow Nomad's
 * `policy 0 invalid: <multierror>` format. `parseRules` parses the rules
 * strictly (off the event loop: `TokenResolver.parseForWrite`); its
 * `PolicyError` becomes part of the 400, anything else (a busy parser)
 * propagates.
 */
export async function decodePolicyRequest(
  body: unknown,
  pathName: string,
  parseRules: (rules: string) => Promise<unknown>,
): Promise<ACLPolicy> {
  const b = POLICY_BODY.decode(body);
  const name = b.Name ?? '';
  if (name !== pathName) throw new BadRequestError('ACL policy name does not match request path');
  const description = b.Description ?? '';
  const rules = b.Rules ?? '';
  const given = b.JobACL ?? null;
  // Go decodes an absent field of the object as "".
  const jobACL: JobACL | null =
    given === null ? null : { Namespace: given.Namespace ?? '', JobID: given.JobID ?? '', Group: given.Group ?? '', Task: given.Task ?? '' };
  const errs: string[] = [];
  if (!POLICY_NAME_RE.test(name)) errs.push(`invalid name '${name.slice(0, 140)}'`);
  try {
    await parseRules(rules);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    errs.push(`failed to parse rules: ${err.message}`);
  }
  if (Buffer.byteLength(description) > MAX_POLICY_DESCRIPTION_BYTES) errs.push('description longer than 256');
  if (jobACL !== null) {
    // Nomad's ACLPolicy.Validate: each level needs the one above it.
    if (jobACL.JobID !== '' && jobACL.Namespace === '') errs.push('namespace must be set to set job ID');
    if (jobACL.Group !== '' && jobACL.JobID === '') errs.push('job ID must be set to set group');
    if (jobACL.Task !== '' && jobACL.Group === '') errs.push('group must be set to set task');
  }
  if (errs.length > 0) throw new BadRequestError(`policy 0 invalid: ${multiError(errs)}`);
  return {
    Name: name,
    Description: description,
    Rules: rules,
    ...(jobACL === null ? {} : { JobACL: jobACL }),
    Hash: policyHash(name, description, rules, jobACL),
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/**
 * SHA-256 over Name + Description + Rules and, when set, the JobACL's
 * Namespace + JobID + Group + Task, in Nomad's order (Nomad: blake2b-256;
 * see tokenHash). A policy without JobACL hashes as it always did.
 */
export function policyHash(name: string, description: string, rules: string, jobACL: JobACL | null = null): string {
  const h = createHash('sha256').update(name).update(description).update(rules);
  if (jobACL !== null) h.update(jobACL.Namespace).update(jobACL.JobID).update(jobACL.Group).update(jobACL.Task);
  return h.digest('base64');
}
