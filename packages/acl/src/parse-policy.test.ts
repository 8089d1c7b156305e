import { describe, expect, it } from 'vitest';
import {
  EMPTY_POLICY,
  MAX_RULES_BYTES,
  NAMESPACE_POLICY_EXPANSION,
  PolicyError,
  compileACL,
  parsePolicy,
} from '@tollgate/acl';

function parseError(rules: string, strict = true): PolicyError {
  try {
    parsePolicy(rules, { strict });
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error(`expected a PolicyError for: ${rules}`);
}

const READ = [
  'list-jobs',
  'parse-job',
  'read-job',
  'csi-list-volume',
  'csi-read-volume',
  'read-job-scaling',
  'list-scaling-policies',
  'read-scaling-policy',
  'host-volume-read',
];
const WRITE_EXTRA = [
  'scale-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-lifecycle',
  'csi-mount-volume',
  'csi-write-volume',
  'submit-recommendation',
  'host-volume-create',
];

describe('parsePolicy: empty and basic rules', () => {
  it('parses empty rules to an empty policy that grants nothing', () => {
    const policy = parsePolicy('');
    expect(policy).toBe(EMPTY_POLICY);
    const acl = compileACL([{ name: 'empty', policy }]);
    expect(acl.allowNamespace('default')).toBe(false);
    expect(acl.allowAgentRead()).toBe(false);
  });

  it('rejects whitespace-only or comment-only rules as an invalid policy, quoting the raw rules', () => {
    expect(parseError('  # nothing here\n').message).toBe('Invalid policy:   # nothing here\n');
  });

  it('rejects a policy made only of unknown blocks as invalid even in lenient mode', () => {
    expect(parseError('bogus { policy = "read" }', false).message).toBe('Invalid policy: bogus { policy = "read" }');
  });

  it('throws TypeError for non-string rules', () => {
    expect(() => parsePolicy(42 as unknown as string)).toThrow(TypeError);
  });

  it('keeps the raw rules and freezes the parsed policy', () => {
    const rules = 'agent { policy = "read" }';
    const policy = parsePolicy(rules);
    expect(policy.raw).toBe(rules);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.namespaces)).toBe(true);
  });

  it('reports HCL syntax errors with the parser position after "Failed to parse ACL Policy:"', () => {
    expect(parseError('namespace "a" { policy = "read"').message).toBe(
      'Failed to parse ACL Policy: At 1:33: object expected closing RBRACE got: EOF',
    );
  });
});

