import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeProblems } from './compose-wiring.js';
import { schemaProblems } from './k8s-schema.js';
import { wiringProblems } from './k8s-wiring.js';
import { INFRA_DIR, readCompose, readManifests, type Manifest } from './manifest-files.js';

const manifests = readManifests();

function problems(set: readonly Manifest[]): string[] {
  return [...schemaProblems(set), ...wiringProblems(set)];
}

/** A deep copy of the manifests with `change` applied to the one of `kind` named `name`. */
function planted(kind: string, name: string, change: (doc: Record<string, any>) => void): Manifest[] {
  const copy = structuredClone(manifests);
  const target = copy.find(({ doc }) => doc.kind === kind && doc.metadata?.name === name);
  assert.ok(target, `${kind} ${name} is among the manifests`);
  change(target.doc);
  return copy;
}

function assertNamed(found: string[], ...fragments: string[]): void {
  assert.ok(
    found.some((line) => fragments.every((fragment) => line.includes(fragment))),
    `expected a problem naming ${fragments.join(' + ')}; got:\n${found.join('\n') || '(none)'}`,
  );
}

describe('infra/k8s', () => {
  it('holds every kind it applies, each valid against the Kubernetes or KEDA schema and wired together', () => {
    const kinds = new Set(manifests.map(({ doc }) => doc.kind));
    for (const kind of ['Namespace', 'Secret', 'Deployment', 'Service', 'ScaledObject', 'TriggerAuthentication']) assert.ok(kinds.has(kind), kind);
    assert.deepEqual(problems(manifests), []);
  });

  it('scales the workers on the coordinator\'s desiredWorkers with the API token', () => {
    const scaled = manifests.find(({ doc }) => doc.kind === 'ScaledObject')!.doc;
    const [trigger] = scaled.spec.triggers;
    assert.equal(trigger.type, 'metrics-api');
    assert.equal(new URL(trigger.metadata.url).pathname, '/api/scaling');
    assert.equal(trigger.metadata.valueLocation, 'desiredWorkers');
    assert.equal(trigger.metadata.authMode, 'bearer');
  });

  it('drains workers with the hook this package holds, within their grace period', () => {
    const pod = manifests.find(({ doc }) => doc.kind === 'Deployment' && doc.metadata.name === 'jvae-worker')!.doc.spec.template.spec;
    const [hook] = pod.containers[0].lifecycle.preStop.exec.command.slice(-1)[0].match(/infra\/src\/\S+\.ts/);
    assert.ok(existsSync(join(INFRA_DIR, '..', hook)), `${hook} exists`);
    const maxS = Number(pod.containers[0].env.find((e: { name: string }) => e.name === 'JVAE_DRAIN_MAX_S').value);
    assert.ok(maxS < pod.terminationGracePeriodSeconds, 'the drain ends before the grace period does');
  });

  it('fails a manifest its schema rejects, naming it and the field', () => {
    const found = schemaProblems(planted('Deployment', 'jvae-worker', (doc) => (doc.spec.replicas = 'two')));
    assertNamed(found, 'worker.yaml#0', 'Deployment jvae-worker', 'replicas');
  });

  it('fails a ScaledObject whose trigger KEDA\'s schema rejects', () => {
    const found = schemaProblems(planted('ScaledObject', 'jvae-worker', (doc) => delete doc.spec.triggers[0].type));
    assertNamed(found, 'ScaledObject jvae-worker', 'type');
  });

  it('fails a kind it has no schema for', () => {
    const found = schemaProblems(planted('Service', 'jvae-redis', (doc) => (doc.apiVersion = 'v2')));
    assertNamed(found, 'no schema for v2/Service');
  });

  it('fails a selector that misses the pod template, naming the Deployment and the labels', () => {
    const found = wiringProblems(planted('Deployment', 'jvae-worker', (doc) => (doc.spec.selector.matchLabels.app = 'jvae-wroker')));
    assertNamed(found, 'Deployment jvae-worker', 'app=jvae-wroker', 'app=jvae-worker');
  });

  it('fails a worker container without a GPU limit', () => {
    const found = wiringProblems(planted('Deployment', 'jvae-worker', (doc) => delete doc.spec.template.spec.containers[0].resources));
    assertNamed(found, 'Deployment jvae-worker container worker', 'nvidia.com/gpu');
  });

  it('fails a Service whose selector or target port finds no pod', () => {
    assertNamed(
      wiringProblems(planted('Service', 'jvae-coordinator', (doc) => (doc.spec.selector.app = 'nobody'))),
      'Service jvae-coordinator',
      'app=nobody',
    );
    assertNamed(
      wiringProblems(planted('Service', 'jvae-coordinator', (doc) => (doc.spec.ports[1].targetPort = 'htp'))),
      'Service jvae-coordinator port 8080',
      'htp',
    );
  });

  it('fails a coordinator listening on a port that neither its container nor the workers use', () => {
    const found = wiringProblems(
      planted('Deployment', 'jvae-coordinator', (doc) => {
        doc.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'JVAE_COORDINATOR').value = '0.0.0.0:50052';
      }),
    );
    assertNamed(found, 'container coordinator', 'JVAE_COORDINATOR listens on port 50052');
    assertNamed(found, 'container worker', 'JVAE_COORDINATOR jvae-coordinator:50051', 'listens on 50052');
  });

  it('fails a worker pointed at a Service that is not there', () => {
    const found = wiringProblems(
      planted('Deployment', 'jvae-worker', (doc) => {
        doc.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'JVAE_COORDINATOR').value = 'coordinator:50051';
      }),
    );
    assertNamed(found, 'container worker', 'no Service coordinator');
  });

  it('fails a trigger that reads another path or field, or scales on the BullMQ list', () => {
    const wrongPath = planted('ScaledObject', 'jvae-worker', (doc) => {
      doc.spec.triggers[0].metadata.url = 'http://jvae-coordinator.jvae.svc:8080/api/workers';
      doc.spec.triggers[0].metadata.valueLocation = 'queuedRanks';
    });
    assertNamed(wiringProblems(wrongPath), 'trigger metrics-api', 'path /api/workers');
    assertNamed(wiringProblems(wrongPath), 'trigger metrics-api', 'valueLocation queuedRanks');
    const wrongPort = planted('ScaledObject', 'jvae-worker', (doc) => (doc.spec.triggers[0].metadata.url = 'http://jvae-coordinator.jvae.svc:50051/api/scaling'));
    assertNamed(wiringProblems(wrongPort), 'url http://jvae-coordinator.jvae.svc:50051/api/scaling', 'JVAE_HTTP listens on 8080');
    const redis = planted('ScaledObject', 'jvae-worker', (doc) => {
      doc.spec.triggers = [{ type: 'redis', metadata: { address: 'jvae-redis.jvae.svc:6379', listName: 'jvae:bull:trials:wait' } }];
    });
    assertNamed(wiringProblems(redis), 'trigger redis', "does not follow the coordinator's demand");
  });

  it('fails a bearer trigger whose token does not come from JVAE_TOKEN', () => {
    const found = wiringProblems(planted('TriggerAuthentication', 'jvae-coordinator', (doc) => (doc.spec.secretTargetRef[0].key = 'TOKEN')));
    assertNamed(found, 'TriggerAuthentication jvae-coordinator', 'Secret jvae has no key TOKEN');
  });
});

