import { afterAll, describe, expect, it } from 'vitest';
import {
  AUTHORIZE_RESOURCES,
  PolicyError,
  PolicyParsePool,
  PolicyParserBusyError,
  checkableCapabilities,
  compileACL,
  parsePolicy,
  type AuthorizeCheck,
  type Policy,
} from '@tollgate/acl';

// Deterministic pseudo-random numbers in [0, 1) (an LCG): a failure is reproducible.
function rng(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

const CORPUS = [
  'namespace "default" { policy = "read" }',
  'namespace "prod-*" { policy = "write" }\nnamespace "prod-secret" { policy = "deny" }',
  `namespace "*" {
  policy       = "read"
  capabilities = ["submit-job", "alloc-node-exec"]
  variables {
    path "secrets/*" { capabilities = ["read"] }
    path "ci/*" { capabilities = ["deny"] }
    path "*" { capabilities = ["write", "list"] }
  }
}`,
  'node_pool "gpu_*" { policy = "write" }\nnode_pool "default" { capabilities = ["read"] }',
  'host_volume "certs" { policy = "write" }\nhost_volume "*" { capabilities = ["mount-readonly"] }',
  'agent { policy = "write" }\nnode { policy = "read" }\nquota { policy = "read" }\nplugin { policy = "list" }',
  'operator { capabilities = ["snapshot-save"] }\nsentinel { policy = "read" }',
  '{"namespace":{"default":{"policy":"write"}},"agent":{"policy":"read"}}',
  'namespace "a" { policy = "read" }\nnamespace "a" { capabilities = ["scale-job"] }',
  'namespace "x" { policy = "read" bogus = 1 }', // strict: unknown key; lenient: fine
  'namespace "x" { policy = "bogus" }',
  'namespace "x" { policy = "read" ',
  'agent { policy = "" }',
  '# nothing\n',
  'namespace "" { policy = "read" }',
  'namespace "default" { variables { path "/x" { capabilities = ["read"] } } }',
  'not hcl at all {{{',
];

const TOKENS = ['namespace', 'agent', '"default"', '"prod-*"', 'policy', '=', '"read"', '"write"', '{', '}', '\n', '[', ']', '"deny"', 'capabilities'];

// Mutations of the corpus: valid and invalid inputs in about equal measure.
function mutated(count: number): string[] {
  const r = rng(15);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = CORPUS[Math.floor(r() * CORPUS.length)] ?? '';
    const at = Math.floor(r() * (s.length + 1));
    const roll = r();
    if (roll < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 4));
    else if (roll < 0.6) s = s.slice(0, at) + (TOKENS[Math.floor(r() * TOKENS.length)] ?? '') + s.slice(at);
    out.push(s);
  }
  return out;
}

function expectDeeplyFrozen(value: unknown, path = 'policy'): void {
  if (value === null || typeof value !== 'object') return;
  expect(Object.isFrozen(value), path).toBe(true);
  for (const [k, v] of Object.entries(value)) expectDeeplyFrozen(v, `${path}.${k}`);
}

type Outcome = { ok: true; policy: Policy } | { ok: false; error: string };

