// Store records as the Coordinator service's messages.
import type {
  CheckpointInfo,
  MetricPoint,
  Sweep,
  SweepGoal,
  SweepState as ProtoSweepState,
  Trial,
  TrialState as ProtoTrialState,
  Worker,
  WorkerState,
} from '@jvae/protocol';
import type { CheckpointRecord, MetricPoint as StoredPoint, SweepRecord, TrialRecord, WorkerView } from '@jvae/store';
import type { MetricGoal, SweepState, TrialState } from '@jvae/sweep';

/** The proto has no QUEUED sweep state: a sweep whose trials are all waiting is running. */
const SWEEP_STATES: Record<SweepState, ProtoSweepState> = {
  queued: 'RUNNING',
  running: 'RUNNING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

const TRIAL_STATES: Record<TrialState, ProtoTrialState> = {
  queued: 'QUEUED',
  running: 'RUNNING',
  completed: 'COMPLETED',
  stopped: 'STOPPED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

const GOALS: Record<MetricGoal, SweepGoal> = { minimize: 'MINIMIZE', maximize: 'MAXIMIZE' };

const WORKER_STATES: Record<WorkerView['state'], WorkerState> = {
  idle: 'IDLE',
  busy: 'BUSY',
  draining: 'DRAINING',
  lost: 'LOST',
};

export function protoSweepState(state: SweepState): ProtoSweepState {
  return SWEEP_STATES[state];
}

export function protoGoal(goal: MetricGoal): SweepGoal {
  return GOALS[goal];
}

export function toProtoSweep(
  sweep: SweepRecord,
  trials: readonly Trial[] = [],
  bestTrialId = '',
): Sweep {
  const { counts } = sweep;
  return {
    id: sweep.id,
    name: sweep.name,
    state: SWEEP_STATES[sweep.state],
    spec: sweep.specText,
    metric: sweep.metric.name,
    goal: GOALS[sweep.metric.goal],
    createdAt: sweep.createdAt,
    updatedAt: sweep.updatedAt,
    trials: [...trials],
    counts: {
      queued: counts.queued,
      running: counts.running,
      completed: counts.completed,
      stopped: counts.stopped,
      failed: counts.failed,
      cancelled: counts.cancelled,
    },
    bestTrialId,
    error: sweep.state === 'failed' ? 'every trial failed' : '',
    totalTrials: sweep.trialCount,
  };
}

export function toProtoTrial(trial: TrialRecord, checkpoint: CheckpointRecord | null): Trial {
  return {
    id: trial.id,
    sweepId: trial.sweepId,
    index: trial.index,
    state: TRIAL_STATES[trial.state],
    step: trial.step,
    totalSteps: trial.totalSteps,
    ...(trial.metric === undefined ? {} : { metric: trial.metric }),
    metrics: trial.metrics,
    paramsJson: JSON.stringify(trial.params),
    error: trial.error ?? '',
    workers: trial.workers,
    replicas: trial.replicas.max,
    checkpoint: checkpoint ? toProtoCheckpoint(checkpoint) : null,
    createdAt: trial.createdAt,
    startedAt: trial.startedAt,
    finishedAt: trial.finishedAt,
    rank: 0,
    failures: trial.failures.map((f) => ({ attempt: f.attempt, step: f.step, error: f.error, time: f.time })),
    lineage: trial.lineage.map((entry) => ({
      step: entry.step,
      fromTrialId: entry.from,
      changesJson: JSON.stringify(entry.changes),
      decidedAt: entry.decidedAt,
      checkpointId: entry.checkpointId,
    })),
    schedule: trial.schedule.map((segment) => ({
      step: segment.step,
      trialId: segment.trialId,
      settingsJson: JSON.stringify(segment.settings),
      continuous: segment.capacity.continuous,
      discrete: segment.capacity.discrete,
    })),
  };
}

export function toProtoCheckpoint(record: CheckpointRecord): CheckpointInfo {
  return {
    id: record.id,
    trialId: record.trialId,
    step: record.step,
    files: record.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
    createdAt: record.createdAt,
    location: record.location,
  };
}

export function toProtoMetric(trialId: string, point: StoredPoint): MetricPoint {
  return { trialId, step: point.step, time: point.time, values: point.values };
}

export function toProtoWorker(worker: WorkerView & { rank?: number }): Worker {
  return {
    id: worker.id,
    host: worker.host,
    pid: worker.pid,
    backend: worker.backend,
    state: WORKER_STATES[worker.state],
    currentTrial: worker.trialId ?? '',
    lastHeartbeat: worker.heartbeat,
    startedAt: worker.startedAt,
    threads: worker.threads,
    device: worker.device,
    ...(worker.rank === undefined ? {} : { rank: worker.rank }),
  };
}
