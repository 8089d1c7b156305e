import { describe, expect, it } from 'vitest';
import { PolicyError, parsePolicy, type Policy } from '@tollgate/acl';

// Deterministic PRNG (mulberry32) so a failure is reproducible from its seed.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  'namespace', 'node_pool', 'host_volume', 'agent', 'node', 'quota', 'plugin', 'operator', 'sentinel', 'bogus',
  'policy', 'capabilities', 'variables', 'path', '"default"', '"prod-*"', '"*"', '""', '"/x"', '"a/*"',
  '"read"', '"write"', '"deny"', '"list"', '"scale"', '"read-job"', '"snapshot-save"', '"mount-readonly"',
  '{', '}', '[', ']', '=', ',', ':', '\n', ' ', '#', '//', '/*', '*/', '<<EOF\n', '\nEOF\n', '"${', '\\', '"',
  '1', '-1', '1.5', '0x1F', '1e9', 'true', 'false', 'null', '{"namespace":', '{"agent":{"policy":"read"}}',
];

const VALID = `
namespace "prod-*" {
  policy       = "write"
  capabilities = ["alloc-node-exec", "host-volume-register"]
  variables {
    path "secrets/*" { capabilities = ["read"] }
    path "ci/*" { capabilities = ["deny"] }
  }
}
node_pool "gpu_*" { policy = "read" }
host_volume "certs" { policy = "write" }
agent { policy = "read" }
operator { capabilities = ["snapshot-save"] }
plugin { policy = "list" }
`;

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

function randomChars(r: () => number, n: number, maxCode: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(r() * maxCode));
  return s;
}

function randomTokens(r: () => number): string {
  const n = Math.floor(r() * 60);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(r, TOKENS) + (r() < 0.5 ? ' ' : '');
  return s;
}

function mutate(r: () => number, text: string): string {
  let s = text;
  const edits = 1 + Math.floor(r() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const roll = r();
    if (roll < 0.33) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (roll < 0.66) s = s.slice(0, at) + pick(r, TOKENS) + s.slice(at);
    else s = s.slice(0, at) + randomChars(r, 1 + Math.floor(r() * 4), 0x80) + s.slice(at + 1);
  }
  return s;
}

function randomJson(r: () => number, depth: number): unknown {
  const roll = r();
  if (depth > 5 || roll < 0.3) return pick(r, ['read', 'write', 'deny', 'prod-*', '', 1, 2.5, true, null]);
  if (roll < 0.5) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1));
  const obj: Record<string, unknown> = {};
  const keys = ['namespace', 'agent', 'policy', 'capabilities', 'variables', 'path', 'default', 'node_pool', 'x'];
  for (let i = Math.floor(r() * 4); i > 0; i--) obj[pick(r, keys)] = randomJson(r, depth + 1);
  return obj;
}

function outcome(input: string): 'policy' | 'error' {
  let policy: Policy;
  try {
    policy = parsePolicy(input, { strict: input.length % 2 === 0 });
  } catch (err) {
    if (!(err instanceof PolicyError)) {
      throw new Error(`non-PolicyError for input ${JSON.stringify(input)}: ${String(err)}`, { cause: err });
    }
    expect(err.code).toBe('TOLLGATE_POLICY_INVALID');
    expect(err.message.length).toBeGreaterThan(0);
    return 'error';
  }
  expect(policy.raw).toBe(input);
  expect(Object.isFrozen(policy)).toBe(true);
  return 'policy';
}

describe('parsePolicy fuzzing', () => {
  it('returns a Policy or throws a PolicyError for random, garbled and mutated inputs', () => {
    const r = rng(0x7011_6a7e);
    const counts = { policy: 0, error: 0 };
    const generators: Array<() => string> = [
      () => randomChars(r, Math.floor(r() * 300), 0x80),
      () => randomChars(r, Math.floor(r() * 100), 0x10000), // includes lone surrogates and NUL
      () => randomTokens(r),
      () => mutate(r, VALID),
      () => JSON.stringify(randomJson(r, 0)),
      () => mutate(r, JSON.stringify(randomJson(r, 0))),
    ];
    for (let i = 0; i < 1500; i++) {
      const input = (generators[i % generators.length] as () => string)();
      counts[outcome(input)]++;
    }
    // Both outcomes must really occur, or the generators are not exercising the parser.
    expect(counts.policy).toBeGreaterThan(10);
    expect(counts.error).toBeGreaterThan(100);
    expect(parsePolicy(VALID).namespaces[0]?.name).toBe('prod-*');
  }, 60_000);

  it('leaves the process-wide Error.stackTraceLimit and globalThis.require as they were', () => {
    parsePolicy('agent { policy = "read" }');
    expect(Error.stackTraceLimit).not.toBe(Infinity);
    expect(Object.hasOwn(globalThis, 'require')).toBe(false);
  });

  it('handles huge and pathological inputs without any other exception', () => {
    const inputs = [
      'x'.repeat(64 * 1024 + 1),
      `a = [${'"x",'.repeat(2000)}]`,
      `${'a '.repeat(5000)}`,
      `a = ${'['.repeat(100_000)}`,
      `a ${'{ b '.repeat(20_000)}`,
      `${'{"a":'.repeat(20_000)}`,
      `a ${'"k" '.repeat(10_000)}{}`,
      '"'.repeat(1000),
      '\u0000'.repeat(1000),
      '/*'.repeat(1000),
      '<<EOF\n'.repeat(1000),
    ];
    for (const input of inputs) expect(['policy', 'error']).toContain(outcome(input));
    expect(parsePolicy(VALID).agent).toEqual({ policy: 'read' });
  });

  it('recovers the parser after it runs out of stack on a nearly exhausted call stack', () => {
    // Nesting within the pre-scan limit, parsed from ever shallower frames of
    // a deep recursion: at some depth the GopherJS parser itself overflows.
    const nested = `a ${'{ b '.repeat(45)}{}${'}'.repeat(45)}`;
    let sawParserOverflow = false;
    let level = 0;
    const dive = (): void => {
      level++;
      try {
        dive();
      } catch {
        // the bottom of the stack
      }
      if (sawParserOverflow || level-- % 100 !== 0) return;
      try {
        parsePolicy(nested, { strict: false });
      } catch (err) {
        if (err instanceof PolicyError && /call stack/i.test(err.message)) sawParserOverflow = true;
      }
    };
    dive();
    expect(sawParserOverflow).toBe(true);
    // The wedged GopherJS runtime was replaced: parsing works again.
    expect(parsePolicy(VALID).plugin).toEqual({ policy: 'list' });
  }, 60_000);
});
