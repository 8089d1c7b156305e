// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchRequest {
  'since'?: (number | string | Long);
  'region'?: (string);
}

export interface WatchRequest__Output {
  'since': (number);
  'region': (string);
}
