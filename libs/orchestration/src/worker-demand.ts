/** What one unfinished sweep asks of the worker pool. */
export interface SweepDemand {
  /** Trials waiting to run (queued, whatever their jobs' state in BullMQ: waiting, prioritized, delayed). */
  queued: number;
  running: number;
  /** Ranks each trial trains on at most (`replicas.max`; 1 for a trial trained alone). */
  ranksPerTrial: number;
  /** Trials of the sweep that may run at once; unset = no limit. */
  maxConcurrent?: number;
}

export interface WorkerDemand {
  /** Workers that would train every queued and running trial at once, within the sweeps' limits. */
  desiredWorkers: number;
  /** Ranks of the queued trials (those the sweeps' limits let start). */
  queuedRanks: number;
  /** Ranks of the running trials. */
  runningRanks: number;
}

/**
 * The workers the pool needs now, the figure an autoscaler follows: every running trial's ranks
 * plus every queued trial's that its sweep lets start. It falls only as trials finish, never as
 * workers take jobs off the queue, so scaling on it never takes a busy worker away.
 */
export function workerDemand(sweeps: readonly SweepDemand[]): WorkerDemand {
  let queuedRanks = 0;
  let runningRanks = 0;
  for (const sweep of sweeps) {
    const startable = sweep.maxConcurrent === undefined ? sweep.queued : Math.max(0, Math.min(sweep.queued, sweep.maxConcurrent - sweep.running));
    queuedRanks += startable * sweep.ranksPerTrial;
    runningRanks += sweep.running * sweep.ranksPerTrial;
  }
  return { desiredWorkers: queuedRanks + runningRanks, queuedRanks, runningRanks };
}
