import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as CoordinatorProtoGrpcType } from './generated/coordinator.js';
import type { ProtoGrpcType as GradsyncProtoGrpcType } from './generated/gradsync.js';

/** Directory holding `jvae/v1/*.proto`. */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));

/** The project's proto files, relative to PROTO_ROOT. */
export const PROTO_FILES = ['jvae/v1/coordinator.proto', 'jvae/v1/gradsync.proto'] as const;

/**
 * How messages look in JavaScript; the generated types are made with the same
 * settings (tools/gen-proto-types.ts reads this object), so they always agree:
 * camelCase field names, 64-bit integers as numbers (steps, sizes and epoch
 * milliseconds stay far below 2^53), enums as their names, every field present
 * with its default, and a virtual field naming the set member of each oneof.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

/** Both services' constructors and message definitions under `jvae.v1`. */
export type JvaeGrpcObject = CoordinatorProtoGrpcType & GradsyncProtoGrpcType;

export interface LoadedProtos {
  /** Raw definition, for reflection and for adding services to a server. */
  packageDefinition: protoLoader.PackageDefinition;
  /** Typed constructors: `proto.jvae.v1.Coordinator`, `proto.jvae.v1.GradSync`. */
  proto: JvaeGrpcObject;
}

let loaded: LoadedProtos | undefined;

/** Parses the project's protos once per process and returns the cached result. */
export function loadProtos(): LoadedProtos {
  if (!loaded) {
    const packageDefinition = protoLoader.loadSync([...PROTO_FILES], {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [PROTO_ROOT],
    });
    const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as JvaeGrpcObject;
    loaded = { packageDefinition, proto };
  }
  return loaded;
}
