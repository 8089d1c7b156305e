// Original file: proto/tollgate/v1/replication.proto

import type { SnapshotHeader as _tollgate_v1_SnapshotHeader, SnapshotHeader__Output as _tollgate_v1_SnapshotHeader__Output } from '../../tollgate/v1/SnapshotHeader.js';
import type { SnapshotItems as _tollgate_v1_SnapshotItems, SnapshotItems__Output as _tollgate_v1_SnapshotItems__Output } from '../../tollgate/v1/SnapshotItems.js';
import type { SnapshotEnd as _tollgate_v1_SnapshotEnd, SnapshotEnd__Output as _tollgate_v1_SnapshotEnd__Output } from '../../tollgate/v1/SnapshotEnd.js';

export interface SnapshotChunk {
  'header'?: (_tollgate_v1_SnapshotHeader | null);
  'items'?: (_tollgate_v1_SnapshotItems | null);
  'end'?: (_tollgate_v1_SnapshotEnd | null);
  'chunk'?: "header"|"items"|"end";
}

export interface SnapshotChunk__Output {
  'header'?: (_tollgate_v1_SnapshotHeader__Output | null);
  'items'?: (_tollgate_v1_SnapshotItems__Output | null);
  'end'?: (_tollgate_v1_SnapshotEnd__Output | null);
  'chunk'?: "header"|"items"|"end";
}
