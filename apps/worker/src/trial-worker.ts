import { availableParallelism, hostname } from 'node:os';
import { DelayedError, Worker, WaitingError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { GradSyncServer } from '@jvae/gradsync';
import { isThreadedBackend, selectBackend } from '@jvae/model';
import { QUEUES, bullPrefix, coordinatorClient, type CoordinatorConnection, type JvaeConfig } from '@jvae/protocol';
import { SweepStore, TrialGangs, WorkerRegistry } from '@jvae/store';
import { CheckpointTransfer } from './checkpoint-transfer.js';
import { DatasetCache } from './dataset-cache.js';
import { GangFollower } from './gang-follower.js';
import { GangLeader } from './gang-leader.js';
import { RegistryPresence } from './registry-presence.js';
import { removeStaleWorkDirs } from './stale-work-dirs.js';
import { TrialInterrupt } from './trial-interrupt.js';
import { TrialRunner, type TrialOutcome } from './trial-runner.js';
import type { WorkerSettings } from './worker-settings.js';

export interface TrialWorkerOptions {
  config: JvaeConfig;
  settings: WorkerSettings;
  log?: (message: string) => void;
}

/** A job of the trials queue: its id is the trial id. */
export type TrialJob = Job<{ trialId?: string }, TrialOutcome>;

/** Jobs are never failed for being recovered from a stall: a killed worker's trial must always come back. */
const MAX_STALLED_COUNT = 1_000_000;
/** How often an idle worker looks whether a gang's leader claimed it, and a leader re-reads the pool. */
const SEAT_POLL_MS = 250;

/**
 * The long-lived worker process: one BullMQ consumer of the trials queue with
 * concurrency 1, whose jobs are trained by a TrialRunner, and an entry in the worker
 * registry with the backend it trains on. A job whose worker dies stalls when its lock
 * expires and goes back to the queue for the next worker, which resumes the trial from
 * its latest checkpoint.
 *
 * It also serves GradSync (advertised in the registry) for data-parallel trials: the job's
 * worker leads the trial's gang (TrialRunner), and an idle worker whose seat a leader claimed
 * stops taking jobs and trains its rank (GangFollower) until the gang lets it go.
 *
 * `stop()` (on SIGTERM/SIGINT) takes no new jobs, interrupts the current trial at the
 * next step boundary without failing it, puts its job back in the queue, and removes
 * the registry entry.
 */
export class TrialWorker {
  private current: { trialId: string; controller: AbortController } | undefined;
  private following: AbortController | undefined;
  private stopping: Promise<void> | undefined;
  private bull: Worker | undefined;
  private seatWatch: NodeJS.Timeout | undefined;

  private constructor(
    readonly id: string,
    /** The backend trials run on, as selected at start. */
    readonly backend: { name: string; engine: string },
    private readonly redis: Redis,
    private readonly coordinator: CoordinatorConnection,
    private readonly presence: RegistryPresence,
    private readonly runner: TrialRunner,
    private readonly gangs: TrialGangs,
    private readonly follower: GangFollower,
    private readonly server: GradSyncServer,
    private readonly log: (message: string) => void,
  ) {}

  /** Selects the backend, registers the worker and starts taking jobs. */
  static async start(options: TrialWorkerOptions): Promise<TrialWorker> {
    const { config, settings } = options;
    const log = options.log ?? ((message: string) => console.log(`[worker ${settings.id}] ${message}`));
    const backend = await selectBackend(config.backend);
    log(`backend ${backend.name}: ${backend.engine}${backend.reason ? ` (${backend.reason})` : ''}`);
    for (const name of await removeStaleWorkDirs(settings.workDir)) log(`removed ${name}, left by a worker that is gone`);
    // BullMQ needs commands to wait for a reconnect rather than fail; the store shares the connection.
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    const coordinator = coordinatorClient(config.coordinator, { token: config.token, tls: config.tls });
    const server = await GradSyncServer.start({ ...settings.gradsync, token: config.token, tls: config.tls });
    try {
      const store = new SweepStore(redis, config.prefix);
      const registry = new WorkerRegistry(redis, config.prefix, { heartbeatMs: settings.heartbeatMs });
      const gangs = new TrialGangs(redis, config.prefix);
      // A worker starting anew is committed to nothing, whatever an earlier process of its id held.
      await gangs.clearSeat(settings.id);
      const attemptDeps = {
        store,
        transfer: new CheckpointTransfer(coordinator),
        datasets: new DatasetCache(),
        workerId: settings.id,
        workDir: settings.workDir,
        threads: settings.threads,
        backend: backend.name,
        log,
      };
      const { ringTimeoutMs } = settings;
      const leader = new GangLeader({ store, gangs, registry, workerId: settings.id, address: server.address, joinTimeoutMs: settings.gangJoinMs, pollMs: SEAT_POLL_MS, log });
      const runner = new TrialRunner({ ...attemptDeps, retryDelayMs: settings.retryDelayMs, gang: { gangs, leader, server, ringTimeoutMs } });
      // A broken ring's leader re-forms once a dead member's heartbeat is stale (GangLeader.reform).
      const reformWaitMs = ringTimeoutMs + 2 * (registry.lostAfterMs + registry.heartbeatMs) + settings.gangJoinMs;
      const follower = new GangFollower({ ...attemptDeps, gangs, registry, server, ringTimeoutMs, reformWaitMs, pollMs: SEAT_POLL_MS });
      const presence = new RegistryPresence(
        registry,
        {
          id: settings.id,
          host: hostname(),
          pid: process.pid,
          backend: backend.name,
          device: backend.engine,
          threads: isThreadedBackend(backend.name) ? settings.threads || availableParallelism() : 1,
          gradsync: server.address,
        },
        log,
      );
      await presence.start();
      const worker = new TrialWorker(settings.id, backend, redis, coordinator, presence, runner, gangs, follower, server, log);
      worker.consume(config.prefix, settings);
      worker.watchSeat();
      log(`taking trials from ${bullPrefix(config.prefix)}:${QUEUES.trials}; GradSync at ${server.address}`);
      return worker;
    } catch (err) {
      await server.close();
      coordinator.close();
      redis.disconnect();
      throw err;
    }
  }

  /** Stops gracefully (see the class comment); safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log('stopping');
      clearInterval(this.seatWatch);
      this.current?.controller.abort(new TrialInterrupt('shutdown'));
      this.following?.abort(new TrialInterrupt('shutdown'));
      await this.presence.update('draining', this.current?.trialId);
      await this.bull?.close();
      await this.followed;
      await this.presence.stop();
      await this.server.close();
      this.coordinator.close();
      await this.redis.quit();
      this.log('stopped');
    })();
    return this.stopping;
  }

  private consume(prefix: string, settings: WorkerSettings): void {
    this.bull = new Worker(QUEUES.trials, (job: TrialJob, token?: string) => this.process(job, token), {
      connection: this.redis,
      prefix: bullPrefix(prefix),
      concurrency: 1,
      lockDuration: settings.lockMs,
      stalledInterval: settings.stalledMs,
      maxStalledCount: MAX_STALLED_COUNT,
      name: settings.id,
    });
    this.bull.on('error', (err) => this.log(`queue error: ${err.message}`));
    // Trials fail through their records; a failed job means the store or the queue could not be reached.
    this.bull.on('failed', (job, err) => this.log(`job ${job?.id ?? '?'} failed: ${err.message}`));
  }

  /** The follow in progress, if any; stop() waits for it. */
  private followed: Promise<void> | undefined;

  /**
   * While no job runs here, looks every SEAT_POLL_MS whether a gang's leader claimed this
   * worker; if so, takes no jobs while it trains its rank.
   */
  private watchSeat(): void {
    this.seatWatch = setInterval(() => {
      if (this.current || this.following || this.stopping) return;
      this.gangs.seat(this.id).then(
        (seat) => {
          if (seat?.role !== 'follower' || this.current || this.following || this.stopping) return;
          this.followed = this.follow(seat.trialId);
        },
        (err: unknown) => this.log(`seat: ${(err as Error).message}`),
      );
    }, SEAT_POLL_MS);
    this.seatWatch.unref();
  }

  private async follow(trialId: string): Promise<void> {
    const controller = new AbortController();
    this.following = controller;
    try {
      // Paused without waiting: a job taken meanwhile finds the seat claimed and goes back.
      await this.bull?.pause(true);
      this.log(`trial ${trialId}: joining its gang`);
      void this.presence.update('busy', trialId);
      await this.follower.follow(trialId, controller.signal);
    } finally {
      this.following = undefined;
      if (!this.stopping) {
        void this.presence.update('idle');
        this.bull?.resume();
      }
    }
  }

  private async process(job: TrialJob, token: string | undefined): Promise<TrialOutcome> {
    const trialId = job.data?.trialId ?? job.id!;
    const controller = new AbortController();
    this.current = { trialId, controller };
    if (this.stopping) controller.abort(new TrialInterrupt('shutdown'));
    // The registry is informational (heartbeats keep it current): not awaited, so a trial
    // never waits for it. Updates stay ordered and their errors are logged by the presence.
    void this.presence.update('busy', trialId);
    try {
      const outcome = await this.runner.run(trialId, controller.signal);
      if (outcome.state === 'released') {
        if (outcome.delayMs === undefined) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        // Promoted from the delayed set to the back of the queue: the trials waiting go first.
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      }
      if (outcome.state === 'skipped') this.log(`trial ${trialId}: skipped (${outcome.reason})`);
      return outcome;
    } finally {
      this.current = undefined;
      if (!this.stopping) void this.presence.update('idle');
    }
  }
}