describe('parsePolicy: namespace blocks', () => {
  it('expands read and keeps explicit capabilities first', () => {
    const policy = parsePolicy('namespace "default" { policy = "read" capabilities = ["alloc-node-exec"] }');
    expect(policy.namespaces).toEqual([
      { name: 'default', policy: 'read', capabilities: ['alloc-node-exec', ...READ], variables: null },
    ]);
  });

  it('expands write to read plus the write set and the implied host-volume-read', () => {
    const [ns] = parsePolicy('namespace "default" { policy = "write" }').namespaces;
    // host-volume-create (from write) implies host-volume-read once more, a
    // duplicate Nomad also keeps in RulesJSON.
    expect(ns?.capabilities).toEqual([...READ, ...WRITE_EXTRA, 'host-volume-read']);
  });

  it('does not put alloc-node-exec, csi-register-plugin or v2 job capabilities in write', () => {
    const [ns] = parsePolicy('namespace "default" { policy = "write" }').namespaces;
    for (const cap of ['alloc-node-exec', 'csi-register-plugin', 'sentinel-override', 'host-volume-write', 'register-job']) {
      expect(ns?.capabilities).not.toContain(cap);
    }
  });

  it('expands scale and deny', () => {
    const policy = parsePolicy('namespace "a" { policy = "scale" }\nnamespace "b" { policy = "deny" }');
    expect(policy.namespaces[0]?.capabilities).toEqual([
      'list-scaling-policies',
      'read-scaling-policy',
      'read-job-scaling',
      'scale-job',
      'read-job',
      'submit-recommendation',
    ]);
    expect(policy.namespaces[1]?.capabilities).toEqual(['deny']);
  });

  it('exposes the namespace expansion table used for parsing', () => {
    expect(NAMESPACE_POLICY_EXPANSION['read']).toEqual(READ);
    expect(NAMESPACE_POLICY_EXPANSION['write']).toEqual([...READ, ...WRITE_EXTRA]);
  });

  it.each([
    ['host-volume-write', ['host-volume-register', 'host-volume-create', 'host-volume-delete', 'host-volume-read']],
    ['host-volume-register', ['host-volume-create', 'host-volume-read']],
    ['host-volume-create', ['host-volume-read']],
  ])('appends the capabilities implied by %s', (cap, implied) => {
    const [ns] = parsePolicy(`namespace "a" { capabilities = ["${cap}"] }`).namespaces;
    expect(ns?.capabilities).toEqual([cap, ...implied]);
  });

  it('accepts glob labels and the v2 fine-grained capabilities', () => {
    const [ns] = parsePolicy('namespace "prod-*" { capabilities = ["register-job", "delete-service-registration"] }').namespaces;
    expect(ns?.name).toBe('prod-*');
    expect(ns?.capabilities).toEqual(['register-job', 'delete-service-registration']);
  });

  it('keeps a namespace with neither policy nor capabilities', () => {
    expect(parsePolicy('namespace "a" {}').namespaces).toEqual([{ name: 'a', policy: '', capabilities: [], variables: null }]);
  });

  it.each([
    ['namespace "a b" { policy = "read" }', 'Invalid namespace name: namespace "a b" { policy = "read" }'],
    ['namespace { policy = "read" }', 'Invalid namespace name: namespace "" { policy = "read" }'],
    ['{"namespace": [{"": {"policy": "read"}}]}', 'Invalid namespace name: namespace "" { policy = "read" }'],
    [`namespace "${'a'.repeat(129)}" {}`, `Invalid namespace name: namespace "${'a'.repeat(129)}" { policy = "" }`],
    ['namespace "a" { policy = "list" }', 'Invalid namespace policy: namespace "a" { policy = "list" }'],
    [
      'namespace "a" { capabilities = ["read-job", "bogus"] }',
      `Invalid namespace capability 'bogus': namespace "a" { policy = "", capabilities = ["read-job", "bogus"] }`,
    ],
  ])('rejects %s', (rules, message) => {
    expect(parseError(rules).message).toBe(message);
  });

  it('is case-sensitive about policy values', () => {
    expect(parseError('namespace "a" { policy = "Read" }').message).toMatch(/^Invalid namespace policy: /);
  });
});

describe('parsePolicy: variables', () => {
  it('adds list to read, keeps write without list, and reduces deny to [deny]', () => {
    const [ns] = parsePolicy(`
      namespace "a" {
        variables {
          path "r/*" { capabilities = ["read"] }
          path "w/*" { capabilities = ["write"] }
          path "d/*" { capabilities = ["read", "deny", "write"] }
          path "rl" { capabilities = ["list", "read"] }
        }
      }`).namespaces;
    expect(ns?.variables?.paths).toEqual([
      { pathSpec: 'r/*', capabilities: ['read', 'list'] },
      { pathSpec: 'w/*', capabilities: ['write'] },
      { pathSpec: 'd/*', capabilities: ['deny'] },
      { pathSpec: 'rl', capabilities: ['list', 'read'] },
    ]);
  });

  it.each([
    ['namespace "a" { variables {} }', 'Invalid variable policy: no variable paths in namespace a'],
    ['namespace "a" { variables { path { capabilities = ["read"] } } }', 'Invalid missing variable path in namespace a'],
    ['namespace "a" { variables { path "" { capabilities = ["read"] } } }', 'Invalid missing variable path in namespace a'],
    [
      'namespace "a" { variables { path "/x" { capabilities = ["read"] } } }',
      `Invalid variable path "/x" in namespace a: cannot start with a leading '/'\``,
    ],
    [
      'namespace "a" { variables { path "x" { capabilities = ["read", "own"] } } }',
      `Invalid variable capability 'own' in namespace a`,
    ],
  ])('rejects %s', (rules, message) => {
    expect(parseError(rules).message).toBe(message);
  });
});

