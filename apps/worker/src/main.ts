// The worker process: `node --import tsx apps/worker/src/main.ts`. Settings come from the
// environment (see WorkerSettings and loadConfig). The first SIGTERM or SIGINT, even one that
// arrives while starting, stops it gracefully and it exits 0; a second one kills it.
import { ignoreBrokenPipes } from '@jvae/orchestration';
import { loadConfig } from '@jvae/protocol';
import { TrialWorker } from './trial-worker.js';
import { readWorkerSettings } from './worker-settings.js';

let worker: TrialWorker | undefined;
let stopRequested = false;

function stop(running: TrialWorker): void {
  running.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`[worker ${running.id}] failed to stop cleanly:`, err);
      process.exit(1);
    },
  );
}

function onSignal(): void {
  if (worker) stop(worker);
  else stopRequested = true;
}

ignoreBrokenPipes();
process.once('SIGTERM', onSignal);
process.once('SIGINT', onSignal);
try {
  worker = await TrialWorker.start({ config: loadConfig(), settings: readWorkerSettings() });
  if (stopRequested) stop(worker);
} catch (err) {
  console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
