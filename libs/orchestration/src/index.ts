/**
 * @jvae/orchestration: what runs a sweep, apart from how it is served: the trial queue, ASHA and
 * PBT and sweep completion from the event stream, reconciling the queue with the store, following a
 * sweep for a watcher, the local worker pool, the coordinator run as a child process, and the
 * pure choices that form data-parallel gangs.
 */
export { TrialQueue } from './trial-queue.js';
export type { TrialJobData } from './trial-queue.js';
export { SweepScheduler } from './sweep-scheduler.js';
export type { SweepSchedulerOptions } from './sweep-scheduler.js';
export { PbtScheduler } from './pbt-scheduler.js';
export type { CheckpointCopier } from './pbt-scheduler.js';
export { Reconciler } from './reconciler.js';
export type { ReconcileResult } from './reconciler.js';
export { SweepWatch } from './sweep-watch.js';
export type { EvalEvent, SweepWatchSink } from './sweep-watch.js';
export { WorkerPool, threadsPerWorker } from './worker-pool.js';
export type { WorkerPoolOptions } from './worker-pool.js';
export { CoordinatorProcess, COORDINATOR_READY, coordinatorReadyLine } from './coordinator-process.js';
export type { CoordinatorProcessOptions } from './coordinator-process.js';
export { binCommand } from './package-bin.js';
export { ignoreBrokenPipes } from './broken-pipes.js';
export { chooseFollowers, comparePriority, reformMembers } from './gang-plan.js';
export type { GangCandidate } from './gang-plan.js';
export { workerDemand } from './worker-demand.js';
export type { SweepDemand, WorkerDemand } from './worker-demand.js';
export { TrialSupply } from './trial-supply.js';
