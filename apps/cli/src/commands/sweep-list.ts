/** `jvae sweep list`: every sweep, newest first. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';
import { booleanFlag, integerFlag } from '../flags.js';

export const sweepListCommand: Command = {
  path: ['sweep', 'list'],
  summary: 'List sweeps, newest first, with their state, metric, best trial and trial counts',
  details: COORDINATOR_ENV_HELP,
  options: {
    limit: { type: 'string', valueName: 'N', description: 'Show at most N sweeps (default all)' },
    json: { type: 'boolean', description: 'Print a JSON array of sweeps' },
  },
  async run(input) {
    const limit = integerFlag(input, 'limit', 1) ?? 0;
    const [{ withCoordinator }, { sweepJson }, { formatSweepList }] = await Promise.all([
      import('../coordinator-session.js'),
      import('../sweep-views.js'),
      import('../format.js'),
    ]);
    const { sweeps } = await withCoordinator((connection) => connection.listSweeps({ limit }));
    if (booleanFlag(input, 'json')) {
      console.log(JSON.stringify(sweeps.map((s) => ({ ...sweepJson(s), trials: undefined }))));
    } else {
      console.log(formatSweepList(sweeps));
    }
    return 0;
  },
};
