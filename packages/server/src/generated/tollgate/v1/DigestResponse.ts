// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface DigestResponse {
  'index'?: (number | string | Long);
  'digest'?: (string);
  'time_ms'?: (number | string | Long);
}

export interface DigestResponse__Output {
  'index': (number);
  'digest': (string);
  'time_ms': (number);
}
