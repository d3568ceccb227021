import { isWildcard, parseAddress } from './address.js';
import type { Manifest } from './manifest-files.js';

type Doc = Record<string, any>;

/** Settings a jvae process listens on (when its host is a wildcard) or connects to. */
const LISTEN_VARS = ['JVAE_COORDINATOR', 'JVAE_HTTP', 'JVAE_GRADSYNC_LISTEN'];
const CLIENT_VARS = ['JVAE_COORDINATOR', 'REDIS_URL'];
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** What the coordinator serves for an autoscaler (apps/coordinator: GET /api/scaling, the demand gauge). */
export const SCALING_PATH = '/api/scaling';
export const SCALING_FIELD = 'desiredWorkers';
export const DEMAND_GAUGE = 'jvae_worker_demand';

interface Target {
  deployment: Doc;
  container: Doc;
  containerPort: number;
}

/**
 * How the manifests fit together, beyond each one's schema: selectors, Service ports, the
 * addresses in the environment, the KEDA trigger and the worker's GPU. One line per problem.
 */
export function wiringProblems(manifests: readonly Manifest[]): string[] {
  return new Wiring(manifests.map((m) => m.doc)).problems();
}

function name(doc: Doc): string {
  return `${doc.kind} ${doc.metadata?.name}`;
}

function namespace(doc: Doc): string {
  return doc.metadata?.namespace ?? 'default';
}

function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

function show(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {}).map(([key, value]) => `${key}=${value}`).join(',') || '(none)';
}

function containers(deployment: Doc): Doc[] {
  return deployment.spec?.template?.spec?.containers ?? [];
}

function containerPort(container: Doc, port: number | string): number | undefined {
  const found = (container.ports ?? []).find((p: Doc) => p.containerPort === port || (p.name !== undefined && p.name === port));
  return found?.containerPort;
}

class Wiring {
  private readonly out: string[] = [];

  constructor(private readonly docs: Doc[]) {}

  problems(): string[] {
    for (const deployment of this.ofKind('Deployment')) this.checkDeployment(deployment);
    for (const service of this.ofKind('Service')) this.checkService(service);
    const scaled = this.ofKind('ScaledObject');
    if (scaled.length === 0) this.out.push('no ScaledObject scales the workers');
    for (const object of scaled) this.checkScaledObject(object);
    return this.out;
  }

  private ofKind(kind: string): Doc[] {
    return this.docs.filter((doc) => doc.kind === kind);
  }

  private find(kind: string, ns: string, objectName: string): Doc | undefined {
    return this.docs.find((doc) => doc.kind === kind && namespace(doc) === ns && doc.metadata?.name === objectName);
  }

  private checkDeployment(deployment: Doc): void {
    const selector = deployment.spec?.selector?.matchLabels;
    const labels = deployment.spec?.template?.metadata?.labels;
    if (!labelsMatch(selector, labels)) {
      this.out.push(`${name(deployment)}: selector ${show(selector)} does not match its pod template's labels ${show(labels)}`);
    }
    for (const container of containers(deployment)) {
      const env = this.env(deployment, container);
      const where = `${name(deployment)} container ${container.name}`;
      for (const variable of LISTEN_VARS) {
        const address = env[variable] === undefined ? null : parseAddress(env[variable]!);
        if (!address || !isWildcard(address.host) || address.port === 0) continue;
        if (containerPort(container, address.port) === undefined) {
          this.out.push(`${where}: ${variable} listens on port ${address.port}, which is no containerPort`);
        }
      }
      for (const variable of CLIENT_VARS) {
        const value = env[variable];
        const address = value === undefined ? null : parseAddress(value);
        if (address && !isWildcard(address.host)) this.checkReach(where, `${variable} ${value}`, variable, namespace(deployment), address);
      }
    }
  }

