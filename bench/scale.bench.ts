// Scale benchmark: the Redis work of a sweep per trial, and the time of its calls, as sweeps
// grow from 100 to 10,000 trials. A redis-server of its own (so INFO commandstats counts only
// this run's commands) and a real coordinator process with no workers; for each size a sweep
// is submitted, its first page read (GetSweep, limit 50) and cancelled, its trials never run.
// Then a sweep of one-step trials runs to completion on two worker processes.
//
//   npm run bench:scale [-- --sizes 100,1000,10000 --json]
//
// A phase's commands are all the commands Redis ran from its start until Redis went quiet
// again (nothing but the coordinator's idle polling for a second), so work a call leaves to
// the background counts too; its seconds are the call's alone. The coordinator also checks
// the queue against the store every 30 s (its Reconciler), reading every trial of an
// unfinished sweep: for each size that pass is measured on its own ("reconcile", its seconds
// the pass's), and the other phases are started just after a pass so that none falls into
// them (a row that still took one in says so).
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { coordinatorClient, keys, type CoordinatorConnection } from '@jvae/protocol';
import { LocalRedis } from '@jvae/store';
import { Cluster } from '@jvae/e2e/harness';
import { CommandStats, callsBetween, totalCalls, type CommandCalls } from './command-stats.js';

/** The coordinator's default reconcile interval (apps/coordinator/src/coordinator.ts). */
const RECONCILE_MS = 30_000;
/** Nothing listens on port 1 of loopback: LocalRedis then starts a redis-server of its own. */
const NO_REDIS = 'redis://127.0.0.1:1';
const FIRST_PAGE = 50;
const RUN_TRIALS = 100;
const RUN_WORKERS = 2;
const GOAL_FLAT = 1.5;
const GOAL_CANCEL_SECONDS = 10;
/** Quiet: at most this many commands in each of QUIET_SAMPLES samples SAMPLE_MS apart. */
const QUIET_COMMANDS = 5;
const QUIET_SAMPLES = 4;
const SAMPLE_MS = 250;
const SETTLE_TIMEOUT_MS = 5 * 60_000;
const TOP = 5;

type Phase = 'submit' | 'getSweep' | 'reconcile' | 'cancel' | 'run';

interface Result {
  phase: Phase;
  trials: number;
  seconds: number;
  commands: number;
  commandsPerTrial: number;
  /** The most called commands, most first. */
  top: { command: string; calls: number }[];
  /** A reconcile pass fell within this phase (its commands are in `commands`). */
  includesReconcile?: boolean;
}

