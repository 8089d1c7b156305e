// Original file: proto/tollgate/v1/replication.proto


export interface DigestRequest {
}

export interface DigestRequest__Output {
}
