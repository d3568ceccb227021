/**
 * The state of a watched sweep, built from WatchSweep's deltas: the latest
 * snapshot and every trial as last sent (in listings or as changes). Renders it as one progress
 * line per trial (for a terminal) or as one line per change (for logs).
 */
import type { Sweep__Output, SweepEvent__Output, Trial__Output, TrialCounts__Output } from '@jvae/protocol';
import { formatCounts, formatMetricValue, formatSteps, goalName, stateName } from './format.js';
import { renderBar } from './progress-bar.js';

const BAR_WIDTH = 20;

export class SweepBoard {
  private snapshot: Sweep__Output | null = null;
  private readonly trials = new Map<string, Trial__Output>();

  /** Applies one event; returns a line for each change worth logging (none for repeats). */
  apply(event: SweepEvent__Output): string[] {
    if (event.snapshot) return this.applySnapshot(event.snapshot);
    if (event.trial) return this.applyTrial(event.trial);
    if (event.trials) return event.trials.trials.flatMap((trial) => this.applyTrial(trial));
    return [];
  }

  /** The sweep as last seen, its trials in index order and its counts recomputed from them; null before the first snapshot. */
  sweep(): Sweep__Output | null {
    if (!this.snapshot) return null;
    const trials = [...this.trials.values()].sort((a, b) => a.index - b.index);
    return { ...this.snapshot, trials, counts: countStates(trials) };
  }

  /** A header line, then one progress line per trial. */
  lines(): string[] {
    const sweep = this.sweep();
    if (!sweep) return ['waiting for the sweep…'];
    const idWidth = Math.max(0, ...sweep.trials.map((t) => shortId(t, sweep.id).length));
    return [
      `sweep ${sweep.id}${sweep.name ? ` (${sweep.name})` : ''} ${stateName(sweep.state)}: ${formatCounts(sweep.counts)}` +
        ` — ${sweep.metric} (${goalName(sweep.goal)})`,
      ...sweep.trials.map((t) => this.progressLine(t, sweep.metric, idWidth)),
    ];
  }

  private progressLine(trial: Trial__Output, metric: string, idWidth: number): string {
    const fraction = trial.totalSteps > 0 ? trial.step / trial.totalSteps : 0;
    const value = trial.metric === undefined ? '' : `  ${metric} ${formatMetricValue(trial.metric)}`;
    const error = trial.error ? `  ${trial.error}` : '';
    return `  ${shortId(trial, this.snapshot!.id).padEnd(idWidth)}  ${stateName(trial.state).padEnd(9)} ${renderBar(fraction, BAR_WIDTH)} ${formatSteps(trial)}${value}${error}`;
  }

  private applySnapshot(sweep: Sweep__Output): string[] {
    const first = this.snapshot === null;
    const stateChanged = !first && this.snapshot!.state !== sweep.state;
    this.snapshot = sweep;
    const changes: string[] = [];
    if (first) {
      changes.push(
        `sweep ${sweep.id}${sweep.name ? ` (${sweep.name})` : ''}: ${sweep.totalTrials} trial(s), ` +
          `ranked by ${sweep.metric} (${goalName(sweep.goal)}), ${stateName(sweep.state)}`,
      );
    }
    for (const trial of sweep.trials) changes.push(...this.applyTrial(trial));
    if (stateChanged) changes.push(`sweep ${sweep.id}: ${stateName(sweep.state)}${sweep.error ? ` (${sweep.error})` : ''}`);
    return changes;
  }

  private applyTrial(trial: Trial__Output): string[] {
    const previous = this.trials.get(trial.id);
    this.trials.set(trial.id, trial);
    const unchanged =
      previous &&
      previous.state === trial.state &&
      previous.step === trial.step &&
      previous.metric === trial.metric &&
      previous.error === trial.error;
    if (unchanged) return [];
    const metric = trial.metric === undefined ? '' : ` ${this.snapshot?.metric || 'metric'}=${formatMetricValue(trial.metric)}`;
    return [`trial ${trial.id}: ${stateName(trial.state)} step ${formatSteps(trial)}${metric}${trial.error ? ` (${trial.error})` : ''}`];
  }
}

/** The trial id without the sweep id it starts with (`t3`), for lines under the sweep's own header. */
function shortId(trial: Trial__Output, sweepId: string): string {
  return trial.id.startsWith(`${sweepId}-`) ? trial.id.slice(sweepId.length + 1) : trial.id;
}

function countStates(trials: Trial__Output[]): TrialCounts__Output {
  const counts: TrialCounts__Output = { queued: 0, running: 0, completed: 0, stopped: 0, failed: 0, cancelled: 0 };
  for (const trial of trials) {
    const key = stateName(trial.state) as keyof TrialCounts__Output;
    if (key in counts) counts[key]++;
  }
  return counts;
}
