// Original file: proto/tollgate/v1/replication.proto

import type { JobACL as _tollgate_v1_JobACL, JobACL__Output as _tollgate_v1_JobACL__Output } from '../../tollgate/v1/JobACL.js';
import type { Long } from '@grpc/proto-loader';

export interface Policy {
  'name'?: (string);
  'description'?: (string);
  'rules'?: (string);
  'hash'?: (string);
  'create_index'?: (number | string | Long);
  'modify_index'?: (number | string | Long);
  'job_acl'?: (_tollgate_v1_JobACL | null);
}

export interface Policy__Output {
  'name': (string);
  'description': (string);
  'rules': (string);
  'hash': (string);
  'create_index': (number);
  'modify_index': (number);
  'job_acl': (_tollgate_v1_JobACL__Output | null);
}
