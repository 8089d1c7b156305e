// Original file: proto/tollgate/v1/replication.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DigestRequest as _tollgate_v1_DigestRequest, DigestRequest__Output as _tollgate_v1_DigestRequest__Output } from '../../tollgate/v1/DigestRequest.js';
import type { DigestResponse as _tollgate_v1_DigestResponse, DigestResponse__Output as _tollgate_v1_DigestResponse__Output } from '../../tollgate/v1/DigestResponse.js';
import type { SnapshotChunk as _tollgate_v1_SnapshotChunk, SnapshotChunk__Output as _tollgate_v1_SnapshotChunk__Output } from '../../tollgate/v1/SnapshotChunk.js';
import type { SnapshotRequest as _tollgate_v1_SnapshotRequest, SnapshotRequest__Output as _tollgate_v1_SnapshotRequest__Output } from '../../tollgate/v1/SnapshotRequest.js';
import type { WatchEvent as _tollgate_v1_WatchEvent, WatchEvent__Output as _tollgate_v1_WatchEvent__Output } from '../../tollgate/v1/WatchEvent.js';
import type { WatchRequest as _tollgate_v1_WatchRequest, WatchRequest__Output as _tollgate_v1_WatchRequest__Output } from '../../tollgate/v1/WatchRequest.js';

export interface ReplicationClient extends grpc.Client {
  Digest(argument: _tollgate_v1_DigestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  Digest(argument: _tollgate_v1_DigestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  Digest(argument: _tollgate_v1_DigestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  Digest(argument: _tollgate_v1_DigestRequest, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  digest(argument: _tollgate_v1_DigestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  digest(argument: _tollgate_v1_DigestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  digest(argument: _tollgate_v1_DigestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  digest(argument: _tollgate_v1_DigestRequest, callback: grpc.requestCallback<_tollgate_v1_DigestResponse__Output>): grpc.ClientUnaryCall;
  
  Snapshot(argument: _tollgate_v1_SnapshotRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_SnapshotChunk__Output>;
  Snapshot(argument: _tollgate_v1_SnapshotRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_SnapshotChunk__Output>;
  snapshot(argument: _tollgate_v1_SnapshotRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_SnapshotChunk__Output>;
  snapshot(argument: _tollgate_v1_SnapshotRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_SnapshotChunk__Output>;
  
  Watch(argument: _tollgate_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_WatchEvent__Output>;
  Watch(argument: _tollgate_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_WatchEvent__Output>;
  watch(argument: _tollgate_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_WatchEvent__Output>;
  watch(argument: _tollgate_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tollgate_v1_WatchEvent__Output>;
  
}

export interface ReplicationHandlers extends grpc.UntypedServiceImplementation {
  Digest: grpc.handleUnaryCall<_tollgate_v1_DigestRequest__Output, _tollgate_v1_DigestResponse>;
  
  Snapshot: grpc.handleServerStreamingCall<_tollgate_v1_SnapshotRequest__Output, _tollgate_v1_SnapshotChunk>;
  
  Watch: grpc.handleServerStreamingCall<_tollgate_v1_WatchRequest__Output, _tollgate_v1_WatchEvent>;
  
}

export interface ReplicationDefinition extends grpc.ServiceDefinition {
  Digest: MethodDefinition<_tollgate_v1_DigestRequest, _tollgate_v1_DigestResponse, _tollgate_v1_DigestRequest__Output, _tollgate_v1_DigestResponse__Output>
  Snapshot: MethodDefinition<_tollgate_v1_SnapshotRequest, _tollgate_v1_SnapshotChunk, _tollgate_v1_SnapshotRequest__Output, _tollgate_v1_SnapshotChunk__Output>
  Watch: MethodDefinition<_tollgate_v1_WatchRequest, _tollgate_v1_WatchEvent, _tollgate_v1_WatchRequest__Output, _tollgate_v1_WatchEvent__Output>
}
