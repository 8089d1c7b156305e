// Original file: proto/tollgate/v1/replication.proto

import type { ChangeBatch as _tollgate_v1_ChangeBatch, ChangeBatch__Output as _tollgate_v1_ChangeBatch__Output } from '../../tollgate/v1/ChangeBatch.js';
import type { Heartbeat as _tollgate_v1_Heartbeat, Heartbeat__Output as _tollgate_v1_Heartbeat__Output } from '../../tollgate/v1/Heartbeat.js';
import type { Resync as _tollgate_v1_Resync, Resync__Output as _tollgate_v1_Resync__Output } from '../../tollgate/v1/Resync.js';

export interface WatchEvent {
  'batch'?: (_tollgate_v1_ChangeBatch | null);
  'heartbeat'?: (_tollgate_v1_Heartbeat | null);
  'resync'?: (_tollgate_v1_Resync | null);
  'event'?: "batch"|"heartbeat"|"resync";
}

export interface WatchEvent__Output {
  'batch'?: (_tollgate_v1_ChangeBatch__Output | null);
  'heartbeat'?: (_tollgate_v1_Heartbeat__Output | null);
  'resync'?: (_tollgate_v1_Resync__Output | null);
  'event'?: "batch"|"heartbeat"|"resync";
}
