/**
 * `jvae demo`: the whole system on this machine in one command: a local pool,
 * the example sweep run live to its end, the ranking, and the best checkpoint
 * fetched; then everything is stopped.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CoordinatorConnection } from '@jvae/protocol';
import type { Command } from '../command.js';
import type { LocalCluster } from '../local-cluster.js';
import { integerFlag, stringFlag } from '../flags.js';
import { DEFAULT_LOCAL_WORKERS } from './up.js';

const EXAMPLE_SPEC = fileURLToPath(new URL('../../../../examples/sweeps/mnist-capacity.yaml', import.meta.url));
/** Its own key prefix, so a demo never mixes with the sweeps or workers of a `jvae up` on the same Redis. */
export const DEMO_PREFIX = 'jvae-demo';

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'Run the example sweep end to end on a local pool and fetch the best checkpoint',
  details: [
    'Starts Redis (reused or spawned, as jvae up does), the coordinator and 2 workers; submits',
    'examples/sweeps/mnist-capacity.yaml, shows its progress live, prints the ranking, downloads the best',
    "trial's checkpoint (verified), draws its latent traversals to a PNG beside it (DIR-traversals.png) and",
    'stops everything. Ctrl-C cancels the sweep and stops everything too.',
    `Keys go under JVAE_PREFIX if set, else '${DEMO_PREFIX}'. The coordinator listens on JVAE_COORDINATOR /`,
    'JVAE_HTTP (default 127.0.0.1:50051 / 127.0.0.1:8080), or on free ports when those are taken.',
  ].join('\n'),
  options: {
    workers: { type: 'string', valueName: 'N', description: `Local worker processes (default ${DEFAULT_LOCAL_WORKERS})` },
    spec: { type: 'string', valueName: 'FILE', description: 'Sweep spec to run instead of the example' },
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'Where to put the best checkpoint (default ./checkpoints/best)' },
  },
  async run(input) {
    const workers = integerFlag(input, 'workers', 1) ?? DEFAULT_LOCAL_WORKERS;
    const specFile = stringFlag(input, 'spec') ?? EXAMPLE_SPEC;
    const out = stringFlag(input, 'out') ?? 'checkpoints/best';
    const spec = await readFile(specFile, 'utf8').catch((err: Error) => {
      throw new Error(`cannot read the sweep spec ${specFile}: ${err.message}`);
    });
    const [protocol, local, { Interrupts }, format, watch, { fetchCheckpoint }, { explainCallError }, { writeTraversalImage }] = await Promise.all([
      import('@jvae/protocol'),
      import('../local-cluster.js'),
      import('../interrupts.js'),
      import('../format.js'),
      import('../sweep-watch.js'),
      import('../checkpoint-download.js'),
      import('../coordinator-session.js'),
      import('../traversal-image-file.js'),
    ]);
    const config = protocol.loadConfig();
    const prefix = protocol.envValue(process.env, 'JVAE_PREFIX') ?? DEMO_PREFIX;
    const freeOr = async (address: string) => ((await local.isFree(address)) ? address : '127.0.0.1:0');
    const log = (line: string) => console.error(`[demo] ${line}`);
    const interrupts = new Interrupts(log);
    let cluster: LocalCluster | null = null;
    let connection: CoordinatorConnection | null = null;
    try {
      cluster = await local.LocalCluster.start({
        workers,
        grpc: await freeOr(config.coordinator),
        http: await freeOr(config.http),
        prefix,
        redisUrl: protocol.envValue(process.env, 'REDIS_URL'),
        log,
      });
      console.log(
        [
          `jvae demo: coordinator ${cluster.grpcAddress}, ${workers} worker(s), Redis prefix '${prefix}'`,
          `  dashboard: ${format.httpUrl(cluster.httpAddress)}  (queues: ${format.httpUrl(cluster.httpAddress, '/queues')})`,
          `  other shells: JVAE_COORDINATOR=${cluster.grpcAddress} jvae sweep list`,
        ].join('\n'),
      );
      if (interrupts.signal.aborted) return 130;
      const client = protocol.coordinatorClient(cluster.grpcAddress, { token: config.token, tls: config.tls });
      connection = client;
      if (prefix === DEMO_PREFIX) await cancelLeftovers(client, log);

      const submitted = await client.submitSweep({ spec });
      console.log(`submitted sweep ${submitted.id} (${submitted.trialCount} trials) from ${specFile}`);
      // Plain lines rather than redrawn bars: the local workers write their logs to this terminal too.
      const sweep = await watch.followSweep(client, submitted.id, { out: process.stdout, live: false, signal: interrupts.signal });
      if (interrupts.signal.aborted) {
        const cancelled = await client.cancelSweep({ id: submitted.id });
        log(`sweep ${submitted.id} cancelled (${cancelled.cancelledTrials} trial(s) stopped)`);
        return 130;
      }
      console.log(watch.rankingReport(sweep));
      const best = await client.bestTrial({ sweepId: submitted.id });
      const trial = best.trial!;
      console.log(
        `\nbest trial: ${trial.id} with ${best.metric} ${format.formatMetricValue(trial.metric)} ` +
          `(${format.formatParams(format.parseParams(trial.paramsJson))})`,
      );
      if (!best.checkpoint) {
        console.log('it has no checkpoint to fetch');
        return 1;
      }
      const saved = await fetchCheckpoint(client, { checkpointId: best.checkpoint.id }, out);
      const image = traversalImagePath(out);
      await writeTraversalImage(saved.dir, image);
      console.log(
        [
          `checkpoint: ${saved.dir} (step ${saved.checkpoint.step}, SHA-256 verified)`,
          `latent traversals: ${image} (a row per latent, decoded from the checkpoint)`,
          `evaluate it with: jvae eval ${out}`,
        ].join('\n'),
      );
      return watch.sweepExitCode(sweep);
    } catch (err) {
      throw cluster ? explainCallError(err, cluster.grpcAddress) : err;
    } finally {
      connection?.close();
      if (cluster) {
        log('stopping the workers, the coordinator and Redis');
        await cluster.stop();
      }
      interrupts.dispose();
    }
  },
};

/** The PNG beside a checkpoint directory: checkpoints/best -> checkpoints/best-traversals.png. */
export function traversalImagePath(checkpointDir: string): string {
  return `${checkpointDir.replace(/[\\/]+$/, '')}-traversals.png`;
}

/** Cancels sweeps an interrupted earlier demo left running, so the workers do not pick up its trials. */
async function cancelLeftovers(connection: CoordinatorConnection, log: (line: string) => void): Promise<void> {
  const { sweeps } = await connection.listSweeps({ limit: 0 });
  for (const sweep of sweeps.filter((s) => s.state === 'RUNNING')) {
    await connection.cancelSweep({ id: sweep.id });
    log(`cancelled sweep ${sweep.id}, left unfinished by an earlier demo`);
  }
}
