import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as ForwardProto } from '../generated/forward.js';
import type { ProtoGrpcType as ReplicationProto } from '../generated/replication.js';

/**
 * The repository's `proto/` directory. Both `src/grpc/` (unit tests) and
 * `dist/grpc/` (the built agent) sit four levels below the repository root,
 * so one relative URL serves both; the .proto files ship with the agent and
 * are parsed at start-up rather than compiled in.
 */
export const PROTO_ROOT = fileURLToPath(new URL('../../../../proto/', import.meta.url));

/** The contract files, relative to `PROTO_ROOT`. */
export const PROTO_FILES: readonly string[] = ['tollgate/v1/forward.proto', 'tollgate/v1/replication.proto'];

/**
 * proto-loader options. They must match the flags of the root `gen` script
 * (`proto-loader-gen-types`), or the generated `__Output` types would lie
 * about what the loader produces: field names as written (`keepCase`), 64-bit
 * integers as JS numbers (indexes and millisecond times stay far below 2^53),
 * defaults filled in, and a virtual `event`/`chunk` field naming the oneof
 * member that is set.
 */
export const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});

/** The typed gRPC package object of both contracts. */
export type TollgateProto = ForwardProto & ReplicationProto;

let cached: TollgateProto | undefined;

/**
 * Parses the .proto files once per process and returns the typed package
 * (`proto.tollgate.v1.Replication`, `proto.tollgate.v1.Forward`, message types).
 */
export function loadTollgateProto(): TollgateProto {
  if (cached === undefined) {
    const definition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as TollgateProto;
  }
  return cached;
}
