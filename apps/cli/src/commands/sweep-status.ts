/** `jvae sweep status ID`: one sweep, a page of its trials ranked. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';
import { booleanFlag, integerFlag } from '../flags.js';

/** Trials shown by the text view without --limit: the top of the ranking. */
const DEFAULT_SHOWN = 50;

export const sweepStatusCommand: Command = {
  path: ['sweep', 'status'],
  summary: "Show a sweep's state and its trials ranked by the sweep's metric",
  details: [
    `Shows the best ${DEFAULT_SHOWN} trials unless --limit says otherwise; --offset N skips the first N of the ranking.`,
    'With --json: {id, name, state, metric, goal, bestTrialId, error, counts, totalTrials, createdAt, updatedAt,',
    'trials: [{id, index, rank, state, step, totalSteps, metric, metrics, params, workers: [{id, rank}], world, error, checkpoint, ...}]},',
    'trials best first: all of them unless --limit or --offset is given.',
    COORDINATOR_ENV_HELP,
  ].join('\n'),
  positionals: [{ name: 'ID', description: 'Sweep id' }],
  options: {
    json: { type: 'boolean', description: 'Print the sweep and its trials as one JSON object' },
    limit: { type: 'string', description: `Trials to show, best first (default ${DEFAULT_SHOWN}; with --json, all)` },
    offset: { type: 'string', description: 'Trials of the ranking to skip first (default 0)' },
  },
  async run(input) {
    const [{ withCoordinator }, { pageRanking, sweepJson }, format, { MAX_TRIAL_PAGE }] = await Promise.all([
      import('../coordinator-session.js'),
      import('../sweep-views.js'),
      import('../format.js'),
      import('@jvae/protocol'),
    ]);
    const json = booleanFlag(input, 'json');
    const limit = integerFlag(input, 'limit', 1, 2 ** 32 - 1);
    const offset = integerFlag(input, 'offset', 0, 2 ** 32 - 1) ?? 0;
    const id = input.positionals[0]!;
    const sweep = await withCoordinator(async (connection) => {
      if (!json || limit !== undefined || offset > 0) {
        return connection.getSweep({ id, limit: Math.min(limit ?? DEFAULT_SHOWN, MAX_TRIAL_PAGE), offset });
      }
      // All trials, a page at a time: no reply exceeds a message's size limit, whatever the sweep's size.
      const first = await connection.getSweep({ id, limit: MAX_TRIAL_PAGE, offset: 0 });
      while (first.trials.length < first.totalTrials) {
        const next = await connection.getSweep({ id, limit: MAX_TRIAL_PAGE, offset: first.trials.length });
        if (next.trials.length === 0) break;
        first.trials.push(...next.trials);
      }
      return first;
    });
    if (json) {
      console.log(JSON.stringify(sweepJson(sweep, pageRanking(sweep))));
      return 0;
    }
    const best = sweep.trials.find((t) => t.id === sweep.bestTrialId);
    const lines = [
      `sweep ${sweep.id}${sweep.name ? ` (${sweep.name})` : ''}: ${format.stateName(sweep.state)}`,
      `metric: ${sweep.metric} (${format.goalName(sweep.goal)})` + (sweep.bestTrialId ? `, best so far: ${sweep.bestTrialId}${best ? ` with ${format.formatMetricValue(best.metric)}` : ''}` : ''),
      `trials: ${format.formatCounts(sweep.counts)}`,
      `created ${format.formatAge(sweep.createdAt)}, updated ${format.formatAge(sweep.updatedAt)}`,
      ...(sweep.error ? [`error: ${sweep.error}`] : []),
      '',
      format.formatRankingTable(sweep.metric, sweep.goal, pageRanking(sweep)),
    ];
    const shownTo = offset + sweep.trials.length;
    if (offset > 0 || shownTo < sweep.totalTrials) {
      lines.push(
        `trials ${sweep.trials.length === 0 ? 'none' : `${offset + 1}–${shownTo}`} of ${sweep.totalTrials} shown` +
          (shownTo < sweep.totalTrials ? `; the next ones: --offset ${shownTo}` : ''),
      );
    }
    if (best && best.schedule.length > 0) {
      lines.push('', `schedule of the best trial ${best.id} (PBT):`, format.formatSchedule(best.schedule, Number(best.step)));
    }
    const withErrors = sweep.trials.filter((t) => t.error);
    if (withErrors.length > 0) lines.push('', ...withErrors.map((t) => `${t.id} (${format.stateName(t.state)}): ${t.error}`));
    console.log(lines.join('\n'));
    return 0;
  },
};