  /** The container's environment as the pod sees it: envFrom secrets, then env literals. */
  private env(deployment: Doc, container: Doc): Record<string, string> {
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      const secret = from.secretRef ? this.find('Secret', namespace(deployment), from.secretRef.name) : undefined;
      Object.assign(env, secret?.stringData ?? {});
      for (const [key, value] of Object.entries(secret?.data ?? {})) env[key] = Buffer.from(String(value), 'base64').toString();
    }
    for (const item of container.env ?? []) if (typeof item.value === 'string') env[item.name] = item.value;
    return env;
  }

  private checkService(service: Doc): void {
    const selector = service.spec?.selector;
    const selected = this.ofKind('Deployment').filter(
      (d) => namespace(d) === namespace(service) && labelsMatch(selector, d.spec?.template?.metadata?.labels),
    );
    if (selected.length === 0) {
      this.out.push(`${name(service)}: selector ${show(selector)} matches no Deployment's pods`);
      return;
    }
    for (const port of service.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      if (!selected.some((d) => containers(d).some((c) => containerPort(c, target) !== undefined))) {
        this.out.push(`${name(service)} port ${port.port}: target ${target} is no containerPort of ${selected.map(name).join(', ')}`);
      }
    }
  }

  /** The pod and container port a Service host name and port lead to, or why none. */
  private resolve(ns: string, host: string, port: number): Target | string {
    const [serviceName, serviceNs = ns, svc] = host.split('.');
    if (svc !== undefined && svc !== 'svc') return `host ${host} is not a Service name`;
    const service = this.find('Service', serviceNs, serviceName!);
    if (!service) return `no Service ${serviceName} in namespace ${serviceNs}`;
    const servicePort = (service.spec?.ports ?? []).find((p: Doc) => p.port === port);
    if (!servicePort) return `Service ${serviceName} has no port ${port}`;
    for (const deployment of this.ofKind('Deployment')) {
      if (namespace(deployment) !== serviceNs || !labelsMatch(service.spec?.selector, deployment.spec?.template?.metadata?.labels)) continue;
      for (const container of containers(deployment)) {
        const found = containerPort(container, servicePort.targetPort ?? servicePort.port);
        if (found !== undefined) return { deployment, container, containerPort: found };
      }
    }
    return `Service ${serviceName} port ${port} leads to no container port`;
  }

  /** `address` (named by `what`) reaches a container that, if it sets `variable` too, listens there. */
  private checkReach(where: string, what: string, variable: string, ns: string, address: { host: string; port: number }): Target | undefined {
    const target = this.resolve(ns, address.host, address.port);
    if (typeof target === 'string') {
      this.out.push(`${where}: ${what}: ${target}`);
      return undefined;
    }
    const listen = this.env(target.deployment, target.container)[variable];
    const listening = listen === undefined ? null : parseAddress(listen);
    if (listening && listening.port !== target.containerPort) {
      this.out.push(
        `${where}: ${what} reaches port ${target.containerPort} of ${name(target.deployment)}, where ${variable} listens on ${listening.port}`,
      );
    }
    return target;
  }

  private checkScaledObject(object: Doc): void {
    const where = name(object);
    const ref = object.spec?.scaleTargetRef ?? {};
    const workers = (ref.kind ?? 'Deployment') === 'Deployment' ? this.find('Deployment', namespace(object), ref.name) : undefined;
    if (!workers) this.out.push(`${where}: scaleTargetRef ${ref.kind ?? 'Deployment'} ${ref.name} is not among the manifests`);
    for (const container of workers ? containers(workers) : []) {
      const limit = Number(container.resources?.limits?.[GPU_RESOURCE] ?? 0);
      if (!(limit >= 1)) this.out.push(`${name(workers!)} container ${container.name}: no ${GPU_RESOURCE} limit (a worker trains on one GPU)`);
    }
    const triggers: Doc[] = object.spec?.triggers ?? [];
    if (triggers.length === 0) this.out.push(`${where}: no trigger`);
    for (const trigger of triggers) this.checkTrigger(object, trigger);
  }

  private checkTrigger(object: Doc, trigger: Doc): void {
    const where = `${name(object)} trigger ${trigger.type}`;
    const meta = trigger.metadata ?? {};
    if (trigger.type === 'prometheus') {
      if (!String(meta.query ?? '').includes(DEMAND_GAUGE)) this.out.push(`${where}: query does not read ${DEMAND_GAUGE}`);
      return;
    }
    if (trigger.type !== 'metrics-api') {
      this.out.push(`${where}: does not follow the coordinator's demand (metrics-api on ${SCALING_PATH} or prometheus on ${DEMAND_GAUGE})`);
      return;
    }
    const address = parseAddress(String(meta.url ?? ''));
    if (!address) {
      this.out.push(`${where}: url '${meta.url}' is not a URL`);
    } else {
      if (address.path !== SCALING_PATH) this.out.push(`${where}: url path ${address.path} is not the coordinator's ${SCALING_PATH}`);
      this.checkReach(where, `url ${meta.url}`, 'JVAE_HTTP', namespace(object), address);
    }
    if (meta.valueLocation !== SCALING_FIELD) {
      this.out.push(`${where}: valueLocation ${meta.valueLocation} is not ${SCALING_PATH}'s ${SCALING_FIELD}`);
    }
    if (meta.authMode === 'bearer') this.checkBearer(object, trigger);
  }

  /** The /api routes need JVAE_TOKEN: the trigger's TriggerAuthentication must pass it as `token`. */
  private checkBearer(object: Doc, trigger: Doc): void {
    const where = `${name(object)} trigger ${trigger.type}`;
    const refName = trigger.authenticationRef?.name;
    const auth = refName === undefined ? undefined : this.find('TriggerAuthentication', namespace(object), refName);
    if (!auth) {
      this.out.push(`${where}: authMode bearer, but TriggerAuthentication ${refName} is not among the manifests`);
      return;
    }
    const token = (auth.spec?.secretTargetRef ?? []).find((ref: Doc) => ref.parameter === 'token');
    if (!token) {
      this.out.push(`${name(auth)}: no secretTargetRef for parameter token`);
      return;
    }
    const secret = this.find('Secret', namespace(auth), token.name);
    if (secret && !(token.key in { ...secret.data, ...secret.stringData })) {
      this.out.push(`${name(auth)}: Secret ${token.name} has no key ${token.key}`);
    }
    if (token.key !== 'JVAE_TOKEN') this.out.push(`${name(auth)}: token comes from key ${token.key}, not the coordinator's JVAE_TOKEN`);
  }
}