describe('parsePolicy: node pools and host volumes', () => {
  it('expands node pool shorthands after explicit capabilities', () => {
    const policy = parsePolicy(`
      node_pool "ro" { policy = "read" }
      node_pool "rw" { policy = "write" }
      node_pool "up" { policy = "read" capabilities = ["write"] }
      node_pool "dn" { policy = "deny" capabilities = ["write"] }
      node_pool "sc" { policy = "scale" }
      node_pool "pool_*" { capabilities = ["delete"] }`);
    expect(policy.nodePools.map((p) => [p.name, p.capabilities])).toEqual([
      ['ro', ['read']],
      ['rw', ['delete', 'read', 'write']],
      ['up', ['write', 'read']],
      ['dn', ['write', 'deny']],
      ['sc', []],
      ['pool_*', ['delete']],
    ]);
  });

  it('expands host volume shorthands', () => {
    const policy = parsePolicy(`
      host_volume "ro" { policy = "read" }
      host_volume "rw" { policy = "write" }
      host_volume "dn" { policy = "deny" }
      host_volume "tls-*" { capabilities = ["mount-readonly"] }`);
    expect(policy.hostVolumes.map((p) => [p.name, p.capabilities])).toEqual([
      ['ro', ['mount-readonly']],
      ['rw', ['mount-readonly', 'mount-readwrite']],
      ['dn', ['deny']],
      ['tls-*', ['mount-readonly']],
    ]);
  });

  it.each([
    ['node_pool "pool%" {}', `Invalid node pool name 'pool%'`],
    ['node_pool { policy = "read" }', `Invalid node pool name ''`],
    ['{"node_pool": [{"": {"policy": "read"}}]}', `Invalid node pool name ''`],
    ['node_pool "p" { policy = "list" }', `Invalid node pool policy 'list' for 'p'`],
    ['node_pool "p" { capabilities = ["read", "invalid"] }', `Invalid node pool capability 'invalid' for 'p'`],
    ['host_volume "has space" { policy = "read" }', 'Invalid host volume name: host_volume "has space" { policy = "read" }'],
    ['host_volume { policy = "read" }', 'Invalid host volume name: host_volume "" { policy = "read" }'],
    ['host_volume "v_1" { policy = "read" }', 'Invalid host volume name: host_volume "v_1" { policy = "read" }'],
    ['host_volume "v" { policy = "list" }', 'Invalid host volume policy: host_volume "v" { policy = "list" }'],
    [
      'host_volume "v" { capabilities = ["mount"] }',
      `Invalid host volume capability 'mount': host_volume "v" { policy = "", capabilities = ["mount"] }`,
    ],
  ])('rejects %s', (rules, message) => {
    expect(parseError(rules).message).toBe(message);
  });
});

