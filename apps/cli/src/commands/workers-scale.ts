/** `jvae workers scale N`: grows or shrinks the coordinator's local worker pool. */
import { UsageError, type Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';

export const workersScaleCommand: Command = {
  path: ['workers', 'scale'],
  summary: 'Grow or shrink the local worker pool to N processes',
  details: [
    'Workers above N finish their current trial before exiting. Only a pool started by `jvae up`',
    'can be scaled this way; on Kubernetes the autoscaler (KEDA) owns the replica count.',
    COORDINATOR_ENV_HELP,
  ].join('\n'),
  positionals: [{ name: 'N', description: 'Number of worker processes (0 stops them all)' }],
  async run(input) {
    const raw = input.positionals[0];
    const count = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(count)) throw new UsageError(`N must be a non-negative integer, got '${raw}'`);
    const { withCoordinator } = await import('../coordinator-session.js');
    const result = await withCoordinator((connection) => connection.scaleWorkers({ count }));
    console.log(`workers: ${result.previous} → ${result.target}`);
    return 0;
  },
};
