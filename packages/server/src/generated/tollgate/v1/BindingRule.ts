// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface BindingRule {
  'id'?: (string);
  'description'?: (string);
  'auth_method'?: (string);
  'selector'?: (string);
  'bind_type'?: (string);
  'bind_name'?: (string);
  'hash'?: (string);
  'create_time'?: (string);
  'modify_time'?: (string);
  'create_index'?: (number | string | Long);
  'modify_index'?: (number | string | Long);
}

export interface BindingRule__Output {
  'id': (string);
  'description': (string);
  'auth_method': (string);
  'selector': (string);
  'bind_type': (string);
  'bind_name': (string);
  'hash': (string);
  'create_time': (string);
  'modify_time': (string);
  'create_index': (number);
  'modify_index': (number);
}
