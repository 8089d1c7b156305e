// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface Role {
  'id'?: (string);
  'name'?: (string);
  'description'?: (string);
  'policies'?: (string)[];
  'hash'?: (string);
  'create_index'?: (number | string | Long);
  'modify_index'?: (number | string | Long);
}

export interface Role__Output {
  'id': (string);
  'name': (string);
  'description': (string);
  'policies': (string)[];
  'hash': (string);
  'create_index': (number);
  'modify_index': (number);
}
