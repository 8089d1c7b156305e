// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface Resync {
  'reason'?: (string);
  'horizon'?: (number | string | Long);
}

export interface Resync__Output {
  'reason': (string);
  'horizon': (number);
}
