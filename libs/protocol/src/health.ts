import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, service as healthService } from 'grpc-health-check';
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

/** Asks a server's standard health service about `service` ('' = the whole server), as probes do. */
export function checkHealth(
  address: string,
  service = '',
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<{ status: string }> {
  const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(address, credentials);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${HEALTH_SERVICE}/Check`,
      (value: object) => healthService.Check.requestSerialize(value),
      (bytes: Buffer) => healthService.Check.responseDeserialize(bytes) as { status: string },
      { service },
      (error, response) => {
        client.close();
        if (error || !response) reject(error);
        else resolve(response);
      },
    );
  });
}
