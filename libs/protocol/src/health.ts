import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTO_LOADER_OPTIONS, loadProtos } from './protos.js';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/**
 * Adds the standard health service (each named service and the whole server,
 * '', reported SERVING) and server reflection (the named services plus health)
 * to `server`, so grpcurl, grpc_health_probe and Kubernetes probes work.
 * `serviceNames` are fully qualified, e.g. 'jvae.v1.Coordinator'. Returns the
 * health implementation: call setStatus(name, 'NOT_SERVING') when draining.
 */
export function serveHealthAndReflection(
  server: grpc.Server,
  serviceNames: string[],
  packageDefinition: protoLoader.PackageDefinition = loadProtos().packageDefinition,
): HealthImplementation {
  for (const name of serviceNames) {
    const definition = packageDefinition[name];
    if (!definition || 'format' in definition) {
      throw new Error(`unknown gRPC service '${name}' (expected a fully qualified name like 'jvae.v1.Coordinator')`);
    }
  }
  const health = new HealthImplementation(
    Object.fromEntries(['', ...serviceNames].map((name) => [name, 'SERVING' as const])),
  );
  health.addToServer(server);
  const healthDefinition = protoLoader.loadSync(healthProtoPath, PROTO_LOADER_OPTIONS);
  const reflection = new ReflectionService(
    { ...packageDefinition, ...healthDefinition },
    { services: [...serviceNames, HEALTH_SERVICE] },
  );
  reflection.addToServer(server);
  return health;
}
