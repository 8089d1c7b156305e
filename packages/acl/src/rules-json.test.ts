import { describe, expect, it } from 'vitest';
import { parsePolicy, policyToRulesJSON } from '@tollgate/acl';

describe('policyToRulesJSON', () => {
  it('renders every block in Nomad field names, with expanded capabilities', () => {
    const rules = `
      namespace "default" {
        policy = "read"
        capabilities = ["alloc-node-exec"]
        variables { path "app/*" { capabilities = ["read"] } }
      }
      node_pool "gpu" { policy = "write" }
      host_volume "certs" { policy = "read" }
      agent { policy = "read" }
      node { policy = "write" }
      operator { policy = "read" }
      quota { policy = "deny" }
      plugin { policy = "list" }`;
    expect(policyToRulesJSON(parsePolicy(rules))).toEqual({
      Namespaces: [
        {
          Name: 'default',
          Policy: 'read',
          Capabilities: [
            'alloc-node-exec',
            'list-jobs',
            'parse-job',
            'read-job',
            'csi-list-volume',
            'csi-read-volume',
            'read-job-scaling',
            'list-scaling-policies',
            'read-scaling-policy',
            'host-volume-read',
          ],
          Variables: { Paths: [{ PathSpec: 'app/*', Capabilities: ['read', 'list'] }] },
        },
      ],
      NodePools: [{ Name: 'gpu', Policy: 'write', Capabilities: ['delete', 'read', 'write'] }],
      HostVolumes: [{ Name: 'certs', Policy: 'read', Capabilities: ['mount-readonly'] }],
      Agent: { Policy: 'read' },
      Node: { Policy: 'write' },
      Operator: { Policy: 'read', Capabilities: ['license-read', 'keyring-read'] },
      Sentinel: null,
      Quota: { Policy: 'deny' },
      Plugin: { Policy: 'list' },
      Raw: rules,
    });
  });

  it('uses null for absent blocks, empty lists and namespaces without variables', () => {
    const json = policyToRulesJSON(parsePolicy('namespace "a" {}'));
    expect(json.Namespaces).toEqual([{ Name: 'a', Policy: '', Capabilities: null, Variables: null }]);
    expect(json.NodePools).toBeNull();
    expect(json.HostVolumes).toBeNull();
    expect(json.Agent).toBeNull();
    expect(json.Operator).toBeNull();
  });

  it('renders the empty policy as all-null with empty Raw', () => {
    expect(policyToRulesJSON(parsePolicy(''))).toEqual({
      Namespaces: null,
      NodePools: null,
      HostVolumes: null,
      Agent: null,
      Node: null,
      Operator: null,
      Sentinel: null,
      Quota: null,
      Plugin: null,
      Raw: '',
    });
  });

  it('returns fresh mutable objects, leaving the frozen policy untouched', () => {
    const policy = parsePolicy('node_pool "p" { policy = "read" }');
    const json = policyToRulesJSON(policy);
    json.NodePools?.[0]?.Capabilities?.push('write');
    expect(policy.nodePools[0]?.capabilities).toEqual(['read']);
  });

  it('keeps field order stable for JSON output', () => {
    expect(Object.keys(policyToRulesJSON(parsePolicy('agent { policy = "read" }')))).toEqual([
      'Namespaces',
      'NodePools',
      'HostVolumes',
      'Agent',
      'Node',
      'Operator',
      'Sentinel',
      'Quota',
      'Plugin',
      'Raw',
    ]);
  });
});
