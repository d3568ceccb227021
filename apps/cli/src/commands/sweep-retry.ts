/** `jvae sweep retry ID`: queues a sweep's failed and cancelled trials again. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';

export const sweepRetryCommand: Command = {
  path: ['sweep', 'retry'],
  summary: "Queue a sweep's failed and cancelled trials again, each from its latest checkpoint",
  details: `A cancelled sweep runs again. Retrying a sweep with nothing failed or cancelled changes nothing.\n${COORDINATOR_ENV_HELP}`,
  positionals: [{ name: 'ID', description: 'Sweep id' }],
  async run(input) {
    const [{ withCoordinator }, { stateName }] = await Promise.all([import('../coordinator-session.js'), import('../format.js')]);
    const id = input.positionals[0];
    const result = await withCoordinator((connection) => connection.retrySweep({ id }));
    console.log(`sweep ${id}: ${stateName(result.state)} (${result.retriedTrials} trial(s) queued again)`);
    return 0;
  },
};
