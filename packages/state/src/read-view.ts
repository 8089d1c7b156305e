import type { ACLAuthMethod, ACLBindingRule, ACLPolicy, ACLRole, ACLToken } from './types.js';

/**
 * What planners may read: the committed state, or a staged view on top of it
 * holding writes planned earlier in the same group commit.
 */
export interface ReadView {
  /** Last region index (committed or staged). */
  readonly index: number;
  /** 0 when never bootstrapped. */
  readonly bootstrapIndex: number;
  readonly replicationCursor: number;
  token(accessor: string): ACLToken | undefined;
  accessorBySecret(secret: string): string | undefined;
  /** Like `accessorBySecret`, by the secret's hex SHA-256 (`secretIndexKey`), for a caller that has it already. */
  accessorBySecretHash(secretHash: string): string | undefined;
  policy(name: string): ACLPolicy | undefined;
  forEachToken(fn: (token: ACLToken) => void): void;
  /** Accessors of the tokens revoked with `parent` (its non-orphan children), any order. */
  childrenOf(parent: string): readonly string[];
  forEachPolicy(fn: (policy: ACLPolicy) => void): void;
  role(id: string): ACLRole | undefined;
  roleByName(name: string): ACLRole | undefined;
  forEachRole(fn: (role: ACLRole) => void): void;
  authMethod(name: string): ACLAuthMethod | undefined;
  forEachAuthMethod(fn: (method: ACLAuthMethod) => void): void;
  bindingRule(id: string): ACLBindingRule | undefined;
  forEachBindingRule(fn: (rule: ACLBindingRule) => void): void;
}