describe('infra/compose.yaml', () => {
  const compose = readCompose();

  it('runs Redis, the coordinator and GPU workers that reach them', () => {
    assert.ok(compose.services['worker-0'] && compose.services['worker-1']);
    assert.deepEqual(composeProblems(compose), []);
  });

  it('fails a worker without a GPU reservation, or two on one GPU', () => {
    const copy = structuredClone(compose);
    delete copy.services['worker-0'].deploy;
    assertNamed(composeProblems(copy), 'compose service worker-0', 'no GPU reservation');
    const shared = structuredClone(compose);
    shared.services['worker-1'].deploy.resources.reservations.devices[0].device_ids = ['0'];
    assertNamed(composeProblems(shared), 'compose service worker-1', 'GPU 0 is already reserved by worker-0');
  });

  it('fails ports and addresses that disagree', () => {
    const copy = structuredClone(compose);
    copy.services.coordinator.environment.JVAE_HTTP = '0.0.0.0:9090';
    copy.services['worker-1'].environment.JVAE_COORDINATOR = 'coordinator:50052';
    copy.services.redis.command = ['redis-server'];
    const found = composeProblems(copy);
    assertNamed(found, 'coordinator', 'JVAE_HTTP listens on 9090, which it does not publish');
    assertNamed(found, 'worker-1', "JVAE_COORDINATOR 'coordinator:50052'");
    assertNamed(found, 'redis', '--appendonly yes');
  });
});
