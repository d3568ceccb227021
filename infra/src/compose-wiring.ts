import { isWildcard, parseAddress } from './address.js';

type Doc = Record<string, any>;

const WORKER_DOCKERFILE = 'infra/docker/worker.Dockerfile';

function environment(service: Doc): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
  return Object.fromEntries(env.map((item: string) => [item.split('=')[0], item.split('=').slice(1).join('=')]));
}

/** The container ports a service publishes (`HOST:CONTAINER` or long syntax). */
function published(service: Doc): number[] {
  return (service.ports ?? []).map((port: string | Doc) => (typeof port === 'string' ? Number(port.split(':').at(-1)) : Number(port.target)));
}

/**
 * How infra/compose.yaml fits together: Redis with its append-only file, the coordinator
 * publishing the ports it listens on, and workers that reach both, each with a GPU of its own.
 */
export function composeProblems(compose: Doc): string[] {
  const out: string[] = [];
  const services: Record<string, Doc> = compose.services ?? {};
  for (const required of ['redis', 'coordinator']) if (!services[required]) out.push(`compose: no service ${required}`);
  const redis = services.redis;
  if (redis && !/--appendonly[ =]yes/.test([].concat(redis.command ?? []).join(' '))) {
    out.push('compose service redis: not started with --appendonly yes');
  }
  const coordinatorEnv = services.coordinator ? environment(services.coordinator) : {};
  const listening: Record<string, number> = {};
  for (const variable of ['JVAE_COORDINATOR', 'JVAE_HTTP']) {
    const address = parseAddress(coordinatorEnv[variable] ?? '');
    if (!address || !isWildcard(address.host)) {
      out.push(`compose service coordinator: ${variable} '${coordinatorEnv[variable]}' does not listen on every interface`);
      continue;
    }
    listening[variable] = address.port;
    if (!published(services.coordinator!).includes(address.port)) {
      out.push(`compose service coordinator: ${variable} listens on ${address.port}, which it does not publish`);
    }
  }
  const workers = Object.entries(services).filter(([, service]) => service.build?.dockerfile === WORKER_DOCKERFILE);
  if (workers.length === 0) out.push(`compose: no worker service (built from ${WORKER_DOCKERFILE})`);
  const gpus = new Map<string, string>();
  for (const [serviceName, service] of Object.entries(services)) {
    const env = environment(service);
    const where = `compose service ${serviceName}`;
    const redisAddress = env.REDIS_URL === undefined ? null : parseAddress(env.REDIS_URL);
    if (serviceName !== 'redis' && (!redisAddress || redisAddress.host !== 'redis' || redisAddress.port !== 6379)) {
      out.push(`${where}: REDIS_URL '${env.REDIS_URL}' is not the redis service (redis://redis:6379)`);
    }
    if (!workers.some(([workerName]) => workerName === serviceName)) continue;
    const coordinator = parseAddress(env.JVAE_COORDINATOR ?? '');
    if (!coordinator || coordinator.host !== 'coordinator' || coordinator.port !== listening.JVAE_COORDINATOR) {
      out.push(`${where}: JVAE_COORDINATOR '${env.JVAE_COORDINATOR}' is not coordinator:${listening.JVAE_COORDINATOR}`);
    }
    if (env.JVAE_GRADSYNC_HOST !== undefined && env.JVAE_GRADSYNC_HOST !== serviceName && env.JVAE_GRADSYNC_HOST !== service.hostname) {
      out.push(`${where}: JVAE_GRADSYNC_HOST ${env.JVAE_GRADSYNC_HOST} is neither its service name nor its hostname`);
    }
    const devices: Doc[] = service.deploy?.resources?.reservations?.devices ?? [];
    const gpu = devices.find((device) => (device.capabilities ?? []).includes('gpu'));
    if (!gpu) {
      out.push(`${where}: no GPU reservation (deploy.resources.reservations.devices with capabilities [gpu])`);
      continue;
    }
    for (const id of gpu.device_ids ?? []) {
      const holder = gpus.get(String(id));
      if (holder) out.push(`${where}: GPU ${id} is already reserved by ${holder}`);
      gpus.set(String(id), serviceName);
    }
  }
  return out;
}
