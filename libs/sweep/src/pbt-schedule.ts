import { createRng, hashSeed } from '@jvae/rng';
import { getByPath, resolveTrainConfig, type TrainConfig } from '@jvae/model/config';
import { explore, type Exploration } from './pbt.js';
import type { ParamValue, PbtSpec, SweepSpec } from './spec.js';
import type { TrialState } from './states.js';

/**
 * What a PBT trial's weights were trained with, step by step. A trial that exploits another
 * continues the donor's weights, so its history is the donor's up to the copied step and its
 * own from there: a list of segments, each in force from its `step` to the next one's.
 */
export interface ScheduleSegment {
  /** The first step trained with these settings (the segment ends where the next begins). */
  step: number;
  /** The trial whose training these steps were. */
  trialId: string;
  /** The swept and mutated train config paths and their values. */
  settings: Record<string, ParamValue>;
  /** The capacity schedules in force: C(t) = min + (max - min) * t / iters, capped, for t in the segment. */
  capacity: TrainConfig['capacity'];
}

/** One exploit, as a trial's lineage records it. */
export interface LineageEntry {
  /** The step training continued from: the step of the copied checkpoint. */
  step: number;
  /** The trial whose checkpoint and settings were copied. */
  from: string;
  /** Each perturbed path, from the donor's value to the one trained with now. */
  changes: Exploration['changes'];
  /** The step this trial had reached when it was decided. */
  decidedAt: number;
  /** The checkpoint copied for it (owned by this trial; its files carry the donor's identity). */
  checkpointId: string;
}

/** The train config paths a PBT sweep's schedules record: the swept parameters, then the mutated ones. */
export function scheduleSettingPaths(spec: Pick<SweepSpec, 'parameters' | 'scheduler'>): string[] {
  return [...new Set([...Object.keys(spec.parameters), ...Object.keys(spec.scheduler?.mutations ?? {})])];
}

/** The segment a trial trains from `step` on with `config`. */
export function scheduleSegment(trialId: string, step: number, config: TrainConfig, paths: readonly string[]): ScheduleSegment {
  const settings = Object.fromEntries(paths.map((path) => [path, structuredClone(getByPath(config, path)) as ParamValue]));
  return { step, trialId, settings, capacity: structuredClone(config.capacity) };
}

/** The donor's history before `segment.step`, then `segment`: the schedule of the weights the exploiting trial continues. */
export function inheritSchedule(donor: readonly ScheduleSegment[], segment: ScheduleSegment): ScheduleSegment[] {
  return [...donor.filter((s) => s.step < segment.step).map((s) => structuredClone(s)), segment];
}

/** The PBT trial steps at which the scheduler decides: every `interval`, before the last step. */
export function pbtIntervals(interval: number, steps: number): number[] {
  const rungs: number[] = [];
  for (let step = interval; step < steps; step += interval) rungs.push(step);
  return rungs;
}

export interface ExploitPlan {
  /** The donor's config with the perturbed values: what the exploiting trial trains with from now on. */
  config: TrainConfig;
  changes: Exploration['changes'];
}

/**
 * What trial `trialId`, exploiting at `step`, trains with: the donor's config (its seed
 * included: the copied optimizer state and data order continue) with every mutated path
 * perturbed from the donor's value. Draws come from a stream seeded by (seed, trial, step), so
 * a decision applied twice perturbs the same way.
 */
export function planExploit(input: {
  trialId: string;
  step: number;
  seed: number;
  donorConfig: TrainConfig;
  scheduler: Pick<PbtSpec, 'mutations'>;
}): ExploitPlan {
  const { mutations } = input.scheduler;
  const current = Object.fromEntries(Object.keys(mutations).map((path) => [path, getByPath(input.donorConfig, path) as ParamValue]));
  const random = createRng(hashSeed(input.seed, 'pbt-explore', input.trialId, input.step));
  const { params, changes } = explore(current, mutations, random);
  return { config: resolveTrainConfig(input.donorConfig, params), changes };
}

/**
 * Whether an exploit waits for the donor's checkpoint of the interval step rather than continue
 * from an older one: while the donor is queued or running and has stored none at or past that
 * step, one is on its way (written at the step, uploaded in the background).
 */
export function awaitsDonorCheckpoint(donor: { state: TrialState; checkpointStep?: number }, rung: number): boolean {
  return (donor.state === 'queued' || donor.state === 'running') && (donor.checkpointStep ?? -1) < rung;
}

/**
 * Which of a donor's kept checkpoints an exploit continues from: the latest one at or before the
 * interval step (the population is compared there), else the earliest later one; never one of
 * step 0 or of the last step, after which nothing would be left to train. Null when none fits.
 */
export function donorCheckpoint<T extends { step: number }>(kept: readonly T[], rung: number, totalSteps: number): T | null {
  const usable = kept.filter((c) => c.step > 0 && c.step < totalSteps).sort((a, b) => a.step - b.step);
  return usable.filter((c) => c.step <= rung).at(-1) ?? usable[0] ?? null;
}
