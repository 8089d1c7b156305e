import { createHash, randomUUID } from 'node:crypto';
import type { ACLBindingRule } from '@tollgate/state';
import { BadRequestError } from '../errors.js';
import { requestBody, stringField } from '../request-body.js';
import { multiError } from '../tokens.js';
import { selectorError } from './claims-selector.js';
import { templateVariables } from './interpolate.js';

/** The bind types (Nomad's `ACLBindingRuleBindType*`). */
export const BIND_TYPES: readonly string[] = ['role', 'policy', 'management'];
/** Nomad's `maxACLBindingRuleDescriptionLength` (bytes). */
export const MAX_BINDING_RULE_DESCRIPTION_BYTES = 256;

/** A binding rule body (`POST /v1/acl/binding-rule[/:id]`). */
export const BINDING_RULE_BODY = requestBody({
  ID: stringField(),
  Description: stringField(),
  Selector: stringField(),
  AuthMethod: stringField(),
  BindType: stringField(),
  BindName: stringField(),
});

/**
 * Type-checks and validates a binding rule body
 * (`POST /v1/acl/binding-rule[/:id]`) as Nomad's handler, `Merge` and
 * `Validate` do, and builds the rule to store. An update (`existing`)
 * keeps `BindName`, `BindType` and `AuthMethod` when the body leaves them
 * empty, and may not move the rule to another method. Errors are Nomad's:
 * `binding rule 0 invalid: <multierror>` (`auth method is missing`,
 * `bind type is missing`, `bind name is missing`, `bind name should be
 * empty`, `unsupported bind type: "x"`, `selector is invalid: …`,
 * `description longer than 256`), `ACL binding rule ID does not match
 * request path`, `cannot update auth method for binding rule, create a new
 * rule instead`. Whether the method exists is checked by the store, inside
 * the commit.
 */
export function decodeBindingRuleRequest(
  body: unknown,
  pathId: string | undefined,
  existing: ACLBindingRule | undefined,
  now: Date,
): ACLBindingRule {
  const b = BINDING_RULE_BODY.decode(body);
  const id = b.ID ?? '';
  if (pathId !== undefined && id !== '' && id !== pathId) throw new BadRequestError('ACL binding rule ID does not match request path');
  const description = b.Description ?? '';
  const selector = b.Selector ?? '';
  let authMethod = b.AuthMethod ?? '';
  let bindType = b.BindType ?? '';
  let bindName = b.BindName ?? '';
  if (existing !== undefined) {
    bindName ||= existing.BindName;
    bindType ||= existing.BindType;
    authMethod ||= existing.AuthMethod;
    if (authMethod !== existing.AuthMethod) {
      throw new BadRequestError('cannot update auth method for binding rule, create a new rule instead');
    }
  }
  const errs: string[] = [];
  if (authMethod === '') errs.push('auth method is missing');
  if (Buffer.byteLength(description) > MAX_BINDING_RULE_DESCRIPTION_BYTES) {
    errs.push(`description longer than ${MAX_BINDING_RULE_DESCRIPTION_BYTES}`);
  }
  switch (bindType) {
    case '':
      errs.push('bind type is missing');
      break;
    case 'role':
    case 'policy':
      if (bindName === '') errs.push('bind name is missing');
      else if (!(templateVariables(bindName) ?? ['']).every((v) => /^value\.[^.]+$/.test(v))) {
        errs.push('bind name is invalid: only ${value.<name>} may be interpolated');
      }
      break;
    case 'management':
      if (bindName !== '') errs.push('bind name should be empty');
      break;
    default:
      errs.push(`unsupported bind type: ${JSON.stringify(bindType.slice(0, 32))}`);
  }
  const bad = selector === '' ? undefined : selectorError(selector);
  if (bad !== undefined) errs.push(`selector is invalid: ${bad}`);
  if (errs.length > 0) throw new BadRequestError(`binding rule 0 invalid: ${multiError(errs)}`);
  const rule: ACLBindingRule = {
    ID: existing?.ID ?? (pathId !== undefined && pathId !== '' ? pathId : id !== '' ? id : randomUUID()),
    Description: description,
    AuthMethod: authMethod,
    Selector: selector,
    BindType: bindType,
    BindName: bindName,
    Hash: '',
    CreateTime: existing?.CreateTime ?? now.toISOString(),
    ModifyTime: now.toISOString(),
    CreateIndex: 0,
    ModifyIndex: 0,
  };
  return { ...rule, Hash: bindingRuleHash(rule) };
}

/** SHA-256 (base64) over the rule's fields in Nomad's `SetHash` order (Nomad: blake2b-256). */
export function bindingRuleHash(r: Pick<ACLBindingRule, 'ID' | 'Description' | 'AuthMethod' | 'Selector' | 'BindType' | 'BindName'>): string {
  const h = createHash('sha256');
  for (const v of [r.ID, r.Description, r.AuthMethod, r.Selector, r.BindType, r.BindName]) h.update(`${v.length}:${v}`);
  return h.digest('base64');
}

/** A binding rule as the API returns it (Nomad's `ACLBindingRule`). */
export type BindingRuleView = Omit<ACLBindingRule, 'SourceIndex'>;

export function bindingRuleView(r: ACLBindingRule): BindingRuleView {
  // The stored rule is already in Nomad's field order; only the replica's bookkeeping goes.
  const { SourceIndex: _source, ...view } = r;
  return view;
}

/** `GET /v1/acl/binding-rules` entries (Nomad's `ACLBindingRuleListStub`). */
export interface BindingRuleStub {
  readonly ID: string;
  readonly Description: string;
  readonly AuthMethod: string;
  readonly Hash: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
}

export function bindingRuleStub(r: ACLBindingRule): BindingRuleStub {
  return { ID: r.ID, Description: r.Description, AuthMethod: r.AuthMethod, Hash: r.Hash, CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex };
}
