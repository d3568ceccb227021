/** Human-readable renderings shared by several commands: metrics, tables of sweeps, trials and workers. */
import type { Sweep__Output, Trial__Output, TrialCounts__Output, Worker__Output } from '@jvae/protocol';
import type { EvalMetrics } from '@jvae/train';
import type { SavedCheckpoint } from './checkpoint-download.js';
import { formatDuration } from './progress-bar.js';

const round = (value: number, digits = 4) => Number(value.toFixed(digits));

export function formatMetrics(m: EvalMetrics): string {
  const lines = [
    `step ${m.step}: loss ${round(m.loss, 3)}  recon ${round(m.recon, 3)}  ` +
      `KL cont ${round(m.klCont)} (capacity ${round(m.capacityCont)})  KL disc ${round(m.klDisc)} (capacity ${round(m.capacityDisc)})  tau ${round(m.tau, 3)}`,
    `active continuous dims: ${m.activeDims} of ${m.klPerDim.length}  (KL per dim ${m.klPerDim.map((v) => round(v, 3)).join(', ')})`,
  ];
  if (m.discreteAccuracy !== undefined) lines.push(`discrete accuracy: ${(m.discreteAccuracy * 100).toFixed(1)}%`);
  if (m.categoryLabels) lines.push(formatCategoryLabels(m.categoryLabels.latent, m.categoryLabels.counts));
  if (m.factorScore !== undefined) lines.push(`factor score: ${round(m.factorScore)}`);
  if (m.mig !== undefined) lines.push(`MIG: ${round(m.mig)}`);
  return lines.join('\n');
}

/** Shares of a category's samples below which a label is left out of its line. */
const MINOR_LABEL_SHARE = 0.05;

/**
 * Which labels each category holds, largest share first (labels under 5 % left out), e.g.
 * `category 3 (104 samples): 8 61%, 5 22%, 3 12%`: merged labels show side by side.
 */
export function formatCategoryLabels(latent: number, counts: number[][]): string {
  const lines = counts.map((row, category) => {
    const total = row.reduce((a, b) => a + b, 0);
    if (total === 0) return `  category ${category}: no samples`;
    const shares = row
      .map((count, label) => ({ label, share: count / total }))
      .filter(({ share }) => share >= MINOR_LABEL_SHARE)
      .sort((a, b) => b.share - a.share || a.label - b.label)
      .map(({ label, share }) => `${label} ${Math.round(share * 100)}%`);
    return `  category ${category} (${total} sample${total === 1 ? '' : 's'}): ${shares.join(', ')}`;
  });
  return [`labels per category of c${latent} (held-out samples):`, ...lines].join('\n');
}

