import { describe, expect, it } from 'vitest';
import { formatToken } from './token-output.js';
import { BOOTSTRAP_TOKEN, CLIENT1_TOKEN } from '../test/fake-agent.js';

describe('formatToken', () => {
  it('prints a management token exactly like seed 001\'s bootstrap output', () => {
    expect(formatToken(BOOTSTRAP_TOKEN)).toBe(
      [
        'Accessor ID  = 5b7fd453-d3f7-6814-81dc-fcfe6daedea5',
        'Secret ID    = 9184ec35-65d4-9258-61e3-0c066d0a45c5',
        'Name         = Bootstrap Token',
        'Type         = management',
        'Global       = true',
        'Policies     = n/a',
        'Create Time  = 2017-09-11 17:38:10.999089612 +0000 UTC',
        'Create Index = 7',
        'Modify Index = 7',
      ].join('\n'),
    );
  });

  it('prints a client token\'s policies like Go\'s slice print, as in seed 000', () => {
    expect(formatToken(CLIENT1_TOKEN)).toBe(
      [
        'Accessor ID  = a7bef400-a66c-d163-52c4-5ff4978f19b8',
        'Secret ID    = 950e462b-b333-dd52-1e18-76837e9b97fa',
        'Name         = client1',
        'Type         = client',
        'Global       = false',
        'Policies     = [app1 app2]',
        'Create Time  = 2020-01-23 20:10:11.600915 +0000 UTC',
        'Create Index = 19',
        'Modify Index = 19',
      ].join('\n'),
    );
  });

  it('adds an Expiry Time line after Create Time only when the token expires', () => {
    const out = formatToken({ ...CLIENT1_TOKEN, ExpirationTime: '2020-01-23T21:10:11.600915Z' });
    const lines = out.split('\n');
    expect(lines[6]).toBe('Create Time  = 2020-01-23 20:10:11.600915 +0000 UTC');
    expect(lines[7]).toBe('Expiry Time  = 2020-01-23 21:10:11.600915 +0000 UTC');
    expect(lines).toHaveLength(10);
    expect(formatToken(CLIENT1_TOKEN)).not.toContain('Expiry Time');
  });

  it('prints an empty name as <none> and a client token without policies as []', () => {
    const out = formatToken({ ...CLIENT1_TOKEN, Name: '', Policies: null });
    expect(out).toContain('Name         = <none>');
    expect(out).toContain('Policies     = []');
  });
});
