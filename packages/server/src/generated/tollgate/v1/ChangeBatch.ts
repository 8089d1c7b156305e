// Original file: proto/tollgate/v1/replication.proto

import type { Token as _tollgate_v1_Token, Token__Output as _tollgate_v1_Token__Output } from '../../tollgate/v1/Token.js';
import type { Policy as _tollgate_v1_Policy, Policy__Output as _tollgate_v1_Policy__Output } from '../../tollgate/v1/Policy.js';
import type { Role as _tollgate_v1_Role, Role__Output as _tollgate_v1_Role__Output } from '../../tollgate/v1/Role.js';
import type { AuthMethod as _tollgate_v1_AuthMethod, AuthMethod__Output as _tollgate_v1_AuthMethod__Output } from '../../tollgate/v1/AuthMethod.js';
import type { BindingRule as _tollgate_v1_BindingRule, BindingRule__Output as _tollgate_v1_BindingRule__Output } from '../../tollgate/v1/BindingRule.js';
import type { Long } from '@grpc/proto-loader';

export interface ChangeBatch {
  'first_index'?: (number | string | Long);
  'index'?: (number | string | Long);
  'commit_time_ms'?: (number | string | Long);
  'upsert_tokens'?: (_tollgate_v1_Token)[];
  'delete_tokens'?: (string)[];
  'upsert_policies'?: (_tollgate_v1_Policy)[];
  'delete_policies'?: (string)[];
  'upsert_roles'?: (_tollgate_v1_Role)[];
  'delete_roles'?: (string)[];
  'upsert_auth_methods'?: (_tollgate_v1_AuthMethod)[];
  'delete_auth_methods'?: (string)[];
  'upsert_binding_rules'?: (_tollgate_v1_BindingRule)[];
  'delete_binding_rules'?: (string)[];
}

export interface ChangeBatch__Output {
  'first_index': (number);
  'index': (number);
  'commit_time_ms': (number);
  'upsert_tokens': (_tollgate_v1_Token__Output)[];
  'delete_tokens': (string)[];
  'upsert_policies': (_tollgate_v1_Policy__Output)[];
  'delete_policies': (string)[];
  'upsert_roles': (_tollgate_v1_Role__Output)[];
  'delete_roles': (string)[];
  'upsert_auth_methods': (_tollgate_v1_AuthMethod__Output)[];
  'delete_auth_methods': (string)[];
  'upsert_binding_rules': (_tollgate_v1_BindingRule__Output)[];
  'delete_binding_rules': (string)[];
}
