/** Lifecycle states of sweeps and trials, and how a sweep's state follows from its trials'. */

export const SWEEP_STATES = ['queued', 'running', 'completed', 'cancelled', 'failed'] as const;
export type SweepState = (typeof SWEEP_STATES)[number];

/** `stopped` means early-stopped by the scheduler (ASHA): a normal, ranked outcome. */
export const TRIAL_STATES = ['queued', 'running', 'completed', 'stopped', 'failed', 'cancelled'] as const;
export type TrialState = (typeof TRIAL_STATES)[number];

/** The final states: a trial in one of them never runs again. */
export const TERMINAL_TRIAL_STATES = ['completed', 'stopped', 'failed', 'cancelled'] as const satisfies readonly TrialState[];

const TERMINAL: ReadonlySet<TrialState> = new Set(TERMINAL_TRIAL_STATES);

export function isTerminalTrialState(state: TrialState): boolean {
  return TERMINAL.has(state);
}

/**
 * The sweep's state from its trials' states:
 * - `cancelled` once the sweep is cancelled, whatever its trials are doing;
 * - `queued` while no trial has started (including before any trial exists);
 * - `running` while any trial is queued or running and some trial has started or finished;
 * - once every trial is terminal: `completed` if any trial completed or was stopped,
 *   otherwise `failed` if any failed, otherwise (all cancelled) `cancelled`.
 */
export function sweepState(trialStates: readonly TrialState[], cancelled: boolean): SweepState {
  if (cancelled) return 'cancelled';
  if (trialStates.every((s) => s === 'queued')) return 'queued';
  if (!trialStates.every(isTerminalTrialState)) return 'running';
  if (trialStates.some((s) => s === 'completed' || s === 'stopped')) return 'completed';
  return trialStates.includes('failed') ? 'failed' : 'cancelled';
}
