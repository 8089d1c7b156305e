// Original file: proto/tollgate/v1/replication.proto

import type { Token as _tollgate_v1_Token, Token__Output as _tollgate_v1_Token__Output } from '../../tollgate/v1/Token.js';
import type { Policy as _tollgate_v1_Policy, Policy__Output as _tollgate_v1_Policy__Output } from '../../tollgate/v1/Policy.js';

export interface SnapshotItems {
  'tokens'?: (_tollgate_v1_Token)[];
  'policies'?: (_tollgate_v1_Policy)[];
}

export interface SnapshotItems__Output {
  'tokens': (_tollgate_v1_Token__Output)[];
  'policies': (_tollgate_v1_Policy__Output)[];
}
