// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'index'?: (number | string | Long);
  'time_ms'?: (number | string | Long);
}

export interface Heartbeat__Output {
  'index': (number);
  'time_ms': (number);
}
