/** `jvae workers list`: the registered workers and what they are doing. */
import type { Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';
import { booleanFlag } from '../flags.js';

export const workersListCommand: Command = {
  path: ['workers', 'list'],
  summary: 'List workers: id, host, pid, backend, state, trial and last heartbeat',
  details: `Workers that missed their heartbeats are shown as lost until they are pruned. A rank of a data-parallel trial shows its rank\n(--json: {id, host, pid, backend, state, trial, rank, ...}).\n${COORDINATOR_ENV_HELP}`,
  options: {
    json: { type: 'boolean', description: 'Print a JSON array of workers' },
  },
  async run(input) {
    const [{ withCoordinator }, { workerJson }, { formatWorkers }] = await Promise.all([
      import('../coordinator-session.js'),
      import('../sweep-views.js'),
      import('../format.js'),
    ]);
    const { workers } = await withCoordinator((connection) => connection.listWorkers({}));
    console.log(booleanFlag(input, 'json') ? JSON.stringify(workers.map(workerJson)) : formatWorkers(workers));
    return 0;
  },
};
