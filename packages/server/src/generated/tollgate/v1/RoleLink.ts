// Original file: proto/tollgate/v1/replication.proto


export interface RoleLink {
  'id'?: (string);
  'name'?: (string);
}

export interface RoleLink__Output {
  'id': (string);
  'name': (string);
}
