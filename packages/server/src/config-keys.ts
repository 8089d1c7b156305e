import { resolve as resolvePath } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseGoDuration } from '@tollgate/acl';

/**
 * The declaration kit of the agent config (config.ts holds the table): one
 * `KeyDecl` per key gives its TypeBox schema (the type and the validation),
 * its default, its error text and how it resolves (a duration becomes
 * milliseconds). The input type, the resolved type and the validator are all
 * derived from the table, so a key is declared once.
 */

/** Facts the context-dependent defaults may read (`bind_addr`, `authoritative_region`, `etcd.prefix`). */
export interface DefaultContext {
  readonly region: string;
  readonly dev: boolean;
}

/** A default: a value, or a function of the agent's region and dev mode. */
export type KeyDefault<T> = T | ((ctx: DefaultContext) => T);

/**
 * One config key. `Out` is its resolved type, `Sure` whether the resolved
 * value is always present (a default, or required), `Millis` whether it is a
 * duration resolved to milliseconds (its resolved name gains `Ms`).
 */
export interface KeyDecl<S extends TSchema = TSchema, Out = unknown, Sure extends boolean = boolean, Millis extends boolean = boolean> {
  readonly schema: S;
  readonly default: KeyDefault<Static<S>> | undefined;
  /** Resolution must fail when the key is missing (config files may still leave it out). */
  readonly required: string | undefined;
  /** The text after `key "…"` when the value has the right JSON type but a bad value. */
  readonly error: (value: unknown) => KeyError;
  /** The text when the value has the wrong JSON type. */
  readonly typeError: string;
  /** Method syntax on purpose: a table of keys of different types is one `Record<string, KeyDecl>`. */
  resolve(value: Static<S>): Out;
  readonly sure: Sure;
  readonly millis: Millis;
  /** HCL v1 decodes a map value (`k = { … }`) as a one-element list; unwrap it when parsing. */
  readonly hclMap: boolean;
}

/** An error text, optionally about a sub-key (`region_peers.global`). */
export type KeyError = string | { readonly at: string; readonly text: string };

/** A block of keys (`ports {}`, `acl {}`); `Optional` blocks resolve to `undefined` when absent. */
export interface BlockDecl<Keys extends Record<string, KeyDecl> = Record<string, KeyDecl>, Optional extends boolean = boolean> {
  readonly keys: Keys;
  readonly optional: Optional;
}

interface KeyOptions<S extends TSchema> {
  readonly error?: string | ((value: Static<S>) => KeyError);
  readonly typeError?: string;
  readonly hclMap?: boolean;
}

const TYPE_ERRORS: Readonly<Record<string, string>> = {
  string: 'must be a string',
  boolean: 'must be true or false',
  integer: 'must be an integer',
  number: 'must be a number',
  array: 'must be a list of strings',
  object: 'must be a block',
};

function decl<S extends TSchema, Out, Sure extends boolean, Millis extends boolean>(
  schema: S,
  opts: KeyOptions<S> & { default?: KeyDefault<Static<S>>; required?: string },
  resolve: (value: Static<S>) => Out,
  sure: Sure,
  millis: Millis,
): KeyDecl<S, Out, Sure, Millis> {
  const error = opts.error;
  return {
    schema,
    default: opts.default,
    required: opts.required,
    error: (v) => (typeof error === 'function' ? error(v as Static<S>) : (error ?? `must match ${schema.type as string}`)),
    typeError: opts.typeError ?? TYPE_ERRORS[schema.type as string] ?? 'has the wrong type',
    resolve,
    sure,
    millis,
    hclMap: opts.hclMap ?? false,
  };
}

const same = <T>(v: T): T => v;

/** A key without a default: resolves to `undefined` when not set. */
export function optional<S extends TSchema>(schema: S, opts: KeyOptions<S> = {}): KeyDecl<S, Static<S>, false, false> {
  return decl(schema, opts, same, false, false);
}

/** A key without a default whose value is resolved (e.g. base64 → bytes). */
export function optionalAs<S extends TSchema, Out>(schema: S, resolve: (v: Static<S>) => Out, opts: KeyOptions<S> = {}): KeyDecl<S, Out, false, false> {
  return decl(schema, opts, resolve, false, false);
}

/** A key with a default (a value, or a function of region and dev mode). */
export function withDefault<S extends TSchema>(schema: S, dflt: KeyDefault<Static<S>>, opts: KeyOptions<S> = {}): KeyDecl<S, Static<S>, true, false> {
  return decl(schema, { ...opts, default: dflt }, same, true, false);
}

/** A key with a default whose value is resolved (e.g. a map made null-prototype). */
export function withDefaultAs<S extends TSchema, Out>(
  schema: S,
  dflt: KeyDefault<Static<S>>,
  resolve: (v: Static<S>) => Out,
  opts: KeyOptions<S> = {},
): KeyDecl<S, Out, true, false> {
  return decl(schema, { ...opts, default: dflt }, resolve, true, false);
}

