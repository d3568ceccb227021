// The worker pod's preStop hook (infra/k8s/worker.yaml): `node --import tsx infra/src/drain-worker.ts`.
// Kubernetes sends SIGTERM only once it exits, so a busy worker trains on until its trial's next
// checkpoint is stored (at most JVAE_DRAIN_MAX_S, default 900 s, under the pod's grace period).
// It exits 0 whatever happens: a failing hook must not keep the pod from stopping.
import { Redis } from 'ioredis';
import { envInteger, envValue, loadConfig } from '@jvae/protocol';
import { SweepStore, WorkerRegistry } from '@jvae/store';
import { drainWorker } from './worker-drain.js';

const POLL_MS = 2000;

try {
  const config = loadConfig();
  const workerId = envValue(process.env, 'JVAE_WORKER_ID');
  if (workerId === undefined) throw new Error('JVAE_WORKER_ID is unset: the hook cannot find this worker in the registry');
  const maxMs = (envInteger(process.env, 'JVAE_DRAIN_MAX_S', 0) ?? 900) * 1000;
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  try {
    const result = await drainWorker(new WorkerRegistry(redis, config.prefix), new SweepStore(redis, config.prefix), workerId, {
      maxMs,
      pollMs: POLL_MS,
    });
    const steps = result.trialId ? ` (trial ${result.trialId}, checkpoint step ${result.fromStep} → ${result.toStep})` : '';
    console.log(`drain ${workerId}: ${result.outcome}${steps}`);
  } finally {
    redis.disconnect();
  }
} catch (err) {
  console.error(`drain: ${err instanceof Error ? err.message : String(err)}`);
}
