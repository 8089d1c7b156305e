// Original file: proto/tollgate/v1/replication.proto


export interface SnapshotRequest {
  'region'?: (string);
}

export interface SnapshotRequest__Output {
  'region': (string);
}
