/** @jvae/store: sweeps, trials, metrics, checkpoints records, workers and events in Redis. */
export { SweepStore } from './sweep-store.js';
export type {
  AddCheckpointResult,
  CancelResult,
  Exploit,
  ExploitResult,
  NewSweep,
  RungRecord,
  TransitionResult,
  TrialPatch,
  TrialStanding,
} from './sweep-store.js';
export { TrialGangs } from './trial-gangs.js';
export type { GangClaim, GangPriority, HeldSeat, Rendezvous, Seat } from './trial-gangs.js';
export { WorkerRegistry } from './worker-registry.js';
export type { NewWorker, WorkerActivity, WorkerInfo, WorkerRegistryOptions, WorkerStatus, WorkerView } from './worker-registry.js';
export { EventLog } from './event-log.js';
export type { EventLogOptions, ReadOptions } from './event-log.js';
export { NotFoundError } from './not-found-error.js';
export { deletePrefix } from './delete-prefix.js';
export { newCheckpointId, newSweepId, trialId } from './ids.js';
export { REQUEUE_REASONS, STOP_REASONS } from './records.js';
export type {
  AttemptFailure,
  CheckpointRecord,
  LoggedEvent,
  MetricPoint,
  StopReason,
  StoreEvent,
  SweepRecord,
  TrialRecord,
} from './records.js';
export { LocalRedis, RedisUnavailableError, answersPing, redactUrl } from './local-redis.js';
export type { LocalRedisOptions } from './local-redis.js';
