// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface Policy {
  'name'?: (string);
  'description'?: (string);
  'rules'?: (string);
  'hash'?: (string);
  'create_index'?: (number | string | Long);
  'modify_index'?: (number | string | Long);
}

export interface Policy__Output {
  'name': (string);
  'description': (string);
  'rules': (string);
  'hash': (string);
  'create_index': (number);
  'modify_index': (number);
}
