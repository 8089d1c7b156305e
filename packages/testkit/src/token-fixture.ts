import { randomUUID } from 'node:crypto';
import type { ACLToken } from '@tollgate/state';

/**
 * A client token as the store takes it (fresh IDs, policies given), for
 * tests that put tokens into a store directly.
 */
export function clientTokenFixture(policies: string[], overrides: Partial<ACLToken> = {}): ACLToken {
  return {
    AccessorID: randomUUID(),
    SecretID: randomUUID(),
    Name: 't',
    Type: 'client',
    Policies: policies,
    Global: false,
    Hash: 'aGFzaA==',
    CreateTime: '2026-01-01T00:00:00Z',
    ExpirationTime: null,
    ExpirationTTL: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}
