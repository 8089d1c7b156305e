// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface AuthMethod {
  'name'?: (string);
  'type'?: (string);
  'token_locality'?: (string);
  'max_token_ttl_ns'?: (number | string | Long);
  'token_name_format'?: (string);
  'display_name'?: (string);
  'default'?: (boolean);
  'config_json'?: (string);
  'hash'?: (string);
  'create_time'?: (string);
  'modify_time'?: (string);
  'create_index'?: (number | string | Long);
  'modify_index'?: (number | string | Long);
}

export interface AuthMethod__Output {
  'name': (string);
  'type': (string);
  'token_locality': (string);
  'max_token_ttl_ns': (number);
  'token_name_format': (string);
  'display_name': (string);
  'default': (boolean);
  'config_json': (string);
  'hash': (string);
  'create_time': (string);
  'modify_time': (string);
  'create_index': (number);
  'modify_index': (number);
}
