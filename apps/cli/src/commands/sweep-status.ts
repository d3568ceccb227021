/** `jvae sweep status ID`: one sweep, its trials ranked. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';
import { booleanFlag } from '../flags.js';

export const sweepStatusCommand: Command = {
  path: ['sweep', 'status'],
  summary: "Show a sweep's state and its trials ranked by the sweep's metric",
  details: [
    'With --json: {id, name, state, metric, goal, bestTrialId, error, counts, createdAt, updatedAt,',
    'trials: [{id, index, rank, state, step, totalSteps, metric, metrics, params, workers, error, checkpoint, ...}]}.',
    COORDINATOR_ENV_HELP,
  ].join('\n'),
  positionals: [{ name: 'ID', description: 'Sweep id' }],
  options: {
    json: { type: 'boolean', description: 'Print the sweep and its trials as one JSON object' },
  },
  async run(input) {
    const [{ withCoordinator }, { rankSweepTrials, sweepJson }, format] = await Promise.all([
      import('../coordinator-session.js'),
      import('../sweep-views.js'),
      import('../format.js'),
    ]);
    const sweep = await withCoordinator((connection) => connection.getSweep({ id: input.positionals[0] }));
    if (booleanFlag(input, 'json')) {
      console.log(JSON.stringify(sweepJson(sweep)));
      return 0;
    }
    const best = sweep.trials.find((t) => t.id === sweep.bestTrialId);
    const lines = [
      `sweep ${sweep.id}${sweep.name ? ` (${sweep.name})` : ''}: ${format.stateName(sweep.state)}`,
      `metric: ${sweep.metric} (${format.goalName(sweep.goal)})` +
        (best ? `, best so far: ${best.id} with ${format.formatMetricValue(best.metric)}` : ''),
      `trials: ${format.formatCounts(sweep.counts)}`,
      `created ${format.formatAge(sweep.createdAt)}, updated ${format.formatAge(sweep.updatedAt)}`,
      ...(sweep.error ? [`error: ${sweep.error}`] : []),
      '',
      format.formatRankingTable(sweep.metric, sweep.goal, rankSweepTrials(sweep)),
    ];
    const withErrors = sweep.trials.filter((t) => t.error);
    if (withErrors.length > 0) lines.push('', ...withErrors.map((t) => `${t.id} (${format.stateName(t.state)}): ${t.error}`));
    console.log(lines.join('\n'));
    return 0;
  },
};
