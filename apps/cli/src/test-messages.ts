/** Complete protocol messages with test defaults, for the CLI's tests. */
import type { Sweep__Output, Trial__Output } from '@jvae/protocol';

export function trial(fields: Partial<Trial__Output> & { id: string }): Trial__Output {
  return {
    sweepId: 's1',
    index: 0,
    state: 'QUEUED',
    step: 0,
    totalSteps: 400,
    metrics: {},
    paramsJson: '{}',
    error: '',
    workers: [],
    replicas: 1,
    checkpoint: null,
    createdAt: 0,
    startedAt: 0,
    finishedAt: 0,
    rank: 0,
    failures: [],
    lineage: [],
    schedule: [],
    ...fields,
  };
}

export function sweep(fields: Partial<Sweep__Output> = {}): Sweep__Output {
  return {
    id: 's1',
    name: 'mnist-capacity',
    state: 'RUNNING',
    spec: '',
    metric: 'discreteAccuracy',
    goal: 'MAXIMIZE',
    createdAt: 1_000,
    updatedAt: 2_000,
    trials: [],
    counts: { queued: 0, running: 0, completed: 0, stopped: 0, failed: 0, cancelled: 0 },
    bestTrialId: '',
    error: '',
    totalTrials: fields.trials?.length ?? 0,
    ...fields,
  };
}
