// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotEnd {
  'token_count'?: (number | string | Long);
  'policy_count'?: (number | string | Long);
  'digest'?: (string);
  'role_count'?: (number | string | Long);
  'auth_method_count'?: (number | string | Long);
  'binding_rule_count'?: (number | string | Long);
}

export interface SnapshotEnd__Output {
  'token_count': (number);
  'policy_count': (number);
  'digest': (string);
  'role_count': (number);
  'auth_method_count': (number);
  'binding_rule_count': (number);
}
