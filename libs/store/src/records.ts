// What the store keeps, as read back from Redis.
import type { CheckpointManifest } from '@jvae/artifacts';
import type { TrainConfig } from '@jvae/model/config';
import type { LineageEntry, MetricGoal, MetricName, ParamValue, ScheduleSegment, SweepSpec, SweepState, TrialState } from '@jvae/sweep';

export interface SweepRecord {
  id: string;
  name: string;
  /** The spec text as submitted. */
  specText: string;
  /** The validated, normalised spec. */
  spec: SweepSpec;
  metric: { name: MetricName; goal: MetricGoal };
  /** Derived with `sweepState` from the per-state trial counters kept by the scripts that move trials. */
  state: SweepState;
  cancelled: boolean;
  /** Trials the sweep has in all, once every one is created. */
  trialCount: number;
  /** Trials created so far (bayes and max_concurrent sweeps create them as others end). */
  created: number;
  /** Trials per state. */
  counts: Record<TrialState, number>;
  createdAt: number;
  updatedAt: number;
  /** When every trial reached a final state and the final event was sent; 0 before. */
  finishedAt: number;
}

/** One failed attempt of a trial that was retried. */
export interface AttemptFailure {
  attempt: number;
  /** The step it had reached. */
  step: number;
  error: string;
  time: number;
}

export interface TrialRecord {
  id: string;
  sweepId: string;
  /** Position in the sweep's expansion, from 0; trials are queued in this order. */
  index: number;
  state: TrialState;
  /** Optimizer steps done so far (as last reported). */
  step: number;
  /** `config.steps`. */
  totalSteps: number;
  params: Record<string, ParamValue>;
  /** The fully resolved train config the worker trains with. */
  config: TrainConfig;
  seed: number;
  /** Data-parallel ranks the trial asks for. */
  replicas: { min: number; max: number };
  /** The sweep's ranking metric and the trial's latest value of it; `metric` absent until reported. */
  metricName: MetricName;
  metric?: number;
  /** Latest value of every reported metric. */
  metrics: Record<string, number>;
  /** Steps at which ASHA compares this trial (empty without early termination); evaluating there is best. */
  rungs: number[];
  /** Hyperband's bracket of the trial; its rungs compare it only with trials of the same bracket. */
  bracket?: number;
  /** Reason of a failed trial; on a completed one, why its last checkpoint is not stored. */
  error?: string;
  /** Workers training it now; empty unless running. */
  workers: string[];
  /** How many times a worker started (or resumed) it. */
  attempts: number;
  /** Failed attempts retried from the latest checkpoint before the trial fails for good (spec `max_failures`). */
  maxFailures: number;
  /** Why each retried attempt failed, oldest first. */
  failures: AttemptFailure[];
  /** PBT: the exploits that made the trial what it is, oldest first (empty outside PBT sweeps). */
  lineage: LineageEntry[];
  /**
   * PBT: what the trial's weights were trained with, from step 0 (the donors' segments before an
   * exploit's step, then its own); empty outside PBT sweeps.
   */
  schedule: ScheduleSegment[];
  /** PBT: the last interval step the scheduler decided at for this trial (0 before the first). */
  pbtStep: number;
  /** The latest stored checkpoint (highest step), if any. */
  checkpointId?: string;
  checkpointStep?: number;
  createdAt: number;
  updatedAt: number;
  /** 0 until started / finished. */
  startedAt: number;
  finishedAt: number;
}

/** One metric report of a trial. */
export interface MetricPoint {
  step: number;
  /** Epoch ms. */
  time: number;
  values: Record<string, number>;
}

/** A stored checkpoint: its manifest, and the id, time and place the artifact store gave it. */
export interface CheckpointRecord extends CheckpointManifest {
  id: string;
  createdAt: number;
  /** Where the artifact store keeps it (a directory or URI). */
  location: string;
}

/**
 * Why a running trial must stop: early-stopped by ASHA, its sweep was cancelled, or PBT sends it
 * back to the queue: `exploit` (it continues from another trial's checkpoint, already made its
 * own) or `pause` (its worker goes to a member of the population behind it).
 */
export type StopReason = 'asha' | 'cancel' | 'exploit' | 'pause';
export const STOP_REASONS: readonly StopReason[] = ['asha', 'cancel', 'exploit', 'pause'];
/** Stop reasons that send a trial back to the queue; a new attempt clears them. */
export const REQUEUE_REASONS: readonly StopReason[] = ['exploit', 'pause'];

/** Changes logged to the sweep's stream (watchers) and to the global stream (the coordinator). */
export type StoreEvent =
  | { type: 'trial'; sweepId: string; trialId: string; state: TrialState; time: number }
  | { type: 'eval'; sweepId: string; trialId: string; step: number; values: Record<string, number>; time: number }
  | { type: 'checkpoint'; sweepId: string; trialId: string; checkpointId: string; step: number; time: number }
  | { type: 'exploit'; sweepId: string; trialId: string; from: string; step: number; time: number }
  | { type: 'sweep'; sweepId: string; state: SweepState; time: number };

export interface LoggedEvent {
  /** The stream entry id; pass it back to read what follows. */
  id: string;
  event: StoreEvent;
}
