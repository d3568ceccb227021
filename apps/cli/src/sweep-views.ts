/**
 * Sweeps, trials, workers and checkpoints as the CLI shows them: the ranking of a
 * sweep's trials and the plain objects printed by `--json`.
 */
import type { CheckpointInfo__Output, Sweep__Output, Trial__Output, Worker__Output } from '@jvae/protocol';
import { placeTrials, type TrialState } from '@jvae/sweep';
import { goalName, parseParams, stateName, type RankedTrial } from './format.js';

/** The sweep's trials best first by its metric and goal, each with its rank (null without a metric yet). */
export function rankSweepTrials(sweep: Pick<Sweep__Output, 'trials' | 'goal'>): RankedTrial[] {
  const rankable = sweep.trials.map((trial) => ({
    trial,
    id: trial.id,
    // An unknown state ranks with the trials that have not started.
    state: (trial.state === 'STATE_UNSPECIFIED' ? 'queued' : stateName(trial.state)) as TrialState,
    metric: trial.metric,
  }));
  return placeTrials(rankable, goalName(sweep.goal)).map(({ trial, rank }) => ({ trial: trial.trial, rank }));
}

/** A page of GetSweep's ranking as it came, with the places the coordinator gave it. */
export function pageRanking(sweep: Pick<Sweep__Output, 'trials'>): RankedTrial[] {
  return sweep.trials.map((trial) => ({ trial, rank: trial.rank || null }));
}

export function checkpointJson(checkpoint: CheckpointInfo__Output | null) {
  if (!checkpoint) return null;
  return {
    id: checkpoint.id,
    trialId: checkpoint.trialId,
    step: checkpoint.step,
    createdAt: checkpoint.createdAt,
    location: checkpoint.location,
    files: checkpoint.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
  };
}

export function trialJson(trial: Trial__Output, rank: number | null = null) {
  return {
    id: trial.id,
    index: trial.index,
    rank,
    state: stateName(trial.state),
    step: trial.step,
    totalSteps: trial.totalSteps,
    metric: trial.metric ?? null,
    metrics: trial.metrics,
    params: parseParams(trial.paramsJson),
    workers: trial.workers.map((id, rank) => ({ id, rank })),
    world: trial.workers.length,
    replicas: trial.replicas,
    error: trial.error || null,
    failures: trial.failures.map((f) => ({ attempt: f.attempt, step: f.step, error: f.error, time: f.time })),
    lineage: trial.lineage.map((entry) => ({
      step: Number(entry.step),
      from: entry.fromTrialId,
      changes: JSON.parse(entry.changesJson || '{}') as Record<string, { from: unknown; to: unknown }>,
      decidedAt: Number(entry.decidedAt),
      checkpointId: entry.checkpointId,
    })),
    schedule: trial.schedule.map((segment) => ({
      step: Number(segment.step),
      trial: segment.trialId,
      settings: JSON.parse(segment.settingsJson || '{}') as Record<string, unknown>,
      capacity: { continuous: segment.continuous, discrete: segment.discrete },
    })),
    checkpoint: checkpointJson(trial.checkpoint),
    createdAt: trial.createdAt,
    startedAt: trial.startedAt,
    finishedAt: trial.finishedAt,
  };
}

/** The sweep without its spec text; its `trials` in the order given, each carrying its rank in `ranking`. */
export function sweepJson(sweep: Sweep__Output, ranking: RankedTrial[] = rankSweepTrials(sweep)) {
  const ranks = new Map(ranking.map((r) => [r.trial.id, r.rank]));
  const trials = sweep.trials.map((t) => trialJson(t, ranks.get(t.id) ?? null));
  return {
    id: sweep.id,
    name: sweep.name,
    state: stateName(sweep.state),
    metric: sweep.metric,
    goal: goalName(sweep.goal),
    bestTrialId: sweep.bestTrialId || null,
    error: sweep.error || null,
    counts: sweep.counts,
    totalTrials: sweep.totalTrials,
    createdAt: sweep.createdAt,
    updatedAt: sweep.updatedAt,
    // PBT: what the best trial's weights were trained with, step by step (empty otherwise).
    bestSchedule: trials.find((t) => t.id === sweep.bestTrialId)?.schedule ?? [],
    trials,
  };
}

export function workerJson(worker: Worker__Output) {
  return {
    id: worker.id,
    host: worker.host,
    pid: worker.pid,
    backend: worker.backend,
    state: stateName(worker.state),
    trial: worker.currentTrial || null,
    rank: worker.rank ?? null,
    lastHeartbeat: worker.lastHeartbeat,
    startedAt: worker.startedAt,
    threads: worker.threads,
    device: worker.device,
  };
}