/** One line per periodic evaluation during training. */
export function formatEvalLine(m: EvalMetrics): string {
  const accuracy = m.discreteAccuracy === undefined ? '' : `  discrete accuracy ${(m.discreteAccuracy * 100).toFixed(1)}%`;
  return `eval @${m.step}: loss ${round(m.loss, 2)}  recon ${round(m.recon, 2)}  KL cont ${round(m.klCont, 3)}  KL disc ${round(m.klDisc, 3)}${accuracy}`;
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Four significant digits; exponent notation only for very large or very small values. */
export function formatMetricValue(value: number | undefined | null): string {
  if (value === undefined || value === null) return '-';
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** A trial's hyperparameters (a JSON object, possibly nested) as flat `dotted.key` → value pairs. */
export function parseParams(paramsJson: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = paramsJson ? JSON.parse(paramsJson) : {};
  } catch {
    return { params: paramsJson };
  }
  const flat: Record<string, unknown> = {};
  const visit = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) visit(inner, path ? `${path}.${key}` : key);
    } else {
      flat[path || 'params'] = value;
    }
  };
  visit(parsed, '');
  return flat;
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? formatMetricValue(value) : JSON.stringify(value)}`)
    .join(' ');
}

/** The keys whose values differ between trials: what sets the trials of a sweep apart. */
export function varyingKeys(paramSets: Record<string, unknown>[]): Set<string> {
  const keys = new Set(paramSets.flatMap((p) => Object.keys(p)));
  if (paramSets.length < 2) return keys;
  return new Set(
    [...keys].filter((key) => new Set(paramSets.map((p) => JSON.stringify(p[key]))).size > 1),
  );
}

/** `12s ago`, `3m05s ago`; `never` for 0 (the protocol's "not yet"). */
export function formatAge(epochMs: number, now = Date.now()): string {
  if (!epochMs) return 'never';
  return `${formatDuration(Math.max(0, now - epochMs) / 1000)} ago`;
}

/** Protocol enum names (`RUNNING`) as users read them (`running`). */
export function stateName(state: string): string {
  return state === 'STATE_UNSPECIFIED' ? 'unknown' : state.toLowerCase();
}

export function goalName(goal: Sweep__Output['goal']): 'minimize' | 'maximize' {
  return goal === 'MAXIMIZE' ? 'maximize' : 'minimize';
}

/** `400/400`, or just the step when the total is unknown. */
export function formatSteps(trial: Pick<Trial__Output, 'step' | 'totalSteps'>): string {
  return trial.totalSteps > 0 ? `${trial.step}/${trial.totalSteps}` : String(trial.step);
}

/** One trial in a ranking: `rank` is null for a trial without a value of the metric yet. */
export interface RankedTrial {
  rank: number | null;
  trial: Trial__Output;
}

/** What a trial trains with now: its params, or for a PBT trial the settings of its schedule's last segment. */
export function currentSettings(trial: Pick<Trial__Output, 'paramsJson' | 'schedule'>): Record<string, unknown> {
  const last = trial.schedule.at(-1);
  return last ? parseParams(last.settingsJson) : parseParams(trial.paramsJson);
}

/**
 * A PBT trial's schedule, one line per segment: its steps (to `endStep` for the last), the
 * trial whose training they were, and the settings, each shown where it changed.
 */
export function formatSchedule(schedule: Trial__Output['schedule'], endStep: number): string {
  let previous: Record<string, unknown> = {};
  const rows = schedule.map((segment, i) => {
    const settings = parseParams(segment.settingsJson);
    const changed = Object.fromEntries(Object.entries(settings).filter(([key, value]) => i === 0 || JSON.stringify(previous[key]) !== JSON.stringify(value)));
    previous = settings;
    const end = i + 1 < schedule.length ? Number(schedule[i + 1]!.step) : endStep;
    return [`${segment.step}–${end}`, segment.trialId, formatParams(changed)];
  });
  return formatTable(['steps', 'trained by', 'settings (where they change)'], rows);
}

/**
 * The ranking table of a sweep: rank, trial, state, step, the metric, and the
 * parameters that differ between its trials (all of them for a single trial); a PBT trial
 * shows the settings it trains with now.
 */
export function formatRankingTable(metric: string, goal: Sweep__Output['goal'], ranked: RankedTrial[]): string {
  const params = ranked.map((r) => currentSettings(r.trial));
  const shown = varyingKeys(params);
  const rows = ranked.map((r, i) => [
    r.rank === null ? '-' : String(r.rank),
    r.trial.id,
    stateName(r.trial.state),
    formatSteps(r.trial),
    formatMetricValue(r.trial.metric),
    formatParams(Object.fromEntries(Object.entries(params[i]).filter(([key]) => shown.has(key)))),
  ]);
  const arrow = goalName(goal) === 'maximize' ? '↑' : '↓';
  return formatTable(['rank', 'trial', 'state', 'step', `${metric || 'metric'} ${arrow}`, 'params'], rows);
}

/** Trial counts in their lifecycle order, zeros left out: `2 running, 1 queued, 1 completed`. */
export function formatCounts(counts: TrialCounts__Output | null): string {
  if (!counts) return '';
  const order: (keyof TrialCounts__Output)[] = ['running', 'queued', 'completed', 'stopped', 'failed', 'cancelled'];
  const parts = order.filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'no trials';
}

export function formatSweepList(sweeps: Sweep__Output[], now = Date.now()): string {
  if (sweeps.length === 0) return 'No sweeps yet. Submit one with: jvae sweep submit FILE';
  const rows = sweeps.map((s) => [
    s.id,
    s.name,
    stateName(s.state),
    `${s.metric} (${goalName(s.goal)})`,
    s.bestTrialId || '-',
    formatAge(s.createdAt, now),
    formatCounts(s.counts),
  ]);
  return formatTable(['sweep', 'name', 'state', 'metric', 'best trial', 'created', 'trials'], rows);
}

export function formatWorkers(workers: Worker__Output[], now = Date.now()): string {
  if (workers.length === 0) return 'No workers registered. Start a local pool with: jvae up';
  const rows = workers.map((w) => [
    w.id,
    w.host,
    String(w.pid),
    w.backend || '-',
    String(w.threads || '-'),
    stateName(w.state),
    w.currentTrial ? `${w.currentTrial}${w.rank === undefined ? '' : ` (rank ${w.rank})`}` : '-',
    formatAge(w.lastHeartbeat, now),
    w.device,
  ]);
  return formatTable(['worker', 'host', 'pid', 'backend', 'threads', 'state', 'trial', 'heartbeat', 'device'], rows);
}

/** A browsable URL on a server listening at `hostPort`; a wildcard bind address is reached through loopback. */
export function httpUrl(hostPort: string, path = '/'): string {
  const reachable = hostPort.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  return `http://${reachable}${path}`;
}

/** `1.2 MB`-style sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function describeSaved(saved: SavedCheckpoint): string {
  const { checkpoint, dir } = saved;
  const bytes = checkpoint.files.reduce((sum, f) => sum + f.size, 0);
  return (
    `checkpoint ${checkpoint.id} of trial ${checkpoint.trialId} (step ${checkpoint.step}, ` +
    `${checkpoint.files.length} files, ${formatBytes(bytes)}, SHA-256 verified) saved to ${dir}`
  );
}
