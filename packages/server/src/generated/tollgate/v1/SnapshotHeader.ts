// Original file: proto/tollgate/v1/replication.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotHeader {
  'index'?: (number | string | Long);
  'time_ms'?: (number | string | Long);
}

export interface SnapshotHeader__Output {
  'index': (number);
  'time_ms': (number);
}
