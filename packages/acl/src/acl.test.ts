import { describe, expect, it } from 'vitest';
import { GLOB_CACHE_LIMIT, MANAGEMENT_ACL, MEMO_NAME_LIMIT, compileACL, parsePolicy, type ACL } from '@tollgate/acl';

function acl(...policies: Array<[name: string, rules: string]>): ACL {
  return compileACL(policies.map(([name, rules]) => ({ name, policy: parsePolicy(rules, { strict: false }) })));
}

describe('compileACL: namespaces', () => {
  it('grants the expanded capabilities of an exact namespace label', () => {
    const a = acl(['app', 'namespace "prod" { policy = "read" }']);
    expect(a.allowNamespaceOperation('prod', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('prod', 'submit-job')).toBe(false);
    expect(a.allowNamespaceOperation('dev', 'read-job')).toBe(false);
    expect(a.allowNamespace('prod')).toBe(true);
    expect(a.allowNamespace('dev')).toBe(false);
  });

  it('unions capabilities for the same label across policies', () => {
    const a = acl(['r', 'namespace "prod" { policy = "read" }'], ['x', 'namespace "prod" { capabilities = ["alloc-exec"] }']);
    expect(a.allowNamespaceOperation('prod', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('prod', 'alloc-exec')).toBe(true);
  });

  it('lets deny on a label win over grants from other policies, whatever the order', () => {
    for (const order of [
      [
        ['w', 'namespace "prod" { policy = "write" }'],
        ['lock', 'namespace "prod" { policy = "deny" }'],
      ],
      [
        ['lock', 'namespace "prod" { policy = "deny" }'],
        ['w', 'namespace "prod" { policy = "write" }'],
      ],
    ] as Array<Array<[string, string]>>) {
      const a = acl(...order);
      expect(a.allowNamespaceOperation('prod', 'read-job')).toBe(false);
      expect(a.allowNamespace('prod')).toBe(false);
      expect(a.authorize({ Resource: 'namespace', Name: 'prod', Capability: 'read-job' })).toEqual({
        Allowed: false,
        Reason: 'denied by policy "lock" namespace "prod" (deny)',
      });
    }
  });

  it('applies a deny capability inside a block over the block’s other capabilities', () => {
    const a = acl(['p', 'namespace "prod" { policy = "write" capabilities = ["deny"] }']);
    expect(a.allowNamespaceOperation('prod', 'submit-job')).toBe(false);
  });

  it('confines deny to its own label: deny on "*" does not affect "prod" or "prod-*"', () => {
    const a = acl(
      ['all', 'namespace "*" { policy = "deny" }'],
      ['prod', 'namespace "prod" { policy = "read" }'],
      ['globs', 'namespace "prod-*" { policy = "read" }'],
    );
    expect(a.allowNamespaceOperation('prod', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('prod-api', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('dev', 'read-job')).toBe(false);
  });

  it('prefers an exact label over any glob, even an exact label that grants nothing', () => {
    const a = acl(['g', 'namespace "*" { policy = "write" }'], ['e', 'namespace "prod" {}']);
    expect(a.allowNamespaceOperation('prod', 'read-job')).toBe(false);
    expect(a.authorize({ Resource: 'namespace', Name: 'prod' })).toEqual({
      Allowed: false,
      Reason: 'denied: namespace "prod" from policy "e" grants no capabilities',
    });
    expect(a.allowNamespaceOperation('dev', 'read-job')).toBe(true);
  });

  it('uses the closest matching glob', () => {
    const a = acl(['p', 'namespace "*" { policy = "read" }\nnamespace "prod-*" { policy = "write" }\nnamespace "prod-api*" { policy = "deny" }']);
    expect(a.allowNamespaceOperation('prod-web', 'submit-job')).toBe(true);
    expect(a.allowNamespaceOperation('prod-api-1', 'read-job')).toBe(false);
    expect(a.allowNamespaceOperation('dev', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('dev', 'submit-job')).toBe(false);
  });

  it('breaks glob ties toward the lexicographically last glob', () => {
    // "prod-ab" scores 3 against both; "prod*" sorts after "*d-ab".
    const a = acl(['p', 'namespace "*d-ab" { policy = "deny" }\nnamespace "prod*" { policy = "read" }']);
    expect(a.authorize({ Resource: 'namespace', Name: 'prod-ab', Capability: 'read-job' })).toEqual({
      Allowed: true,
      Reason: 'allowed by policy "p" namespace "prod*" (closest match for "prod-ab")',
    });
  });

  it('reproduces go-glob’s exhausted-subject quirk when matching namespaces', () => {
    const a = acl(['p', 'namespace "team*x" { policy = "read" }']);
    expect(a.allowNamespaceOperation('team', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('teamy', 'read-job')).toBe(false);
  });

  it('treats Name "*" as "any namespace allows it"', () => {
    const a = acl(['p', 'namespace "dev" { policy = "read" }\nnamespace "prod" { policy = "deny" }']);
    expect(a.allowNamespaceOperation('*', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('*', 'submit-job')).toBe(false);
    expect(a.allowNamespace('*')).toBe(true);
    expect(a.authorize({ Resource: 'namespace', Name: '*', Capability: 'list-jobs' })).toEqual({
      Allowed: true,
      Reason: 'allowed by policy "p" namespace "dev" (Name "*" asks for any namespace)',
    });
    expect(a.authorize({ Resource: 'namespace', Name: '*', Capability: 'submit-job' })).toEqual({
      Allowed: false,
      Reason: 'no rule matched namespace "*"',
    });
    expect(acl(['p', 'namespace "prod" { policy = "deny" }']).allowNamespace('*')).toBe(false);
  });
});

describe('compileACL: variables', () => {
  it('matches exact and glob paths, with read implying list', () => {
    const a = acl([
      'v',
      'namespace "prod" { variables { path "app/config" { capabilities = ["write"] } path "app/*" { capabilities = ["read"] } } }',
    ]);
    expect(a.allowVariableOperation('prod', 'app/config', 'write')).toBe(true);
    expect(a.allowVariableOperation('prod', 'app/config', 'read')).toBe(false); // exact wins
    expect(a.allowVariableOperation('prod', 'app/other', 'list')).toBe(true);
    expect(a.allowVariableOperation('prod', 'app/other', 'write')).toBe(false);
    expect(a.allowVariableOperation('dev', 'app/other', 'read')).toBe(false);
  });

  it('does not make write imply list (docs say it does; code does not)', () => {
    const a = acl(['v', 'namespace "prod" { variables { path "x" { capabilities = ["write"] } } }']);
    expect(a.allowVariableOperation('prod', 'x', 'list')).toBe(false);
  });

  it('matches paths under a glob namespace label', () => {
    const a = acl(['v', 'namespace "prod-*" { variables { path "secret" { capabilities = ["read"] } } }']);
    expect(a.authorize({ Resource: 'variable', Namespace: 'prod-eu', Name: 'secret', Capability: 'read' })).toEqual({
      Allowed: true,
      Reason:
        'allowed by policy "v" namespace "prod-*" path "secret" (closest match for namespace "prod-eu" path "secret")',
    });
  });

  it('unions variable capabilities across policies without deny precedence (Nomad quirk)', () => {
    const a = acl(
      ['reader', 'namespace "prod" { variables { path "db/*" { capabilities = ["read"] } } }'],
      ['lock', 'namespace "prod" { variables { path "db/*" { capabilities = ["deny"] } } }'],
    );
    expect(a.allowVariableOperation('prod', 'db/pass', 'read')).toBe(true);
    expect(a.authorize({ Resource: 'variable', Namespace: 'prod', Name: 'db/pass', Capability: 'write' })).toEqual({
      Allowed: false,
      Reason: 'denied by policy "lock" namespace "prod" path "db/*" (deny; closest match for namespace "prod" path "db/pass")',
    });
  });

  it('stays correct for many distinct namespaces and paths beyond the memo bound', () => {
    const a = acl(['v', 'namespace "team-*" { variables { path "app/*" { capabilities = ["read"] } } }\nnamespace "ops" { variables { path "x" { capabilities = ["write"] } } }']);
    for (let i = 0; i < GLOB_CACHE_LIMIT + 50; i++) {
      expect(a.allowVariableOperation(`team-${i % 7}`, `app/${i}`, 'read')).toBe(true);
      expect(a.allowVariableOperation(`dev-${i}`, `app/${i}`, 'read')).toBe(false);
      expect(a.allowVariableOperation('ops', 'x', 'write')).toBe(true);
    }
    expect(a.authorize({ Resource: 'variable', Namespace: 'dev-1', Name: 'app/1', Capability: 'read' })).toEqual({
      Allowed: false,
      Reason: 'no rule matched variable namespace "dev-1" path "app/1"',
    });
  });

  it('answers names longer than the memo limit correctly without remembering them', () => {
    const a = acl(['p', 'namespace "team-*" { policy = "read" }']);
    const long = `team-${'x'.repeat(MEMO_NAME_LIMIT)}`;
    expect(a.allowNamespaceOperation(long, 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation(long, 'submit-job')).toBe(false);
    expect(a.allowNamespaceOperation(`other-${'y'.repeat(MEMO_NAME_LIMIT)}`, 'read-job')).toBe(false);
  });

  it('keeps variable rules even when the namespace itself is denied', () => {
    const a = acl(['p', 'namespace "prod" { policy = "deny" variables { path "x" { capabilities = ["read"] } } }']);
    expect(a.allowNamespaceOperation('prod', 'read-job')).toBe(false);
    expect(a.allowVariableOperation('prod', 'x', 'read')).toBe(true);
  });
});

describe('compileACL: node pools and host volumes', () => {
  it('grants node pool capabilities with exact-over-glob and deny precedence', () => {
    const a = acl(
      ['p', 'node_pool "gpu_*" { policy = "write" }\nnode_pool "gpu_a100" { policy = "read" }'],
      ['lock', 'node_pool "gpu_h100" { policy = "deny" }'],
      ['more', 'node_pool "gpu_h100" { policy = "write" }'],
    );
    expect(a.allowNodePoolOperation('gpu_t4', 'delete')).toBe(true);
    expect(a.allowNodePoolOperation('gpu_a100', 'write')).toBe(false);
    expect(a.allowNodePoolOperation('gpu_a100', 'read')).toBe(true);
    expect(a.allowNodePoolOperation('gpu_h100', 'read')).toBe(false);
    expect(a.allowNodePoolOperation('cpu', 'read')).toBe(false);
  });

  it('grants host volume mounts', () => {
    const a = acl(['v', 'host_volume "certs-*" { policy = "read" }\nhost_volume "certs-rw" { policy = "write" }']);
    expect(a.allowHostVolumeOperation('certs-ro', 'mount-readonly')).toBe(true);
    expect(a.allowHostVolumeOperation('certs-ro', 'mount-readwrite')).toBe(false);
    expect(a.allowHostVolumeOperation('certs-rw', 'mount-readwrite')).toBe(true);
    expect(a.authorize({ Resource: 'host_volume', Name: 'data', Capability: 'mount-readonly' })).toEqual({
      Allowed: false,
      Reason: 'no rule matched host_volume "data"',
    });
  });
});

describe('compileACL: coarse blocks', () => {
  it('takes the maximum privilege across policies', () => {
    const a = acl(['r', 'agent { policy = "read" }\nnode { policy = "read" }'], ['w', 'agent { policy = "write" }']);
    expect(a.allowAgentWrite()).toBe(true);
    expect(a.allowAgentRead()).toBe(true);
    expect(a.allowNodeRead()).toBe(true);
    expect(a.allowNodeWrite()).toBe(false);
    expect(a.authorize({ Resource: 'agent', Capability: 'write' })).toEqual({
      Allowed: true,
      Reason: 'allowed by policy "w" agent "write"',
    });
  });

  it('lets deny beat write', () => {
    const a = acl(['w', 'quota { policy = "write" }'], ['lock', 'quota { policy = "deny" }']);
    expect(a.allowQuotaRead()).toBe(false);
    expect(a.authorize({ Resource: 'quota', Capability: 'read' })).toEqual({
      Allowed: false,
      Reason: 'denied by policy "lock" quota (deny)',
    });
  });

  it('treats scale as no privilege in coarse blocks', () => {
    const a = acl(['s', 'agent { policy = "scale" }']);
    expect(a.allowAgentRead()).toBe(false);
    expect(a.authorize({ Resource: 'agent', Capability: 'read' })).toEqual({ Allowed: false, Reason: 'no rule matched agent' });
  });

  it('explains a level that is too low', () => {
    expect(acl(['r', 'node { policy = "read" }']).authorize({ Resource: 'node', Capability: 'write' })).toEqual({
      Allowed: false,
      Reason: 'denied: node "read" from policy "r" does not grant write',
    });
  });

  it('grants plugin read for read, list for read or list, and nothing for write (Nomad quirk)', () => {
    const read = acl(['p', 'plugin { policy = "read" }']);
    expect([read.allowPluginRead(), read.allowPluginList()]).toEqual([true, true]);
    const list = acl(['p', 'plugin { policy = "list" }']);
    expect([list.allowPluginRead(), list.allowPluginList()]).toEqual([false, true]);
    const write = acl(['p', 'plugin { policy = "write" }']);
    expect([write.allowPluginRead(), write.allowPluginList()]).toEqual([false, false]);
    expect(write.authorize({ Resource: 'plugin', Capability: 'list' }).Reason).toBe(
      'denied: plugin "write" from policy "p" does not grant list',
    );
  });

  it('answers operator read/write from the policy level and fine capabilities from the capability set', () => {
    const a = acl(['o', 'operator { policy = "read" }'], ['s', 'operator { capabilities = ["snapshot-save"] }']);
    expect(a.allowOperatorRead()).toBe(true);
    expect(a.allowOperatorWrite()).toBe(false);
    expect(a.allowOperatorOperation('license-read')).toBe(true);
    expect(a.allowOperatorOperation('snapshot-save')).toBe(true);
    expect(a.allowOperatorOperation('keyring-rotate')).toBe(false);
    expect(a.authorize({ Resource: 'operator', Capability: 'snapshot-save' })).toEqual({
      Allowed: true,
      Reason: 'allowed by policy "s" operator',
    });
    expect(a.authorize({ Resource: 'operator', Capability: 'keyring-delete' })).toEqual({
      Allowed: false,
      Reason: 'denied: operator from policies "o", "s" does not grant "keyring-delete"',
    });
  });

  it('clears operator capabilities on deny', () => {
    const a = acl(['s', 'operator { capabilities = ["snapshot-save"] }'], ['lock', 'operator { capabilities = ["deny"] }']);
    expect(a.allowOperatorOperation('snapshot-save')).toBe(false);
    expect(acl().authorize({ Resource: 'operator', Capability: 'snapshot-save' }).Reason).toBe('no rule matched operator capability');
  });

  it('enforces sentinel capabilities when a sentinel block is present', () => {
    const a = acl(['s', 'sentinel { policy = "read" }']);
    expect(a.allowSentinelOperation('sentinel-read')).toBe(true);
    expect(a.allowSentinelOperation('sentinel-submit')).toBe(false);
  });
  it('answers node_pool and host_volume checks without Capability as any access other than deny', () => {
    const a = acl(
      ['pools', 'node_pool "gpu" { policy = "read" }\nnode_pool "cpu" { policy = "deny" }\nhost_volume "ssd-*" { policy = "read" }'],
    );
    expect(a.authorize({ Resource: 'node_pool', Name: 'gpu' })).toEqual({ Allowed: true, Reason: 'allowed by policy "pools" node_pool "gpu"' });
    expect(a.authorize({ Resource: 'node_pool', Name: 'cpu' }).Allowed).toBe(false);
    expect(a.authorize({ Resource: 'node_pool', Name: 'arm' })).toEqual({ Allowed: false, Reason: 'no rule matched node_pool "arm"' });
    expect(a.authorize({ Resource: 'host_volume', Name: 'ssd-1' }).Allowed).toBe(true);
    expect(a.authorize({ Resource: 'host_volume', Name: 'hdd-1' }).Allowed).toBe(false);
  });

  it('unions two blocks with the same label in one policy', () => {
    const a = compileACL([
      {
        name: 'twice',
        policy: parsePolicy(
          'namespace "a" { policy = "read" }\nnamespace "a" { capabilities = ["submit-job"] }\nnode_pool "p" { policy = "read" }\nnode_pool "p" { capabilities = ["delete"] }',
          { strict: true },
        ),
      },
    ]);
    expect(a.allowNamespaceOperation('a', 'read-job')).toBe(true);
    expect(a.allowNamespaceOperation('a', 'submit-job')).toBe(true);
    expect(a.allowNodePoolOperation('p', 'read')).toBe(true);
    expect(a.allowNodePoolOperation('p', 'delete')).toBe(true);
    expect(a.allowNodePoolOperation('p', 'write')).toBe(false);
  });
});

describe('authorize', () => {
  const a = acl(
    ['app', 'namespace "prod-*" { policy = "read" }\nnamespace "prod" { policy = "write" }'],
    ['ops', 'namespace "prod" { capabilities = ["alloc-node-exec"] }'],
  );

  it('names the policy and label that allowed an exact match', () => {
    expect(a.authorize({ Resource: 'namespace', Name: 'prod', Capability: 'alloc-node-exec' })).toEqual({
      Allowed: true,
      Reason: 'allowed by policy "ops" namespace "prod"',
    });
  });

  it('names the glob and the looked-up name for a glob match', () => {
    expect(a.authorize({ Resource: 'namespace', Name: 'prod-api', Capability: 'read-job' })).toEqual({
      Allowed: true,
      Reason: 'allowed by policy "app" namespace "prod-*" (closest match for "prod-api")',
    });
  });

  it('names every contributing policy when a capability is missing', () => {
    expect(a.authorize({ Resource: 'namespace', Name: 'prod', Capability: 'csi-register-plugin' })).toEqual({
      Allowed: false,
      Reason: 'denied: namespace "prod" from policies "app", "ops" does not grant "csi-register-plugin"',
    });
  });

  it('says when no rule matched', () => {
    expect(a.authorize({ Resource: 'namespace', Name: 'dev', Capability: 'read-job' })).toEqual({
      Allowed: false,
      Reason: 'no rule matched namespace "dev"',
    });
  });

  it('answers namespace checks without Capability as any-access', () => {
    expect(a.authorize({ Resource: 'namespace', Name: 'prod-x' })).toEqual({
      Allowed: true,
      Reason: 'allowed by policy "app" namespace "prod-*" (closest match for "prod-x")',
    });
  });

  it('returns the same frozen decision object for repeated checks', () => {
    const check = { Resource: 'namespace', Name: 'prod-api', Capability: 'read-job' } as const;
    const first = a.authorize(check);
    expect(a.authorize(check)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('stays correct after the glob memo overflows its bound', () => {
    for (let i = 0; i < GLOB_CACHE_LIMIT + 50; i++) {
      expect(a.allowNamespaceOperation(`prod-${i}`, 'read-job')).toBe(true);
      expect(a.allowNamespaceOperation(`dev-${i}`, 'read-job')).toBe(false);
    }
    expect(a.allowNamespaceOperation('prod-0', 'submit-job')).toBe(false);
  });

  it('records the policy names in input order', () => {
    expect(a.policyNames).toEqual(['app', 'ops']);
  });
});

describe('MANAGEMENT_ACL and input checks', () => {
  it('allows everything with reason "management token"', () => {
    expect(MANAGEMENT_ACL.isManagement).toBe(true);
    expect(MANAGEMENT_ACL.authorize({ Resource: 'operator', Capability: 'snapshot-save' })).toEqual({
      Allowed: true,
      Reason: 'management token',
    });
    expect(MANAGEMENT_ACL.allowNamespaceOperation('any', 'alloc-node-exec')).toBe(true);
    expect(MANAGEMENT_ACL.allowPluginRead()).toBe(true);
    expect(MANAGEMENT_ACL.allowVariableOperation('a', 'b', 'destroy')).toBe(true);
  });

  it('compiles client ACLs that are not management, including from no policies', () => {
    const none = compileACL([]);
    expect(none.isManagement).toBe(false);
    expect(none.allowNamespace('default')).toBe(false);
    expect(none.authorize({ Resource: 'agent', Capability: 'read' }).Allowed).toBe(false);
  });

  it('rejects malformed input with a TypeError naming the index', () => {
    expect(() => compileACL([{ name: 'x' } as never])).toThrow('policies[0] must be { name: string, policy: Policy }');
    expect(() => compileACL('nope' as never)).toThrow(TypeError);
  });
});
