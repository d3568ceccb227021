// Short names for the enums of the generated types (values are the enum names as strings).
import type {
  RingChunk__Output,
  Sweep__Output,
  Trial__Output,
  Worker__Output,
} from './generated/index.js';

export type SweepState = Sweep__Output['state'];
export type SweepGoal = Sweep__Output['goal'];
export type TrialState = Trial__Output['state'];
export type WorkerState = Worker__Output['state'];
export type RingPhase = RingChunk__Output['phase'];
export type RingDType = RingChunk__Output['dtype'];

/** Trial states after which a trial never changes again. */
export const FINAL_TRIAL_STATES: readonly TrialState[] = ['COMPLETED', 'STOPPED', 'FAILED', 'CANCELLED'];
/** Sweep states after which WatchSweep ends. */
export const FINAL_SWEEP_STATES: readonly SweepState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** The most trials one GetSweep reply carries (GetSweepRequest.limit is capped to it). */
export const MAX_TRIAL_PAGE = 1000;
