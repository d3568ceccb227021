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

/** How many of a sweep's trials are in each state. */
export type TrialCounts = Readonly<Record<TrialState, number>>;

/**
 * The sweep's state from how many of its trials are in each state:
 * - `cancelled` once the sweep is cancelled, whatever its trials are doing;
 * - `queued` while no trial has started (including before any trial exists);
 * - `running` while any trial is queued or running, or is still to be created (`uncreated`: a
 *   search that suggests trials as others end), and some trial has started or finished;
 * - once every trial is terminal: `completed` if any trial completed or was stopped,
 *   otherwise `failed` if any failed, otherwise (all cancelled) `cancelled`.
 */
export function sweepState(counts: TrialCounts, cancelled: boolean, uncreated = 0): SweepState {
  if (cancelled) return 'cancelled';
  const total = TRIAL_STATES.reduce((sum, state) => sum + counts[state], 0);
  if (counts.queued === total) return 'queued';
  if (counts.queued + counts.running + uncreated > 0) return 'running';
  if (counts.completed + counts.stopped > 0) return 'completed';
  return counts.failed > 0 ? 'failed' : 'cancelled';
}
