// Original file: proto/tollgate/v1/forward.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HttpRequest as _tollgate_v1_HttpRequest, HttpRequest__Output as _tollgate_v1_HttpRequest__Output } from '../../tollgate/v1/HttpRequest.js';
import type { HttpResponse as _tollgate_v1_HttpResponse, HttpResponse__Output as _tollgate_v1_HttpResponse__Output } from '../../tollgate/v1/HttpResponse.js';

export interface ForwardClient extends grpc.Client {
  Http(argument: _tollgate_v1_HttpRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  Http(argument: _tollgate_v1_HttpRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  Http(argument: _tollgate_v1_HttpRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  Http(argument: _tollgate_v1_HttpRequest, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  http(argument: _tollgate_v1_HttpRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  http(argument: _tollgate_v1_HttpRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  http(argument: _tollgate_v1_HttpRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  http(argument: _tollgate_v1_HttpRequest, callback: grpc.requestCallback<_tollgate_v1_HttpResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ForwardHandlers extends grpc.UntypedServiceImplementation {
  Http: grpc.handleUnaryCall<_tollgate_v1_HttpRequest__Output, _tollgate_v1_HttpResponse>;
  
}

export interface ForwardDefinition extends grpc.ServiceDefinition {
  Http: MethodDefinition<_tollgate_v1_HttpRequest, _tollgate_v1_HttpResponse, _tollgate_v1_HttpRequest__Output, _tollgate_v1_HttpResponse__Output>
}
