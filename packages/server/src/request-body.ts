import { Type } from '@sinclair/typebox';
import type { Static, TNull, TObject, TOptional, TProperties, TSchema, TUnion } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { BadRequestError } from './errors.js';

/**
 * The declaration kit of request bodies (as config-keys.ts is for config
 * keys): one `requestBody({...})` per body gives its type (`Static`), its
 * type validation (a compiled TypeBox check) and, per field, the 400's text
 * when the field has the wrong JSON type. Bodies decode as Go's JSON decoder
 * does in Nomad: unknown fields are ignored and `null` is the same as
 * absent. Checks of values (a duration's syntax, a name's pattern, Nomad's
 * `Validate` multierrors) stay with the code that builds the object.
 *
 * Bodies are decoded by the write operation (acl-endpoint.ts), not by
 * Fastify before the handler: a write checks `acl.enabled` and the caller's
 * token before its body (403 before 400, as Nomad), and a forwarded write is
 * decoded in the authoritative region that runs it.
 */

const DECODE_FAILED = 'Request decode failed';
/** The option a field's schema carries its error text in. */
const FIELD_ERROR = 'tollgateFieldError';

/** A field's error: the text after its name (`must be a string`), or the whole message. */
export type FieldError = string | { readonly message: string };

/** A body field: its JSON type, absent or `null` allowed (Go decodes both to the zero value). */
export type Field<S extends TSchema> = TOptional<TUnion<[S, TNull]>>;

/** Declares a field of type `schema`; `error` is the 400 when the value has another JSON type. */
export function field<S extends TSchema>(schema: S, error: FieldError): Field<S> {
  return Type.Optional(Type.Union([schema, Type.Null()], { [FIELD_ERROR]: error }));
}

export const stringField = (): Field<ReturnType<typeof Type.String>> => field(Type.String(), 'must be a string');
export const booleanField = (): Field<ReturnType<typeof Type.Boolean>> => field(Type.Boolean(), 'must be true or false');
/** Nomad's duration fields: a Go duration string (`""` = none) or integer nanoseconds. */
export const durationField = (): Field<TUnion<[ReturnType<typeof Type.String>, ReturnType<typeof Type.Number>]>> =>
  field(Type.Union([Type.String(), Type.Number()]), 'must be a duration string or nanoseconds');

/** A declared body. */
export interface RequestBody<P extends TProperties> {
  readonly schema: TObject<P>;
  /**
   * Type-checks `body` (an object whose fields have their declared types)
   * and returns it typed; else a 400 naming the first bad field in
   * declaration order (`Request decode failed: Policies must be a list of
   * strings`, nested `JobACL.Namespace must be a string`).
   */
  decode(body: unknown): Static<TObject<P>>;
  /** The 400 of field `key`, for a value check past its type (`ExpirationTime` not a time). */
  fieldError(key: keyof P & string): BadRequestError;
}

/**
 * Declares a body from its fields. `notObject` is the 400 when the body is
 * not a JSON object (`Request decode failed: expected a JSON object`).
 */
export function requestBody<P extends TProperties>(fields: P, opts: { readonly notObject?: string } = {}): RequestBody<P> {
  const schema = Type.Object(fields);
  const check = TypeCompiler.Compile(schema);
  // Compiled once: a bad body costs no compilation.
  const checks = fieldChecks(fields);
  const notObject = opts.notObject ?? `${DECODE_FAILED}: expected a JSON object`;
  return {
    schema,
    decode(body) {
      if (!isObject(body)) throw new BadRequestError(notObject);
      if (check.Check(body)) return body;
      throw new BadRequestError(firstError(checks, body, '') ?? notObject);
    },
    fieldError(key) {
      return new BadRequestError(errorText(fields[key] as TSchema, key));
    },
  };
}

interface FieldCheck {
  readonly key: string;
  readonly schema: TSchema;
  readonly check: TypeCheck<TSchema>;
  /** A nested object's fields (`JobACL`). */
  readonly nested: readonly FieldCheck[] | undefined;
}

function fieldChecks(fields: TProperties): FieldCheck[] {
  return Object.entries(fields).map(([key, schema]) => {
    const inner = (schema as { anyOf?: TSchema[] }).anyOf?.[0];
    const props = (inner as { properties?: TProperties } | undefined)?.properties;
    return { key, schema, check: TypeCompiler.Compile(schema), nested: props === undefined ? undefined : fieldChecks(props) };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The message of the first field of `value` that fails its schema, in declaration order. */
function firstError(checks: readonly FieldCheck[], value: Record<string, unknown>, at: string): string | undefined {
  for (const f of checks) {
    const v = value[f.key];
    if (v === undefined || f.check.Check(v)) continue;
    // A nested object: name its first bad field (`JobACL.Namespace`).
    const nested = f.nested !== undefined && isObject(v) ? firstError(f.nested, v, `${at}${f.key}.`) : undefined;
    return nested ?? errorText(f.schema, `${at}${f.key}`);
  }
  return undefined;
}

function errorText(schema: TSchema, name: string): string {
  const error = (schema as { [FIELD_ERROR]?: FieldError })[FIELD_ERROR] ?? 'has the wrong type';
  return typeof error === 'string' ? `${DECODE_FAILED}: ${name} ${error}` : error.message;
}