function readOptions(): { sizes: number[]; json: boolean } {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1000,10000' }, json: { type: 'boolean', default: false } } });
  const sizes = values.sizes!.split(',').map((part) => {
    const value = Number(part);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--sizes: expected positive integers, got '${values.sizes}'`);
    return value;
  });
  return { sizes, json: values.json! };
}

class ScaleBench {
  readonly results: Result[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly coordinator: CoordinatorConnection,
    private readonly redis: Redis,
    private readonly stats: CommandStats,
    /** When the coordinator was ready; its reconcile passes start RECONCILE_MS apart from about then. */
    private readonly readyAt: number,
  ) {}

  /** Submit, first page, one reconcile pass and cancel of a sweep of `trials` trials that never run. */
  async sweepOf(trials: number): Promise<void> {
    await this.pastNextReconcile();
    let sweepId = '';
    await this.measure('submit', trials, async () => {
      sweepId = (await this.coordinator.submitSweep({ spec: this.spec(trials) })).id;
    });
    await this.measure('getSweep', trials, async () => {
      const sweep = await this.coordinator.getSweep({ id: sweepId, limit: FIRST_PAGE, offset: 0 });
      if (sweep.trials.length !== Math.min(FIRST_PAGE, trials) || sweep.totalTrials !== trials) {
        throw new Error(`GetSweep returned ${sweep.trials.length} trials of ${sweep.totalTrials}, expected ${Math.min(FIRST_PAGE, trials)} of ${trials}`);
      }
    });
    await this.reconcilePass(trials);
    await this.measure('cancel', trials, async () => {
      const { cancelledTrials } = await this.coordinator.cancelSweep({ id: sweepId });
      if (cancelledTrials !== trials) throw new Error(`CancelSweep cancelled ${cancelledTrials} trials, expected ${trials}`);
    });
  }

  /** A sweep of one-step trials run to completion by `workers` worker processes started for it. */
  async run(trials: number, workers: number): Promise<void> {
    await Promise.all(Array.from({ length: workers }, (_, i) => this.cluster.startWorker(`w${i + 1}`)));
    await this.settle();
    let sweepId = '';
    await this.measure('run', trials, async () => {
      sweepId = (await this.coordinator.submitSweep({ spec: this.spec(trials) })).id;
      const sweepKey = keys(this.cluster.prefix).sweep(sweepId);
      for (;;) {
        this.stats.own('hget');
        if (Number(await this.redis.hget(sweepKey, 'finishedAt')) > 0) return;
        await sleep(SAMPLE_MS);
      }
    });
    const failed = (await this.cluster.store.getTrials(sweepId)).filter((t) => t.state !== 'completed');
    if (failed.length > 0) throw new Error(`${failed.length} trial(s) did not complete, e.g. ${failed[0]!.id}: ${failed[0]!.state} ${failed[0]!.error ?? ''}`);
  }

  private spec(trials: number): string {
    return JSON.stringify({
      ...this.cluster.spec({
        name: `bench-scale-${trials}`,
        train: { steps: 1, batchSize: 8, evalEvery: 0, checkpointEvery: 0 },
        parameters: { lr: { distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 } },
      }),
      method: 'random',
      run_cap: trials,
    });
  }

  /** Runs `action`, then waits until Redis is quiet, and records what Redis ran meanwhile. */
  private async measure(phase: Phase, trials: number, action: () => Promise<void>): Promise<void> {
    const before = await this.stats.snapshot();
    const startedAt = Date.now();
    const start = performance.now();
    await action();
    const seconds = (performance.now() - start) / 1000;
    const result = this.record(phase, trials, seconds, callsBetween(before, await this.settle()));
    if (this.reconcileBetween(startedAt, Date.now())) result.includesReconcile = true;
  }

  /** The coordinator's next reconcile pass, from a second before it until Redis is quiet; its seconds are the pass's. */
  private async reconcilePass(trials: number): Promise<void> {
    const next = this.nextReconcile();
    const passAt = next - Date.now() < 1500 ? next + RECONCILE_MS : next;
    await sleep(passAt - 1000 - Date.now());
    const before = await this.stats.snapshot();
    await sleep(passAt - Date.now());
    const after = await this.settle();
    const seconds = (Date.now() - QUIET_SAMPLES * SAMPLE_MS - passAt) / 1000;
    this.record('reconcile', trials, seconds, callsBetween(before, after));
  }

  private record(phase: Phase, trials: number, seconds: number, calls: CommandCalls): Result {
    const commands = totalCalls(calls);
    const result: Result = { phase, trials, seconds, commands, commandsPerTrial: commands / trials, top: top(calls) };
    this.results.push(result);
    return result;
  }

  /** The snapshot once QUIET_SAMPLES samples in a row saw at most QUIET_COMMANDS commands each. */
  private async settle(): Promise<CommandCalls> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let last = await this.stats.snapshot();
    for (let quiet = 0; quiet < QUIET_SAMPLES; ) {
      if (Date.now() > deadline) throw new Error(`Redis did not go quiet within ${SETTLE_TIMEOUT_MS / 1000} s`);
      await sleep(SAMPLE_MS);
      const next = await this.stats.snapshot();
      quiet = totalCalls(callsBetween(last, next)) <= QUIET_COMMANDS ? quiet + 1 : 0;
      last = next;
    }
    return last;
  }

  /** Waits until the coordinator's next reconcile pass has started and Redis is quiet again. */
  private async pastNextReconcile(): Promise<void> {
    // The timer starts shortly before the ready line; half a second covers the difference.
    await sleep(this.nextReconcile() + 500 - Date.now());
    await this.settle();
  }

  /** When the next reconcile pass starts (epoch ms). */
  private nextReconcile(): number {
    return this.readyAt + (Math.floor((Date.now() - this.readyAt) / RECONCILE_MS) + 1) * RECONCILE_MS;
  }

  private reconcileBetween(from: number, to: number): boolean {
    return Math.floor((to - this.readyAt) / RECONCILE_MS) > Math.floor((from - this.readyAt) / RECONCILE_MS);
  }
}

function top(calls: CommandCalls): Result['top'] {
  return [...calls]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([command, count]) => ({ command, calls: count }));
}

function ratios(results: Result[], sizes: number[]) {
  const smallest = Math.min(...sizes);
  const largest = Math.max(...sizes);
  const row = (phase: Phase, trials: number) => results.find((r) => r.phase === phase && r.trials === trials)!;
  const perTrial = Object.fromEntries(
    (['submit', 'getSweep', 'reconcile', 'cancel'] as const).map((phase) => [phase, row(phase, largest).commandsPerTrial / row(phase, smallest).commandsPerTrial]),
  ) as Record<'submit' | 'getSweep' | 'reconcile' | 'cancel', number>;
  const cancelSeconds = row('cancel', largest).seconds;
  return {
    ratios: { of: `commands per trial at ${largest} / at ${smallest} trials`, ...perTrial, cancelSecondsAt: { trials: largest, seconds: cancelSeconds } },
    goals: {
      commandsPerTrialFlatWithin: GOAL_FLAT,
      flat: Object.fromEntries(Object.entries(perTrial).map(([phase, ratio]) => [phase, ratio <= GOAL_FLAT])),
      cancelBelowSeconds: GOAL_CANCEL_SECONDS,
      cancelMet: cancelSeconds < GOAL_CANCEL_SECONDS,
    },
  };
}

function print(results: Result[], summary: ReturnType<typeof ratios>): void {
  const rows = results.map((r) =>
    [
      r.phase.padEnd(9),
      String(r.trials).padStart(6),
      r.seconds.toFixed(3).padStart(9),
      String(r.commands).padStart(9),
      r.commandsPerTrial.toFixed(2).padStart(9),
      `  ${r.top.map((t) => `${t.command} ${t.calls}`).join(', ')}${r.includesReconcile ? '  (a reconcile pass fell in this phase)' : ''}`,
    ].join(' '),
  );
  const { ratios: ratio, goals } = summary;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  console.log(
    [
      'scale bench: Redis commands per trial (INFO commandstats of its own redis-server) and call times',
      `${'phase'.padEnd(9)} ${'trials'.padStart(6)} ${'seconds'.padStart(9)} ${'commands'.padStart(9)} ${'per trial'.padStart(9)}   top commands`,
      ...rows,
      `${ratio.of}: submit ${ratio.submit.toFixed(2)}×, getSweep ${ratio.getSweep.toFixed(3)}×, reconcile ${ratio.reconcile.toFixed(2)}×, cancel ${ratio.cancel.toFixed(2)}×`,
      `goal flat within ${goals.commandsPerTrialFlatWithin}×: ${Object.entries(goals.flat).map(([phase, met]) => `${phase} ${verdict(met)}`).join(', ')}`,
      `cancel of ${ratio.cancelSecondsAt.trials} trials: ${ratio.cancelSecondsAt.seconds.toFixed(2)} s; goal < ${goals.cancelBelowSeconds} s: ${verdict(goals.cancelMet)}`,
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const options = readOptions();
  const server = await LocalRedis.acquire({ localUrl: NO_REDIS });
  let cluster: Cluster | undefined;
  let coordinator: CoordinatorConnection | undefined;
  const redis = new Redis(server.url);
  try {
    const stats = new CommandStats(redis);
    cluster = await Cluster.start({ workers: 0, redisUrl: server.url });
    const readyAt = Date.now();
    // Calls on 10,000 trials take long before they are made to scale; measure them, do not cut them off.
    coordinator = coordinatorClient(cluster.grpcAddress, { token: cluster.token, callTimeoutMs: 10 * 60_000 });
    const bench = new ScaleBench(cluster, coordinator, redis, stats, readyAt);
    for (const trials of options.sizes) await bench.sweepOf(trials);
    await bench.run(RUN_TRIALS, RUN_WORKERS);
    const summary = ratios(bench.results, options.sizes);
    if (options.json) console.log(JSON.stringify({ results: bench.results, ...summary }));
    else print(bench.results, summary);
  } finally {
    coordinator?.close();
    await cluster?.close();
    redis.disconnect();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`scale bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
