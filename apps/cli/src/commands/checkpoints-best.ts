/** `jvae checkpoints best SWEEP`: the sweep's best trial by its metric, and optionally its checkpoint. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';
import { booleanFlag, stringFlag } from '../flags.js';

export const checkpointsBestCommand: Command = {
  path: ['checkpoints', 'best'],
  summary: "Show a sweep's best trial by its metric; with --out, download that trial's checkpoint",
  details: [
    'With --json: {sweepId, metric, goal, value, trial, checkpoint, path}. Fails while no trial has',
    "reported the sweep's metric.",
    COORDINATOR_ENV_HELP,
  ].join('\n'),
  positionals: [{ name: 'SWEEP', description: 'Sweep id' }],
  options: {
    out: { type: 'string', short: 'o', valueName: 'DIR', description: "Download the best trial's checkpoint to DIR (verified)" },
    json: { type: 'boolean', description: 'Print the result as one JSON object' },
  },
  async run(input) {
    const sweepId = input.positionals[0];
    const out = stringFlag(input, 'out');
    const [{ withCoordinator }, { fetchCheckpoint }, views, format] = await Promise.all([
      import('../coordinator-session.js'),
      import('../checkpoint-download.js'),
      import('../sweep-views.js'),
      import('../format.js'),
    ]);
    const { best, saved } = await withCoordinator(async (connection) => {
      const best = await connection.bestTrial({ sweepId });
      if (!out) return { best, saved: null };
      const checkpointId = best.checkpoint?.id;
      if (!checkpointId) throw new Error(`the best trial ${best.trial?.id ?? ''} of sweep ${sweepId} has no checkpoint yet`);
      return { best, saved: await fetchCheckpoint(connection, { checkpointId }, out) };
    });
    const trial = best.trial;
    if (booleanFlag(input, 'json')) {
      console.log(
        JSON.stringify({
          sweepId,
          metric: best.metric,
          goal: format.goalName(best.goal),
          value: trial?.metric ?? null,
          trial: trial ? views.trialJson(trial) : null,
          checkpoint: views.checkpointJson(best.checkpoint),
          path: saved?.dir ?? null,
        }),
      );
      return 0;
    }
    const lines = trial
      ? [
          `best trial of sweep ${sweepId}: ${trial.id} (${format.stateName(trial.state)}, step ${format.formatSteps(trial)})`,
          `${best.metric} (${format.goalName(best.goal)}): ${format.formatMetricValue(trial.metric)}`,
          `params: ${format.formatParams(format.parseParams(trial.paramsJson)) || '-'}`,
        ]
      : [`sweep ${sweepId} has no best trial yet`];
    if (best.checkpoint) {
      lines.push(`checkpoint: ${best.checkpoint.id} at step ${best.checkpoint.step}${best.checkpoint.location ? ` (${best.checkpoint.location})` : ''}`);
    } else {
      lines.push('checkpoint: none yet');
    }
    if (saved) lines.push(format.describeSaved(saved));
    console.log(lines.join('\n'));
    return 0;
  },
};
