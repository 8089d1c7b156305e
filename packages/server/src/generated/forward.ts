import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ForwardClient as _tollgate_v1_ForwardClient, ForwardDefinition as _tollgate_v1_ForwardDefinition } from './tollgate/v1/Forward.js';
import type { HttpRequest as _tollgate_v1_HttpRequest, HttpRequest__Output as _tollgate_v1_HttpRequest__Output } from './tollgate/v1/HttpRequest.js';
import type { HttpResponse as _tollgate_v1_HttpResponse, HttpResponse__Output as _tollgate_v1_HttpResponse__Output } from './tollgate/v1/HttpResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tollgate: {
    v1: {
      Forward: SubtypeConstructor<typeof grpc.Client, _tollgate_v1_ForwardClient> & { service: _tollgate_v1_ForwardDefinition }
      HttpRequest: MessageTypeDefinition<_tollgate_v1_HttpRequest, _tollgate_v1_HttpRequest__Output>
      HttpResponse: MessageTypeDefinition<_tollgate_v1_HttpResponse, _tollgate_v1_HttpResponse__Output>
    }
  }
}