/** A key that must be set once the config is resolved (files may still leave it out); `missing` is the error text. */
export function required<S extends TSchema>(schema: S, missing: string, opts: KeyOptions<S> = {}): KeyDecl<S, Static<S>, true, false> {
  return decl(schema, { ...opts, required: missing }, same, true, false);
}

/** A required key whose value is resolved (e.g. a path made absolute). */
export function requiredAs<S extends TSchema, Out>(
  schema: S,
  missing: string,
  resolve: (v: Static<S>) => Out,
  opts: KeyOptions<S> = {},
): KeyDecl<S, Out, true, false> {
  return decl(schema, { ...opts, required: missing }, resolve, true, false);
}

FormatRegistry.Set('go-duration', (s) => durationMs(s) !== undefined);
FormatRegistry.Set('positive-go-duration', (s) => (durationMs(s) ?? 0) > 0);
FormatRegistry.Set('base64-32', (s) => Buffer.from(s, 'base64').length === 32);

function durationMs(s: string): number | undefined {
  try {
    const ms = parseGoDuration(s);
    return ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Go duration (`"30s"`, `"1h30m"`), resolved to milliseconds under the
 * key's camel-cased name plus `Ms`. `positive` refuses zero (a zero wait or
 * interval would spin or always fail).
 */
export function duration(dflt: string, opts: { positive?: boolean } = {}): KeyDecl<ReturnType<typeof Type.String>, number, true, true> {
  const schema = Type.String({ format: opts.positive === true ? 'positive-go-duration' : 'go-duration' });
  return decl(
    schema,
    {
      default: dflt,
      error: (v) => (durationMs(v) === undefined ? `must be a duration like "30s" (got "${v}")` : `must be greater than zero (got "${v}")`),
    },
    (v) => durationMs(v)!,
    true,
    true,
  );
}

/** A block of keys, always present once resolved. */
export function block<Keys extends Record<string, KeyDecl>>(keys: Keys): BlockDecl<Keys, false> {
  return { keys, optional: false };
}

/** A block that turns a feature on by being present (`etcd {}`); resolves to `undefined` when absent. */
export function optionalBlock<Keys extends Record<string, KeyDecl>>(keys: Keys): BlockDecl<Keys, true> {
  return { keys, optional: true };
}

/** A directory path, resolved to an absolute path. */
export const absolutePath = (p: string): string => resolvePath(p);

/** Whether `value` has the JSON type the key's schema asks for (the first half of validation). */
function hasBaseType(schema: TSchema, value: unknown): boolean {
  switch (schema.type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

/** The error text for `value` of key `k`, or `undefined` when it is valid. */
export function checkKey(k: KeyDecl, value: unknown): KeyError | undefined {
  if (!hasBaseType(k.schema, value)) return k.typeError;
  if (Value.Check(k.schema, value)) return undefined;
  return k.error(value);
}

// ── Derived types ──────────────────────────────────────────────────────────

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

type ResolvedName<K extends string, D> = D extends KeyDecl<TSchema, unknown, boolean, true> ? `${Camel<K>}Ms` : Camel<K>;

type ResolvedKey<D> = D extends KeyDecl<TSchema, infer Out, infer Sure, boolean> ? (Sure extends true ? Out : Out | undefined) : never;

type InputKey<D> = D extends KeyDecl<infer S, unknown, boolean, boolean> ? Static<S> : never;

/** A block's keys as the resolved config shows them: camelCase, durations in `…Ms`. */
export type ResolvedBlock<Keys> = { readonly [K in keyof Keys & string as ResolvedName<K, Keys[K]>]: ResolvedKey<Keys[K]> };

/** The resolved shape of a whole declaration table. */
export type ResolvedTable<T> = {
  readonly [K in keyof T & string as ResolvedName<K, T[K]>]: T[K] extends BlockDecl<infer Keys, infer Opt>
    ? Opt extends true
      ? ResolvedBlock<Keys> | undefined
      : ResolvedBlock<Keys>
    : ResolvedKey<T[K]>;
};

/** The input shape of a whole declaration table: every key optional, as a user writes it. */
export type InputTable<T> = {
  [K in keyof T]?: T[K] extends BlockDecl<infer Keys, boolean> ? { [J in keyof Keys]?: InputKey<Keys[J]> } : InputKey<T[K]>;
};

/** `snake_case` → `camelCase`, plus `Ms` for a duration: the resolved name of a key. */
export function resolvedName(name: string, k: KeyDecl): string {
  const camel = name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return k.millis ? `${camel}Ms` : camel;
}

/** Whether a table entry is a block. */
export function isBlock(d: KeyDecl | BlockDecl): d is BlockDecl {
  return 'keys' in d;
}
