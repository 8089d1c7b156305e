import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuthMethod as _tollgate_v1_AuthMethod, AuthMethod__Output as _tollgate_v1_AuthMethod__Output } from './tollgate/v1/AuthMethod.js';
import type { BindingRule as _tollgate_v1_BindingRule, BindingRule__Output as _tollgate_v1_BindingRule__Output } from './tollgate/v1/BindingRule.js';
import type { ChangeBatch as _tollgate_v1_ChangeBatch, ChangeBatch__Output as _tollgate_v1_ChangeBatch__Output } from './tollgate/v1/ChangeBatch.js';
import type { DigestRequest as _tollgate_v1_DigestRequest, DigestRequest__Output as _tollgate_v1_DigestRequest__Output } from './tollgate/v1/DigestRequest.js';
import type { DigestResponse as _tollgate_v1_DigestResponse, DigestResponse__Output as _tollgate_v1_DigestResponse__Output } from './tollgate/v1/DigestResponse.js';
import type { Heartbeat as _tollgate_v1_Heartbeat, Heartbeat__Output as _tollgate_v1_Heartbeat__Output } from './tollgate/v1/Heartbeat.js';
import type { JobACL as _tollgate_v1_JobACL, JobACL__Output as _tollgate_v1_JobACL__Output } from './tollgate/v1/JobACL.js';
import type { Policy as _tollgate_v1_Policy, Policy__Output as _tollgate_v1_Policy__Output } from './tollgate/v1/Policy.js';
import type { PolicyNames as _tollgate_v1_PolicyNames, PolicyNames__Output as _tollgate_v1_PolicyNames__Output } from './tollgate/v1/PolicyNames.js';
import type { ReplicationClient as _tollgate_v1_ReplicationClient, ReplicationDefinition as _tollgate_v1_ReplicationDefinition } from './tollgate/v1/Replication.js';
import type { Resync as _tollgate_v1_Resync, Resync__Output as _tollgate_v1_Resync__Output } from './tollgate/v1/Resync.js';
import type { Role as _tollgate_v1_Role, Role__Output as _tollgate_v1_Role__Output } from './tollgate/v1/Role.js';
import type { RoleLink as _tollgate_v1_RoleLink, RoleLink__Output as _tollgate_v1_RoleLink__Output } from './tollgate/v1/RoleLink.js';
import type { SnapshotChunk as _tollgate_v1_SnapshotChunk, SnapshotChunk__Output as _tollgate_v1_SnapshotChunk__Output } from './tollgate/v1/SnapshotChunk.js';
import type { SnapshotEnd as _tollgate_v1_SnapshotEnd, SnapshotEnd__Output as _tollgate_v1_SnapshotEnd__Output } from './tollgate/v1/SnapshotEnd.js';
import type { SnapshotHeader as _tollgate_v1_SnapshotHeader, SnapshotHeader__Output as _tollgate_v1_SnapshotHeader__Output } from './tollgate/v1/SnapshotHeader.js';
import type { SnapshotItems as _tollgate_v1_SnapshotItems, SnapshotItems__Output as _tollgate_v1_SnapshotItems__Output } from './tollgate/v1/SnapshotItems.js';
import type { SnapshotRequest as _tollgate_v1_SnapshotRequest, SnapshotRequest__Output as _tollgate_v1_SnapshotRequest__Output } from './tollgate/v1/SnapshotRequest.js';
import type { Token as _tollgate_v1_Token, Token__Output as _tollgate_v1_Token__Output } from './tollgate/v1/Token.js';
import type { WatchEvent as _tollgate_v1_WatchEvent, WatchEvent__Output as _tollgate_v1_WatchEvent__Output } from './tollgate/v1/WatchEvent.js';
import type { WatchRequest as _tollgate_v1_WatchRequest, WatchRequest__Output as _tollgate_v1_WatchRequest__Output } from './tollgate/v1/WatchRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tollgate: {
    v1: {
      AuthMethod: MessageTypeDefinition<_tollgate_v1_AuthMethod, _tollgate_v1_AuthMethod__Output>
      BindingRule: MessageTypeDefinition<_tollgate_v1_BindingRule, _tollgate_v1_BindingRule__Output>
      ChangeBatch: MessageTypeDefinition<_tollgate_v1_ChangeBatch, _tollgate_v1_ChangeBatch__Output>
      DigestRequest: MessageTypeDefinition<_tollgate_v1_DigestRequest, _tollgate_v1_DigestRequest__Output>
      DigestResponse: MessageTypeDefinition<_tollgate_v1_DigestResponse, _tollgate_v1_DigestResponse__Output>
      Heartbeat: MessageTypeDefinition<_tollgate_v1_Heartbeat, _tollgate_v1_Heartbeat__Output>
      JobACL: MessageTypeDefinition<_tollgate_v1_JobACL, _tollgate_v1_JobACL__Output>
      Policy: MessageTypeDefinition<_tollgate_v1_Policy, _tollgate_v1_Policy__Output>
      PolicyNames: MessageTypeDefinition<_tollgate_v1_PolicyNames, _tollgate_v1_PolicyNames__Output>
      Replication: SubtypeConstructor<typeof grpc.Client, _tollgate_v1_ReplicationClient> & { service: _tollgate_v1_ReplicationDefinition }
      Resync: MessageTypeDefinition<_tollgate_v1_Resync, _tollgate_v1_Resync__Output>
      Role: MessageTypeDefinition<_tollgate_v1_Role, _tollgate_v1_Role__Output>
      RoleLink: MessageTypeDefinition<_tollgate_v1_RoleLink, _tollgate_v1_RoleLink__Output>
      SnapshotChunk: MessageTypeDefinition<_tollgate_v1_SnapshotChunk, _tollgate_v1_SnapshotChunk__Output>
      SnapshotEnd: MessageTypeDefinition<_tollgate_v1_SnapshotEnd, _tollgate_v1_SnapshotEnd__Output>
      SnapshotHeader: MessageTypeDefinition<_tollgate_v1_SnapshotHeader, _tollgate_v1_SnapshotHeader__Output>
      SnapshotItems: MessageTypeDefinition<_tollgate_v1_SnapshotItems, _tollgate_v1_SnapshotItems__Output>
      SnapshotRequest: MessageTypeDefinition<_tollgate_v1_SnapshotRequest, _tollgate_v1_SnapshotRequest__Output>
      Token: MessageTypeDefinition<_tollgate_v1_Token, _tollgate_v1_Token__Output>
      WatchEvent: MessageTypeDefinition<_tollgate_v1_WatchEvent, _tollgate_v1_WatchEvent__Output>
      WatchRequest: MessageTypeDefinition<_tollgate_v1_WatchRequest, _tollgate_v1_WatchRequest__Output>
    }
  }
}

