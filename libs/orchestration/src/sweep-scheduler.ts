import type { Redis } from 'ioredis';
import { EventLog, type StoreEvent, type SweepRecord, type SweepStore, type TrialRecord } from '@jvae/store';
import { PbtScheduler, type CheckpointCopier } from './pbt-scheduler.js';
import type { TrialSupply } from './trial-supply.js';
import { ashaDecision, isTerminalTrialState } from '@jvae/sweep';

/** One consumer group, one consumer: a restarted coordinator picks up its own unacknowledged events. */
const GROUP = 'coordinator';
const CONSUMER = 'coordinator';

export interface SweepSchedulerOptions {
  /** Creates a sweep's next trials once others end (bayes, max_concurrent). */
  supply: TrialSupply;
  /** Copies a donor's checkpoint for a PBT exploit. */
  checkpoints: CheckpointCopier;
  /** How long one read waits for events (bounds how long `stop` takes). */
  blockMs?: number;
  log: (line: string) => void;
}

/**
 * Applies what follows from trial events, reading the global event stream through a consumer
 * group and acknowledging each event once applied (so nothing is lost across restarts):
 * - an evaluation at or past an ASHA rung (for Hyperband: a rung of the trial's bracket, whose
 *   trials alone it is compared with) records the trial's value there and, if the trial
 *   is not in the top 1/eta of those recorded before it, asks it to stop;
 * - an evaluation at a PBT interval step may have the trial exploit a better one, or pause
 *   for the population behind it (PbtScheduler);
 * - a trial reaching a final state makes room for the sweep's next trials (TrialSupply), or
 *   may finish its sweep, which logs the sweep's final state.
 * Both are idempotent, so an event applied twice (a crash before its ack) changes nothing.
 */
export class SweepScheduler {
  private readonly events: EventLog;
  private readonly pbt: PbtScheduler;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: SweepStore,
    /** A connection of its own: reads block on it. */
    connection: Redis,
    private readonly options: SweepSchedulerOptions,
  ) {
    this.events = new EventLog(connection, store.prefix);
    this.pbt = new PbtScheduler(store, options.checkpoints, options.log);
  }

  async start(): Promise<void> {
    await this.events.ensureGroup(GROUP);
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Applies one event; exposed so that its effect can be tested without the stream. */
  async apply(event: StoreEvent): Promise<void> {
    if (event.type === 'eval') await this.applyEval(event.trialId, event.step, event.values);
    else if (event.type === 'checkpoint') await this.applyCheckpoint(event.trialId, event.step);
    else if (event.type === 'trial' && isTerminalTrialState(event.state)) {
      await this.options.supply.fill(event.sweepId);
      await this.store.markSweepFinished(event.sweepId);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.events.consume(GROUP, CONSUMER, { blockMs: this.options.blockMs ?? 1000, count: 100 });
        for (const { id, event } of batch) {
          // A failing event is reported and acknowledged: retrying a bad event would block all others.
          await this.apply(event).catch((error: unknown) =>
            this.options.log(`event ${id} (${event.type} of ${event.sweepId}) not applied: ${String(error)}`),
          );
          await this.events.ack(GROUP, [id]);
        }
      } catch (error) {
        if (!this.running) break;
        if (EventLog.isMissingGroup(error) && (await this.recreateGroup())) continue;
        this.options.log(`event stream: ${String(error)}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /**
   * Redis lost the group (it restarted empty, or the stream was deleted): made again, it reads
   * the stream from its start, which replays nothing harmful since applying is idempotent.
   */
  private async recreateGroup(): Promise<boolean> {
    this.options.log(`event stream: consumer group '${GROUP}' is missing; creating it again`);
    return this.events.ensureGroup(GROUP).then(
      () => true,
      (error: unknown) => {
        this.options.log(`event stream: cannot create consumer group '${GROUP}': ${String(error)}`);
        return false;
      },
    );
  }

  /** An evaluation of a trial with rungs: ASHA, Hyperband or PBT decide on it. */
  private async applyEval(trialId: string, step: number, values: Record<string, number>): Promise<void> {
    const trial = await this.store.getTrial(trialId);
    if (!trial || trial.rungs.length === 0) return;
    const value = values[trial.metricName];
    if (value === undefined) return;
    const sweep = await this.store.getSweep(trial.sweepId);
    if (!sweep) return;
    if (sweep.spec.scheduler) await this.pbt.apply(sweep, trial, step, value);
    else if (sweep.spec.early_terminate) await this.applyAsha(sweep, trial, step, value);
  }

  /** A stored checkpoint: in a PBT sweep, exploits waiting for it as a donor's can go ahead. */
  private async applyCheckpoint(trialId: string, step: number): Promise<void> {
    const trial = await this.store.getTrial(trialId);
    if (!trial || trial.rungs.length === 0) return;
    const sweep = await this.store.getSweep(trial.sweepId);
    if (sweep?.spec.scheduler) await this.pbt.checkpointStored(sweep, trial, step);
  }

  /**
   * Evaluations rarely land exactly on a rung: the first one at or past a rung stands for the
   * trial's value there. Rungs already recorded return their first record, so the decision at
   * each rung is made once and replays identically.
   */
  private async applyAsha(sweep: SweepRecord, trial: TrialRecord, step: number, value: number): Promise<void> {
    const asha = sweep.spec.early_terminate!;
    const trialId = trial.id;
    for (const rung of trial.rungs.filter((r) => r <= step)) {
      const record = await this.store.recordRung(sweep.id, rung, trialId, value, trial.bracket);
      const decision = ashaDecision({
        rung,
        value: record.value,
        goal: sweep.metric.goal,
        recorded: record.before,
        eta: asha.eta,
      });
      if (decision === 'stop') {
        if (await this.store.requestStop(trialId, 'asha')) this.options.log(`ASHA stops ${trialId} at rung ${rung}`);
        return;
      }
    }
  }
}
