import { describe, expect, it } from 'vitest';
import { CheckError, MAX_CHECK_NAME_LENGTH, validateCheck } from '@tollgate/acl';

function checkError(raw: unknown): CheckError {
  try {
    validateCheck(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckError);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as CheckError).code).toBe('TOLLGATE_BAD_CHECK');
    return err as CheckError;
  }
  throw new Error(`expected CheckError for ${JSON.stringify(raw)}`);
}

describe('validateCheck', () => {
  it('accepts a namespace check with and without Capability', () => {
    expect(validateCheck({ Resource: 'namespace', Name: 'prod', Capability: 'read-job' })).toEqual({
      Resource: 'namespace',
      Name: 'prod',
      Capability: 'read-job',
    });
    expect(validateCheck({ Resource: 'namespace', Name: '*' })).toEqual({ Resource: 'namespace', Name: '*' });
  });

  it('accepts every resource with its required fields and returns only those fields', () => {
    expect(validateCheck({ Resource: 'variable', Namespace: 'prod', Name: 'a/b', Capability: 'destroy' })).toEqual({
      Resource: 'variable',
      Namespace: 'prod',
      Name: 'a/b',
      Capability: 'destroy',
    });
    expect(validateCheck({ Resource: 'host_volume', Name: 'v', Capability: 'mount-readwrite' }).Capability).toBe('mount-readwrite');
    expect(validateCheck({ Resource: 'node_pool', Name: 'p', Capability: 'delete' }).Name).toBe('p');
    // Without a Capability: "any access other than deny", as for namespaces.
    expect(validateCheck({ Resource: 'node_pool', Name: 'gpu' })).toEqual({ Resource: 'node_pool', Name: 'gpu' });
    expect(validateCheck({ Resource: 'host_volume', Name: 'ssd-1', Capability: '' })).toEqual({ Resource: 'host_volume', Name: 'ssd-1' });
    for (const r of ['node', 'agent', 'quota']) expect(validateCheck({ Resource: r, Capability: 'write' }).Resource).toBe(r);
    expect(validateCheck({ Resource: 'plugin', Capability: 'list' }).Capability).toBe('list');
    expect(validateCheck({ Resource: 'operator', Capability: 'keyring-rotate' }).Capability).toBe('keyring-rotate');
    expect(validateCheck({ Resource: 'operator', Capability: 'read', Name: null }).Name).toBeUndefined();
  });

  it('ignores unknown fields and leaves them out of the result', () => {
    expect(validateCheck({ Resource: 'agent', Capability: 'read', Region: 'eu', SecretID: 'x' })).toEqual({
      Resource: 'agent',
      Capability: 'read',
    });
  });

  it.each([
    [null, 'check must be an object with a Resource field'],
    [[], 'check must be an object with a Resource field'],
    ['namespace', 'check must be an object with a Resource field'],
    [{}, 'Resource must be one of namespace, variable, host_volume, node_pool, node, agent, quota, plugin, operator'],
    [{ Resource: 'job' }, 'Resource must be one of namespace, variable, host_volume, node_pool, node, agent, quota, plugin, operator'],
    [{ Resource: 'namespace' }, 'Name is required for resource namespace'],
    [{ Resource: 'namespace', Name: '' }, 'Name is required for resource namespace'],
    [{ Resource: 'namespace', Name: 5 }, 'Name must be a string'],
    [{ Resource: 'namespace', Name: 'a', Namespace: 'b' }, 'Namespace is not used for resource namespace; put the namespace in Name'],
    [{ Resource: 'namespace', Name: 'a', Capability: 'foo' }, 'Capability "foo" is not a namespace capability'],
    [{ Resource: 'namespace', Name: 'a', Capability: 'deny' }, 'Capability "deny" is not a namespace capability'],
    [{ Resource: 'variable', Name: 'p', Capability: 'read' }, 'Namespace is required for resource variable'],
    [{ Resource: 'variable', Namespace: 'n', Capability: 'read' }, 'Name is required for resource variable'],
    [{ Resource: 'variable', Namespace: 'n', Name: 'p' }, 'Capability is required for resource variable'],
    [
      { Resource: 'variable', Namespace: 'n', Name: 'p', Capability: 'own' },
      'Capability "own" is not a variable capability (expected one of list, read, write, destroy)',
    ],
    [{ Resource: 'host_volume', Capability: 'mount-readonly' }, 'Name is required for resource host_volume'],
    [{ Resource: 'node_pool', Name: 'p', Capability: 'mount' }, 'Capability "mount" is not a node_pool capability (expected one of read, write, delete)'],
    [{ Resource: 'agent', Capability: 'list' }, 'Capability "list" is not an agent capability (expected one of read, write)'],
    [{ Resource: 'agent', Name: 'x', Capability: 'read' }, 'Name is not used for resource agent'],
    [{ Resource: 'quota', Namespace: 'x', Capability: 'read' }, 'Namespace is not used for resource quota'],
    [{ Resource: 'plugin', Capability: 'write' }, 'Capability "write" is not a plugin capability (expected one of read, list)'],
    [{ Resource: 'node', Capability: 7 }, 'Capability must be a string'],
    [
      { Resource: 'operator', Capability: 'snapshot-restore' },
      'Capability "snapshot-restore" is not an operator capability (expected one of read, write, snapshot-save, license-read, keyring-rotate, keyring-read, keyring-delete)',
    ],
    [{ Resource: 'namespace', Name: 'x'.repeat(MAX_CHECK_NAME_LENGTH + 1) }, `Name must be at most ${MAX_CHECK_NAME_LENGTH} characters`],
  ])('rejects %j: %s', (raw, message) => {
    expect(checkError(raw).message).toBe(message);
  });
});