describe('parsePolicy: agent, node, quota, plugin, operator, sentinel', () => {
  it('parses every coarse block', () => {
    const policy = parsePolicy(`
      agent { policy = "read" }
      node { policy = "write" }
      quota { policy = "deny" }
      plugin { policy = "list" }`);
    expect([policy.agent, policy.node, policy.quota, policy.plugin]).toEqual([
      { policy: 'read' },
      { policy: 'write' },
      { policy: 'deny' },
      { policy: 'list' },
    ]);
    expect(policy.operator).toBeNull();
  });

  it('accepts scale on agent, node and quota but not on plugin', () => {
    expect(parsePolicy('agent { policy = "scale" }').agent).toEqual({ policy: 'scale' });
    expect(parseError('plugin { policy = "scale" }').message).toBe('Invalid plugin policy: plugin { policy = "scale" }');
  });

  it.each(['agent', 'node', 'quota', 'plugin'])('requires a policy in the %s block', (kind) => {
    expect(parseError(`${kind} {}`).message).toBe(`Invalid ${kind} policy: ${kind} { policy = "" }`);
  });

  it.each(['agent', 'node', 'quota'])('rejects list in the %s block', (kind) => {
    expect(parseError(`${kind} { policy = "list" }`).message).toBe(`Invalid ${kind} policy: ${kind} { policy = "list" }`);
  });

  it('expands operator shorthands, including the v2 keyring capabilities', () => {
    expect(parsePolicy('operator { policy = "read" }').operator).toEqual({
      policy: 'read',
      capabilities: ['license-read', 'keyring-read'],
    });
    expect(parsePolicy('operator { policy = "write" }').operator?.capabilities).toEqual([
      'snapshot-save',
      'license-read',
      'keyring-rotate',
      'keyring-read',
      'keyring-delete',
    ]);
    expect(parsePolicy('operator { policy = "deny" }').operator?.capabilities).toEqual(['deny']);
  });

  it('accepts operator capabilities without a policy', () => {
    expect(parsePolicy('operator { capabilities = ["snapshot-save"] }').operator).toEqual({
      policy: '',
      capabilities: ['snapshot-save'],
    });
  });

  it('rejects bad operator policies and capabilities', () => {
    expect(parseError('operator { policy = "list" }').message).toBe('Invalid operator policy: operator { policy = "list" }');
    expect(parseError('operator { capabilities = ["snapshot-restore"] }').message).toBe(
      `Invalid operator capability 'snapshot-restore'`,
    );
  });

  it('accepts and expands the sentinel block, and rejects bad sentinel capabilities', () => {
    expect(parsePolicy('sentinel { policy = "write" }').sentinel).toEqual({
      policy: 'write',
      capabilities: ['sentinel-read', 'sentinel-submit', 'sentinel-delete'],
    });
    expect(parseError('sentinel { capabilities = ["sentinel-run"] }').message).toBe(`Invalid sentinel capability 'sentinel-run'`);
    expect(parseError('sentinel { policy = "bogus" }').message).toBe('Invalid sentinel policy: sentinel { policy = "bogus" }');
  });
});

