/** `jvae sweep watch ID`: live progress of a sweep's trials, then its ranking. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';

export const sweepWatchCommand: Command = {
  path: ['sweep', 'watch'],
  summary: "Follow a sweep live: each trial's state, step and metric, then the ranking table",
  details: [
    'On a terminal the progress bars are redrawn in place; otherwise each change is one line.',
    'Exits 0 when the sweep completed, 1 when it failed or was cancelled.',
    COORDINATOR_ENV_HELP,
  ].join('\n'),
  positionals: [{ name: 'ID', description: 'Sweep id (from jvae sweep submit or jvae sweep list)' }],
  async run(input) {
    const [{ withCoordinator }, { followSweep, rankingReport, sweepExitCode }] = await Promise.all([
      import('../coordinator-session.js'),
      import('../sweep-watch.js'),
    ]);
    return withCoordinator(async (connection) => {
      const sweep = await followSweep(connection, input.positionals[0]);
      console.log(rankingReport(sweep));
      return sweepExitCode(sweep);
    });
  },
};
