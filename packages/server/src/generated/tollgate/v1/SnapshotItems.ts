// Original file: proto/tollgate/v1/replication.proto

import type { Token as _tollgate_v1_Token, Token__Output as _tollgate_v1_Token__Output } from '../../tollgate/v1/Token.js';
import type { Policy as _tollgate_v1_Policy, Policy__Output as _tollgate_v1_Policy__Output } from '../../tollgate/v1/Policy.js';
import type { Role as _tollgate_v1_Role, Role__Output as _tollgate_v1_Role__Output } from '../../tollgate/v1/Role.js';
import type { AuthMethod as _tollgate_v1_AuthMethod, AuthMethod__Output as _tollgate_v1_AuthMethod__Output } from '../../tollgate/v1/AuthMethod.js';
import type { BindingRule as _tollgate_v1_BindingRule, BindingRule__Output as _tollgate_v1_BindingRule__Output } from '../../tollgate/v1/BindingRule.js';

export interface SnapshotItems {
  'tokens'?: (_tollgate_v1_Token)[];
  'policies'?: (_tollgate_v1_Policy)[];
  'roles'?: (_tollgate_v1_Role)[];
  'auth_methods'?: (_tollgate_v1_AuthMethod)[];
  'binding_rules'?: (_tollgate_v1_BindingRule)[];
}

export interface SnapshotItems__Output {
  'tokens': (_tollgate_v1_Token__Output)[];
  'policies': (_tollgate_v1_Policy__Output)[];
  'roles': (_tollgate_v1_Role__Output)[];
  'auth_methods': (_tollgate_v1_AuthMethod__Output)[];
  'binding_rules': (_tollgate_v1_BindingRule__Output)[];
}
