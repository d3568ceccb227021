#!/usr/bin/env node
// The coordinator process: `jvae-coordinator [--workers N]`.
// Prints `coordinator listening grpc=HOST:PORT http=HOST:PORT` on stdout once serving.
import { parseArgs } from 'node:util';
import { coordinatorReadyLine, ignoreBrokenPipes } from '@jvae/orchestration';
import { ConfigError } from '@jvae/protocol';
import { startCoordinator } from './coordinator.js';

const USAGE = `usage: coordinator [--workers N]

  --workers N   run N local worker processes (and allow ScaleWorkers); without it,
                workers are started elsewhere (e.g. scaled by KEDA)

Environment: REDIS_URL, JVAE_PREFIX, JVAE_COORDINATOR (gRPC host:port, default 127.0.0.1:50051),
JVAE_HTTP (default 127.0.0.1:8080), JVAE_TOKEN, JVAE_ARTIFACTS (default ./.jvae/artifacts),
JVAE_BACKEND (for local workers and the dashboard's latent traversals),
JVAE_TLS_CERT / JVAE_TLS_KEY / JVAE_TLS_CA, JVAE_MAX_WATCHES (WatchSweep streams served at once, default 64).`;

function readWorkers(): number | undefined {
  const { values } = parseArgs({ options: { workers: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.workers === undefined) return undefined;
  const count = Number(values.workers);
  if (!/^\d+$/.test(values.workers) || !Number.isSafeInteger(count)) {
    throw new ConfigError('--workers', `expected a non-negative integer, got '${values.workers}'`);
  }
  return count;
}

async function main(): Promise<void> {
  ignoreBrokenPipes();
  const coordinator = await startCoordinator({ workers: readWorkers() });
  console.log(coordinatorReadyLine(coordinator.grpcAddress, coordinator.httpAddress));
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) {
      process.stderr.write(`[coordinator] ${why} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`[coordinator] ${why}: stopping workers and servers\n`);
    coordinator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[coordinator] shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Started with an IPC channel (CoordinatorProcess): the channel closes when the parent dies.
  if (process.channel) process.once('disconnect', () => stop('parent gone'));
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof RangeError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
  process.stderr.write(`coordinator: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`);
  if (known) process.stderr.write(`${USAGE}\n`);
  process.exit(2);
});