describe('parsePolicy: strict and lenient modes', () => {
  // The input of Nomad's TestParse_ExtraKeys.
  const nomadExtraKeys = `
namespace "foo" {
  policy = "write"
  variables {
    path "project/*" { capabilities = ["read", "write"] }
  }
}
namespace "bar" {
  policy = "write"
  variables {
    path "system/*" { capabilities = ["read", "write"] }
  }
}
bogus { policy = "read" }
anotherbogus { policy = "write" }
node { policy = "read" }
node { policy = "write" }
agent { policy = "read" }
agent { policy = "write" }
operator { policy = "read" }
operator { policy = "write" }
quota { policy = "read" }
quota { policy = "write" }
host_volume "volume-read-only" { policy = "read" }
host_volume "volume-read-write" { policy = "write" }
plugin { policy = "read" }
plugin { policy = "write" }
node_pool "pool-read-only" { policy = "read" }
node_pool "pool-read-write" { policy = "write" }
`;

  it('lists unknown and duplicated top-level keys, sorted, like Nomad', () => {
    expect(parseError(nomadExtraKeys).message).toBe(
      'Invalid or duplicate policy keys: agent, anotherbogus, bogus, node, operator, plugin, quota',
    );
  });

  it('accepts the same rules in lenient mode, with the last duplicate block winning', () => {
    const policy = parsePolicy(nomadExtraKeys, { strict: false });
    expect(policy.agent).toEqual({ policy: 'write' });
    expect(policy.plugin).toEqual({ policy: 'write' });
    expect(policy.namespaces.map((n) => n.name)).toEqual(['foo', 'bar']);
  });

  it('accepts a repeated namespace, node_pool or host_volume label in strict mode and keeps both blocks, as Nomad does', () => {
    const ns = parsePolicy('namespace "a" { policy = "read" }\nnamespace "a" { policy = "write" }', { strict: true });
    expect(ns.namespaces.map((n) => n.name)).toEqual(['a', 'a']);
    expect(parsePolicy('node_pool "p" { policy = "read" }\nnode_pool "p" {}', { strict: true }).nodePools).toHaveLength(2);
    expect(parsePolicy('host_volume "v" {}\nhost_volume "v" { policy = "read" }', { strict: true }).hostVolumes).toHaveLength(2);
  });

  it('still rejects a typo inside one of two blocks with the same label', () => {
    expect(parseError('namespace "a" { policy = "read" }\nnamespace "a" { polcy = "write" }').message).toBe(
      'Invalid or duplicate policy keys: namespace "a".polcy',
    );
  });

  it('rejects unknown keys inside blocks in strict mode, naming where they are', () => {
    const rules = `
      namespace "a" { policy = "read" polcy = "write" }
      agent { policy = "read" level = 3 }
      namespace "b" { variables { path "x" { capabilities = ["read"] mode = "x" } } }`;
    expect(parseError(rules).message).toBe(
      'Invalid or duplicate policy keys: agent.level, namespace "a".polcy, namespace "b".variables.path "x".mode',
    );
    expect(parsePolicy(rules, { strict: false }).namespaces[0]?.policy).toBe('read');
  });

  it('rejects repeated variables blocks and repeated paths in strict mode', () => {
    expect(
      parseError('namespace "a" { variables { path "x" {} } variables { path "y" {} } }').message,
    ).toBe('Invalid or duplicate policy keys: namespace "a".variables');
    expect(parseError('namespace "a" { variables { path "x" {} path "x" {} } }').message).toBe(
      'Invalid or duplicate policy keys: namespace "a".variables.path "x"',
    );
  });

  it('runs namespace, node pool and host volume checks before the extra-keys check', () => {
    expect(parseError('bogus {}\nnamespace "a" { policy = "list" }').message).toMatch(/^Invalid namespace policy/);
    expect(parseError('bogus {}\nnode_pool "%" {}').message).toMatch(/^Invalid node pool name/);
    expect(parseError('bogus {}\nhost_volume "%" {}').message).toMatch(/^Invalid host volume name/);
  });

  it('runs the extra-keys check before agent, node, operator, quota and plugin checks', () => {
    expect(parseError('bogus {}\nagent { policy = "nope" }').message).toBe('Invalid or duplicate policy keys: bogus');
    expect(parseError('agent { policy = "nope" }', false).message).toMatch(/^Invalid agent policy/);
  });

  it('checks agent, node, operator, sentinel, quota and plugin in that order', () => {
    const all = (bad: string): string =>
      ['agent', 'node', 'operator', 'sentinel', 'quota', 'plugin']
        .map((k) => `${k} { policy = "${k === bad || bad === '*' ? 'nope' : 'read'}" }`)
        .join('\n');
    expect(parseError(all('*')).message).toMatch(/^Invalid agent policy/);
    expect(parseError(all('node')).message).toMatch(/^Invalid node policy/);
    expect(parseError(all('operator')).message).toMatch(/^Invalid operator policy/);
    expect(parseError(all('sentinel')).message).toMatch(/^Invalid sentinel policy/);
    expect(parseError(all('quota')).message).toMatch(/^Invalid quota policy/);
    expect(parseError(all('plugin')).message).toMatch(/^Invalid plugin policy/);
  });
});

describe('parsePolicy: value types', () => {
  it.each([
    ['namespace "a" { policy = 5 }', 'Failed to parse ACL Policy: namespace "a": policy must be a string, got number'],
    ['namespace "a" { policy = true }', 'Failed to parse ACL Policy: namespace "a": policy must be a string, got boolean'],
    ['namespace "a" { policy = ["read"] }', 'Failed to parse ACL Policy: namespace "a": policy must be a string, got list'],
    ['namespace "a" { policy { x = 1 } }', 'Failed to parse ACL Policy: namespace "a": policy must be a string, got list'],
    [
      'namespace "a" { capabilities = "read-job" }',
      'Failed to parse ACL Policy: namespace "a": capabilities must be a list of strings, got string',
    ],
    [
      'namespace "a" { capabilities = ["read-job", 1] }',
      'Failed to parse ACL Policy: namespace "a": capabilities[1] must be a string, got number',
    ],
    ['agent = "read"', 'Failed to parse ACL Policy: agent: expected a block, got string'],
    ['{"namespace": "x"}', 'Failed to parse ACL Policy: namespace: expected a block, got string'],
    ['{"namespace": [1]}', 'Failed to parse ACL Policy: namespace: expected a block, got list'],
    ['agent { policy = 1.5 }', 'Failed to parse ACL Policy: agent: policy must be a string, got number'],
    [
      'namespace "a" { variables = "x" }',
      'Failed to parse ACL Policy: namespace "a".variables: expected a block, got string',
    ],
    [
      'namespace "a" { variables { path "p" { capabilities = [["read"]] } } }',
      'Failed to parse ACL Policy: namespace "a".variables.path "p": capabilities[0] must be a string, got list',
    ],
  ])('rejects %s with a clear type error', (rules, message) => {
    expect(parseError(rules).message).toBe(message);
  });
});

