// Original file: proto/tollgate/v1/replication.proto


export interface PolicyNames {
  'names'?: (string)[];
}

export interface PolicyNames__Output {
  'names': (string)[];
}
