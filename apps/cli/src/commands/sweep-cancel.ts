/** `jvae sweep cancel ID`: stops a sweep's queued and running trials. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';

export const sweepCancelCommand: Command = {
  path: ['sweep', 'cancel'],
  summary: "Cancel a sweep: queued trials are dropped, running ones stop at their next step",
  details: `Cancelling twice is harmless.\n${COORDINATOR_ENV_HELP}`,
  positionals: [{ name: 'ID', description: 'Sweep id' }],
  async run(input) {
    const [{ withCoordinator }, { stateName }] = await Promise.all([import('../coordinator-session.js'), import('../format.js')]);
    const id = input.positionals[0];
    const result = await withCoordinator((connection) => connection.cancelSweep({ id }));
    console.log(`sweep ${id}: ${stateName(result.state)} (${result.cancelledTrials} trial(s) cancelled now)`);
    return 0;
  },
};
