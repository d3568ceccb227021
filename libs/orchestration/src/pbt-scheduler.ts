import type { CheckpointRecord, SweepRecord, SweepStore, TrialRecord, TrialStanding } from '@jvae/store';
import {
  awaitsDonorCheckpoint,
  donorCheckpoint,
  inheritSchedule,
  pbtDecision,
  planExploit,
  scheduleSegment,
  scheduleSettingPaths,
  yieldsToPopulation,
  type PbtSpec,
} from '@jvae/sweep';

/** The checkpoint files an exploit copies: the coordinator's artifact store. */
export interface CheckpointCopier {
  /** Copies a stored checkpoint's files to a new checkpoint of `trialId`; returns its record (not yet in the store). */
  copy(checkpoint: CheckpointRecord, trialId: string): Promise<CheckpointRecord>;
  /** Deletes checkpoints' files. */
  remove(checkpoints: readonly CheckpointRecord[]): Promise<void>;
}

/** Trials that left the population: they train no further and are not compared. */
const GONE = new Set(['failed', 'cancelled', 'stopped']);

/**
 * Population based training as the sweep runs. When a trial of a PBT sweep is evaluated at one
 * of its interval steps, its value there is recorded beside the population's (the rung record
 * ASHA uses). Once every member still in the population has a value at that step, each is
 * decided, once per step, against all of them:
 * - one in the bottom quantile exploits one of the top, once the donor has stored its checkpoint
 *   of that step (the donor's checkpoint event decides what waited for it): the donor's
 *   checkpoint is copied into a
 *   checkpoint of its own (so that the donor's eviction of old checkpoints cannot take it away),
 *   and the trial takes it with the donor's config, perturbed (pure: planExploit), its lineage
 *   and schedule in one store step; queued, it resumes from there, running, its worker queues
 *   it again first;
 * - the others go on.
 * Until then, a trial that reached the step while a member waits in the queue behind it pauses
 * (back to the queue from its checkpoint), so that a population larger than the pool takes
 * turns, interval by interval, and is compared at the same steps. Decisions are recorded as
 * they take effect and never made twice for a step, so an event applied again after a crash
 * changes nothing.
 */
export class PbtScheduler {
  constructor(
    private readonly store: SweepStore,
    private readonly checkpoints: CheckpointCopier,
    private readonly log: (line: string) => void,
  ) {}

  /** An evaluation of the trial at `step`. */
  async apply(sweep: SweepRecord, trial: TrialRecord, step: number, value: number): Promise<void> {
    const rung = lastRung(trial, step);
    if (rung === undefined || rung <= trial.pbtStep) return;
    await this.store.recordRung(sweep.id, rung, trial.id, value);
    const standings = await this.store.trialStandings(sweep.id);
    if (await this.decideIfMeasured(sweep, rung, standings)) return;
    const members = standings.map((s) => ({ trialId: s.id, state: s.state, step: s.step }));
    if (yieldsToPopulation(trial.id, rung, members) && (await this.store.requestStop(trial.id, 'pause'))) {
      this.log(`PBT pauses ${trial.id} at step ${rung} for the members behind it`);
    }
  }

  /** A checkpoint of the trial stored at `step`: exploits that waited for it as a donor's are decided now. */
  async checkpointStored(sweep: SweepRecord, trial: TrialRecord, step: number): Promise<void> {
    const rung = lastRung(trial, step);
    if (rung !== undefined) await this.decideIfMeasured(sweep, rung, await this.store.trialStandings(sweep.id));
  }

  /** Decides at `rung` if every member still in the population has been measured there; returns whether it had. */
  private async decideIfMeasured(sweep: SweepRecord, rung: number, standings: readonly TrialStanding[]): Promise<boolean> {
    const measured = await this.store.rungValues(sweep.id, rung);
    if (!standings.every((s) => GONE.has(s.state) || s.id in measured)) return false;
    await this.decideAll(sweep, rung, measured);
    return true;
  }

  /** Decides every member measured at `rung` that was not decided there yet, in index order. */
  private async decideAll(sweep: SweepRecord, rung: number, measured: Record<string, number>): Promise<void> {
    const pbt = sweep.spec.scheduler!;
    const population = Object.entries(measured).map(([trialId, value]) => ({ trialId, value, step: rung }));
    const trials = await this.store.getTrialsById(Object.keys(measured));
    for (const trial of trials.sort((a, b) => a.index - b.index)) {
      if (trial.pbtStep >= rung || GONE.has(trial.state) || trial.state === 'completed') continue;
      const decision = pbtDecision({ trialId: trial.id, step: rung, population, goal: sweep.metric.goal, quantile: pbt.quantile, seed: sweep.spec.seed });
      const outcome = decision.action === 'exploit' ? await this.exploit(sweep, pbt, trial, rung, decision.from) : 'none';
      if (outcome === 'none') await this.store.advancePbtStep(trial.id, rung);
    }
  }

  /**
   * Applies the exploit: 'done' (or found decided meanwhile); 'wait' for the donor's checkpoint
   * of the step; 'none' when the donor has no checkpoint to give (the trial goes on as it is).
   */
  private async exploit(sweep: SweepRecord, pbt: PbtSpec, trial: TrialRecord, rung: number, donorId: string): Promise<'done' | 'wait' | 'none'> {
    const donor = await this.store.requireTrial(donorId);
    if (awaitsDonorCheckpoint(donor, rung)) return 'wait';
    const source = donorCheckpoint(await this.store.listCheckpoints(donorId), rung, donor.totalSteps);
    if (!source) {
      this.log(`PBT: ${trial.id} would exploit ${donorId} at step ${rung}, which has no checkpoint to continue from`);
      return 'none';
    }
    const plan = planExploit({ trialId: trial.id, step: rung, seed: sweep.spec.seed, donorConfig: donor.config, scheduler: pbt });
    const copy = await this.checkpoints.copy(source, trial.id);
    const segment = scheduleSegment(trial.id, source.step, plan.config, scheduleSettingPaths(sweep.spec));
    const result = await this.store
      .exploitTrial(trial.id, {
        decidedAt: rung,
        checkpoint: copy,
        config: plan.config,
        lineage: { step: source.step, from: donorId, changes: plan.changes, decidedAt: rung, checkpointId: copy.id },
        schedule: inheritSchedule(donor.schedule, segment),
      })
      .catch(async (error: unknown) => {
        await this.checkpoints.remove([copy]);
        throw error;
      });
    if (!result.applied) {
      await this.checkpoints.remove([copy]);
      return 'done';
    }
    await this.checkpoints.remove(result.dropped);
    const changes = Object.entries(plan.changes).map(([path, c]) => `${path} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
    this.log(`PBT: ${trial.id} at step ${rung} continues from ${donorId}'s checkpoint of step ${source.step} (${changes.join(', ')})`);
    return 'done';
  }
}

/** The trial's last PBT interval step at or before `step`. */
function lastRung(trial: TrialRecord, step: number): number | undefined {
  return trial.rungs.filter((r) => r <= step).at(-1);
}
