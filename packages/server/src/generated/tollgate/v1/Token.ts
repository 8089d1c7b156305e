// Original file: proto/tollgate/v1/replication.proto

import type { PolicyNames as _tollgate_v1_PolicyNames, PolicyNames__Output as _tollgate_v1_PolicyNames__Output } from '../../tollgate/v1/PolicyNames.js';
import type { RoleLink as _tollgate_v1_RoleLink, RoleLink__Output as _tollgate_v1_RoleLink__Output } from '../../tollgate/v1/RoleLink.js';
import type { Long } from '@grpc/proto-loader';

export interface Token {
  'accessor_id'?: (string);
  'secret_id'?: (string);
  'name'?: (string);
  'type'?: (string);
  'policies'?: (_tollgate_v1_PolicyNames | null);
  'global'?: (boolean);
  'hash'?: (string);
  'create_time'?: (string);
  'expiration_time'?: (string);
  'expiration_ttl_ns'?: (number | string | Long);
  'create_index'?: (number | string | Long);
  'modify_index'?: (number | string | Long);
  'roles'?: (_tollgate_v1_RoleLink)[];
  'parent_accessor_id'?: (string);
  'orphan'?: (boolean);
  'meta'?: ({[key: string]: string});
  'explicit_max_ttl_ns'?: (number | string | Long);
  'period_ns'?: (number | string | Long);
}

export interface Token__Output {
  'accessor_id': (string);
  'secret_id': (string);
  'name': (string);
  'type': (string);
  'policies': (_tollgate_v1_PolicyNames__Output | null);
  'global': (boolean);
  'hash': (string);
  'create_time': (string);
  'expiration_time': (string);
  'expiration_ttl_ns': (number);
  'create_index': (number);
  'modify_index': (number);
  'roles': (_tollgate_v1_RoleLink__Output)[];
  'parent_accessor_id': (string);
  'orphan': (boolean);
  'meta': ({[key: string]: string});
  'explicit_max_ttl_ns': (number);
  'period_ns': (number);
}
