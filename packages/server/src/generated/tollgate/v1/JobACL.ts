// Original file: proto/tollgate/v1/replication.proto


export interface JobACL {
  'namespace'?: (string);
  'job_id'?: (string);
  'group'?: (string);
  'task'?: (string);
}

export interface JobACL__Output {
  'namespace': (string);
  'job_id': (string);
  'group': (string);
  'task': (string);
}