describe('parsePolicy: JSON rules and limits', () => {
  it('parses JSON rules to the same policy as the equivalent HCL', () => {
    const hcl = parsePolicy(`
      namespace "default" {
        policy = "read"
        variables { path "a/*" { capabilities = ["read"] } }
      }
      node_pool "p" { policy = "write" }
      agent { policy = "read" }`);
    const json = parsePolicy(
      JSON.stringify({
        namespace: { default: { policy: 'read', variables: { path: { 'a/*': { capabilities: ['read'] } } } } },
        node_pool: { p: { policy: 'write' } },
        agent: { policy: 'read' },
      }),
    );
    expect({ ...json, raw: '' }).toEqual({ ...hcl, raw: '' });
  });

  it('accepts several labelled namespaces from one JSON object, in order', () => {
    const policy = parsePolicy('{"namespace": {"a": {"policy": "read"}, "b": {"policy": "write"}}}');
    expect(policy.namespaces.map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('keeps non-ASCII text intact: allowed in variable paths, rejected in namespace labels', () => {
    const [ns] = parsePolicy('namespace "a" { variables { path "café/*" { capabilities = ["read"] } } }').namespaces;
    expect(ns?.variables?.paths[0]?.pathSpec).toBe('café/*');
    expect(parseError('namespace "é" { policy = "read" }').message).toBe(
      'Invalid namespace name: namespace "é" { policy = "read" }',
    );
  });

  it('reads heredocs verbatim, so a heredoc policy value keeps its newline and is invalid (as in Nomad)', () => {
    expect(parseError('agent {\n  policy = <<EOT\nread\nEOT\n}').message).toBe(
      'Invalid agent policy: agent { policy = "read\\n" }',
    );
  });

  it('rejects rules over 64 KiB before parsing them', () => {
    const rules = `agent { policy = "read" }\n#${'x'.repeat(MAX_RULES_BYTES)}`;
    expect(parseError(rules).message).toBe(`Policy rules are too large: ${rules.length} bytes (limit ${MAX_RULES_BYTES})`);
  });

  it('counts the size limit in UTF-8 bytes', () => {
    const rules = `agent { policy = "read" }\n#${'é'.repeat(MAX_RULES_BYTES / 2)}`;
    expect(rules.length).toBeLessThan(MAX_RULES_BYTES);
    expect(parseError(rules).message).toMatch(/^Policy rules are too large: \d+ bytes/);
  });

  it('rejects absurd nesting before it reaches the parser', () => {
    expect(parseError(`a = ${'['.repeat(1000)}`).message).toBe('Failed to parse ACL Policy: nesting deeper than 50 levels');
    expect(parseError(`a ${'"k" '.repeat(500)} {}`).message).toBe('Failed to parse ACL Policy: nesting deeper than 50 levels');
  });

  it('does not count brackets inside strings, comments or heredocs as nesting', () => {
    const noise = '[{'.repeat(60);
    const rules = `# ${noise}\n/* ${noise} */\nagent {\n  policy = "read" // ${noise}\n}\nx = "${noise}"\ny = <<EOT\n${noise}\nEOT\n`;
    expect(parsePolicy(rules, { strict: false }).agent).toEqual({ policy: 'read' });
  });
});
