// Sweep scheduling benchmark: a sweep of one-step trials through a coordinator and worker
// processes on loopback, against an empty BullMQ job on the same Redis as the baseline.
//
//   npm run bench:sweep [-- --trials 200 --workers 2 --json]
//
// A one-step trial still does what every trial does at its end: a final evaluation on the
// validation set and a final checkpoint written, uploaded and verified. So besides the total
// (trials/s, time per trial split at the final evaluation) it reports the scheduling overhead
// alone: the gap on one worker between one trial reaching its final state and the next
// trial starting (BullMQ hand-off, store reads, the transition to running), compared with the
// same gap between two empty BullMQ jobs. Queue-to-start (queuedAt → startedAt) is printed as
// well; with a backlog it is mostly the wait behind earlier trials, so it is also given for
// each worker's first trial, taken by an idle worker.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix } from '@jvae/protocol';
import type { TrialRecord } from '@jvae/store';
import { Cluster, REDIS_URL } from '@jvae/e2e/harness';

const GOAL_P99_MS = 50;
const BASELINE_QUEUE = 'bench-baseline';

interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { count: sorted.length, p50: at(50), p99: at(99), max: sorted.at(-1) ?? NaN };
}

function readOptions(): { trials: number; workers: number; json: boolean } {
  const { values } = parseArgs({
    options: { trials: { type: 'string', default: '200' }, workers: { type: 'string', default: '2' }, json: { type: 'boolean', default: false } },
  });
  const positive = (name: string, raw: string) => {
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name}: expected a positive integer, got '${raw}'`);
    return value;
  };
  return { trials: positive('trials', values.trials!), workers: positive('workers', values.workers!), json: values.json! };
}

/**
 * The empty-job baseline on the cluster's Redis: `count` no-op jobs queued at once and taken
 * by one worker (concurrency 1, like a trial worker); the gap between one job's end and the
 * next one's start, and each job's add → start latency with an idle worker.
 */
async function bullBaseline(cluster: Cluster, count: number): Promise<{ handoff: Distribution; idlePickup: Distribution }> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = bullPrefix(cluster.prefix);
  const queue = new Queue(BASELINE_QUEUE, { connection, prefix });
  // Sub-millisecond clock: an empty job's hand-off is a few milliseconds.
  const now = () => performance.timeOrigin + performance.now();
  const starts: number[] = [];
  const ends: number[] = [];
  let onJob: (() => void) | undefined;
  const worker = new Worker(
    BASELINE_QUEUE,
    async () => {
      starts.push(now());
      ends.push(now());
      onJob?.();
    },
    { connection, prefix, concurrency: 1 },
  );
  try {
    await worker.waitUntilReady();
    // Idle pickup: one job at a time, the worker waiting for it.
    const idlePickup: number[] = [];
    for (let i = 0; i < 50; i++) {
      const done = new Promise<void>((resolve) => (onJob = resolve));
      const added = now();
      await queue.add('empty', {}, { removeOnComplete: true });
      await done;
      idlePickup.push(starts.at(-1)! - added);
    }
    // Hand-off: a backlog taken one after another.
    starts.length = 0;
    ends.length = 0;
    await worker.pause(true);
    await queue.addBulk(Array.from({ length: count }, () => ({ name: 'empty', data: {}, opts: { removeOnComplete: true } })));
    const drained = new Promise<void>((resolve) => (onJob = () => starts.length === count && resolve()));
    worker.resume();
    await drained;
    const handoff = starts.slice(1).map((start, i) => start - ends[i]!);
    return { handoff: distribution(handoff), idlePickup: distribution(idlePickup) };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

/** Each worker's trials in the order it started them, from its log. */
function trialsByWorker(cluster: Cluster): string[][] {
  return cluster.workers.map((worker) => [...worker.output.matchAll(/trial (\S+): running \(attempt \d+\)/g)].map((m) => m[1]!));
}

async function main(): Promise<void> {
  const options = readOptions();
  const cluster = await Cluster.start({ workers: options.workers });
  try {
    const baseline = await bullBaseline(cluster, options.trials);

    const spec = {
      ...cluster.spec({
        name: 'bench-sweep',
        train: { steps: 1, batchSize: 8, evalEvery: 0, checkpointEvery: 0 },
        parameters: { lr: { distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 } },
      }),
      method: 'random',
      run_cap: options.trials,
    };
    const submitted = Date.now();
    const sweepId = await cluster.submit(spec);
    const trials = await cluster.waitForSweepEnd(sweepId, 30 * 60_000);
    const failed = trials.filter((t) => t.state !== 'completed');
    if (failed.length > 0) throw new Error(`${failed.length} trial(s) did not complete, e.g. ${failed[0]!.id}: ${failed[0]!.state} ${failed[0]!.error ?? ''}`);

    const byId = new Map<string, TrialRecord>(trials.map((t) => [t.id, t]));
    const evalTimes = new Map<string, number>();
    for (const trial of trials) evalTimes.set(trial.id, (await cluster.store.getMetrics(trial.id)).at(-1)?.time ?? NaN);
    const handoff: number[] = [];
    const idlePickup: number[] = [];
    for (const sequence of trialsByWorker(cluster)) {
      const first = byId.get(sequence[0]!);
      if (first) idlePickup.push(first.startedAt - first.createdAt);
      for (let i = 1; i < sequence.length; i++) handoff.push(byId.get(sequence[i]!)!.startedAt - byId.get(sequence[i - 1]!)!.finishedAt);
    }
    const firstStart = Math.min(...trials.map((t) => t.startedAt));
    const lastFinish = Math.max(...trials.map((t) => t.finishedAt));
    const overhead = distribution(handoff);
    const result = {
      trials: trials.length,
      workers: options.workers,
      backend: 'wasm, 1 thread per worker',
      trialsPerSecond: trials.length / ((lastFinish - submitted) / 1000),
      wallSeconds: (lastFinish - submitted) / 1000,
      submitToFirstStartMs: firstStart - submitted,
      trialMs: distribution(trials.map((t) => t.finishedAt - t.startedAt)),
      startToFinalEvalMs: distribution(trials.map((t) => evalTimes.get(t.id)! - t.startedAt)),
      finalEvalToFinishMs: distribution(trials.map((t) => t.finishedAt - evalTimes.get(t.id)!)),
      queueToStartMs: distribution(trials.map((t) => t.startedAt - t.createdAt)),
      idleQueueToStartMs: distribution(idlePickup),
      schedulingOverheadMs: overhead,
      baseline: { bullHandoffMs: baseline.handoff, bullIdlePickupMs: baseline.idlePickup },
      ratios: {
        overheadP50VsBullHandoffP50: overhead.p50 / baseline.handoff.p50,
        overheadP99VsBullHandoffP99: overhead.p99 / baseline.handoff.p99,
      },
      goal: { p99OverheadBelowMs: GOAL_P99_MS, met: overhead.p99 < GOAL_P99_MS },
    };
    if (options.json) {
      console.log(JSON.stringify(result));
      return;
    }
    const ms = (d: Distribution) => `p50 ${d.p50.toFixed(1)} ms, p99 ${d.p99.toFixed(1)} ms, max ${d.max.toFixed(1)} ms (n=${d.count})`;
    const times = (x: number) => `${x.toFixed(1)}×`;
    console.log(
      [
        `sweep bench: ${result.trials} one-step trials through ${result.workers} workers (${result.backend})`,
        `throughput:            ${result.trialsPerSecond.toFixed(2)} trials/s (${result.wallSeconds.toFixed(1)} s from submit to the last trial's end)`,
        `trial, start → end:    ${ms(result.trialMs)}`,
        `  start → final eval:  ${ms(result.startToFinalEvalMs)}  (model build, 1 step, evaluation)`,
        `  final eval → end:    ${ms(result.finalEvalToFinishMs)}  (final checkpoint written, uploaded, verified)`,
        `queue → start:         ${ms(result.queueToStartMs)}  (mostly waiting behind the backlog)`,
        `  with a worker idle:  ${ms(result.idleQueueToStartMs)}  (each worker's first trial)`,
        `scheduling overhead:   ${ms(overhead)}  (one worker: a trial's end → its next trial's start)`,
        `baseline, same Redis:  empty BullMQ job hand-off ${ms(baseline.handoff)}`,
        `                       empty BullMQ job add → start (idle worker) ${ms(baseline.idlePickup)}`,
        `ratio to baseline:     p50 ${times(result.ratios.overheadP50VsBullHandoffP50)}, p99 ${times(result.ratios.overheadP99VsBullHandoffP99)}`,
        `goal p99 overhead < ${GOAL_P99_MS} ms: ${result.goal.met ? 'met' : 'NOT met'}`,
      ].join('\n'),
    );
  } finally {
    await cluster.close();
  }
}

main().catch((error: unknown) => {
  console.error(`sweep bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