function inProcess(rules: string, strict: boolean): Outcome {
  try {
    return { ok: true, policy: parsePolicy(rules, { strict }) };
  } catch (err) {
    return { ok: false, error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

async function inWorker(pool: PolicyParsePool, rules: string, strict: boolean): Promise<Outcome> {
  try {
    return { ok: true, policy: await pool.parse(rules, { strict }) };
  } catch (err) {
    return { ok: false, error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

// Every capability of every resource against a few names: what an ACL decides.
function decisions(policy: Policy): string[] {
  const acl = compileACL([{ name: 'p', policy }]);
  const out: string[] = [];
  for (const resource of AUTHORIZE_RESOURCES) {
    for (const capability of checkableCapabilities(resource)) {
      for (const name of ['default', 'prod-1', 'prod-secret', 'gpu_a', 'certs', 'a', 'x']) {
        const check: AuthorizeCheck =
          resource === 'variable'
            ? { Resource: resource, Namespace: name, Name: 'secrets/db', Capability: capability }
            : ['namespace', 'host_volume', 'node_pool'].includes(resource)
              ? { Resource: resource, Name: name, Capability: capability }
              : { Resource: resource, Capability: capability };
        const d = acl.authorize(check);
        out.push(`${resource}/${name}/${capability}=${d.Allowed}:${d.Reason}`);
      }
    }
  }
  return out;
}

describe('PolicyParsePool', () => {
  const pool = new PolicyParsePool({ size: 2 });
  afterAll(() => pool.close());

  it('gives, for every input, the same policy (and the same ACL decisions) or the same error as parsePolicy', async () => {
    const inputs = [...CORPUS, ...mutated(60)];
    let valid = 0;
    for (const rules of inputs) {
      for (const strict of [true, false]) {
        const want = inProcess(rules, strict);
        const got = await inWorker(pool, rules, strict);
        expect(got, `${strict ? 'strict' : 'lenient'}: ${JSON.stringify(rules)}`).toEqual(want);
        if (got.ok && want.ok) {
          valid++;
          expect(Object.isFrozen(got.policy)).toBe(true);
          expectDeeplyFrozen(got.policy);
          expect(decisions(got.policy)).toEqual(decisions(want.policy));
        }
      }
    }
    // The corpus exercises both outcomes.
    expect(valid).toBeGreaterThan(20);
    expect(valid).toBeLessThan(inputs.length * 2 - 20);
  });

  it('answers parses sent together, each with its own result', async () => {
    const results = await Promise.all([
      pool.parse('agent { policy = "read" }'),
      pool.parse('node { policy = "write" }'),
      pool.parse('namespace "q" { policy = "scale" }'),
      pool.parse('bogus {').catch((err: unknown) => err),
    ]);
    expect(results[0]).toMatchObject({ agent: { policy: 'read' } });
    expect(results[1]).toMatchObject({ node: { policy: 'write' } });
    expect(results[2]).toMatchObject({ namespaces: [{ name: 'q', policy: 'scale' }] });
    expect(results[3]).toBeInstanceOf(PolicyError);
  });

  it('answers empty rules without a thread and rejects a non-string with a TypeError', async () => {
    const fresh = new PolicyParsePool();
    try {
      expect((await fresh.parse('')).raw).toBe('');
      expect(fresh.threads).toBe(0);
      await expect(fresh.parse(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
    } finally {
      await fresh.close();
    }
  });

  it('refuses at once with PolicyParserBusyError when its queue is full, and still answers what it took', async () => {
    const small = new PolicyParsePool({ size: 1, maxQueue: 1 });
    try {
      const first = small.parse('agent { policy = "read" }');
      const second = small.parse('node { policy = "read" }');
      const err = await small.parse('quota { policy = "read" }').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyParserBusyError);
      expect((err as PolicyParserBusyError).code).toBe('TOLLGATE_POLICY_PARSER_BUSY');
      expect((await first).agent).toEqual({ policy: 'read' });
      expect((await second).node).toEqual({ policy: 'read' });
    } finally {
      await small.close();
    }
  });

  it('fails a parse that outlives its timeout with PolicyParserBusyError (retry) and terminates that thread', async () => {
    // Loading the GopherJS parser alone takes far longer than 1 ms.
    const slow = new PolicyParsePool({ timeoutMs: 1 });
    try {
      const err = await slow.parse('agent { policy = "read" }').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyParserBusyError);
      expect((err as Error).message).toBe('the policy parser took longer than 1 ms; retry later');
      expect(slow.threads).toBe(0);
      // The pool keeps taking work (each parse on a fresh thread).
      await expect(slow.parse('node { policy = "read" }')).rejects.toBeInstanceOf(PolicyParserBusyError);
    } finally {
      await slow.close();
    }
  });

  it('rejects waiting and later parses with PolicyParserBusyError once closed', async () => {
    const closing = new PolicyParsePool({ size: 1 });
    const running = closing.parse('agent { policy = "read" }').catch((e: unknown) => e);
    const waiting = closing.parse('node { policy = "read" }').catch((e: unknown) => e);
    await closing.close();
    expect(await running).toBeInstanceOf(PolicyParserBusyError);
    expect(await waiting).toBeInstanceOf(PolicyParserBusyError);
    await expect(closing.parse('agent { policy = "read" }')).rejects.toBeInstanceOf(PolicyParserBusyError);
    expect(closing.threads).toBe(0);
  });

  it('rejects bad options with a RangeError naming the field', () => {
    expect(() => new PolicyParsePool({ size: 0 })).toThrow(/size must be a positive integer/);
    expect(() => new PolicyParsePool({ maxQueue: -1 })).toThrow(/maxQueue/);
  });
});
