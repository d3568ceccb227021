/** `jvae sweep submit FILE`: queues a sweep and prints its id; with --watch, follows it to the end. */
import { readFile } from 'node:fs/promises';
import { UsageError, type Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';
import { booleanFlag } from '../flags.js';

export const sweepSubmitCommand: Command = {
  path: ['sweep', 'submit'],
  summary: 'Submit a sweep spec: its trials are queued for the workers',
  details: [
    'Prints the sweep id on stdout. With --watch, follows the sweep like `jvae sweep watch` and exits',
    '0 when it completed, 1 when it failed or was cancelled. A spec the coordinator rejects is',
    'reported with the key at fault (exit 1).',
    COORDINATOR_ENV_HELP,
  ].join('\n'),
  positionals: [{ name: 'FILE', description: 'Sweep spec (YAML or JSON), e.g. examples/sweeps/mnist-capacity.yaml' }],
  options: {
    watch: { type: 'boolean', short: 'w', description: 'Follow the sweep live until it ends, then print the ranking' },
    json: { type: 'boolean', description: 'Print {"id": "..."} (progress, with --watch, goes to stderr)' },
  },
  async run(input) {
    const file = input.positionals[0];
    let spec: string;
    try {
      spec = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
    const [{ withCoordinator, CoordinatorError }, { followSweep, rankingReport, sweepExitCode }, { status }] = await Promise.all([
      import('../coordinator-session.js'),
      import('../sweep-watch.js'),
      import('@grpc/grpc-js'),
    ]);
    const json = booleanFlag(input, 'json');
    return withCoordinator(async (connection) => {
      const submitted = await connection.submitSweep({ spec }).catch((err: unknown) => {
        // The coordinator names the key at fault; say which file it is in.
        const code = (err as { code?: number }).code;
        if (code === status.INVALID_ARGUMENT) throw new CoordinatorError(`${file}: ${(err as { details: string }).details}`, code);
        throw err;
      });
      if (json) console.log(JSON.stringify({ id: submitted.id }));
      else console.log(submitted.id);
      console.error(`sweep ${submitted.id}: ${submitted.trialCount} trial(s) queued`);
      if (!booleanFlag(input, 'watch')) {
        console.error(`Follow it with: jvae sweep watch ${submitted.id}`);
        return 0;
      }
      const sweep = await followSweep(connection, submitted.id);
      (json ? console.error : console.log)(rankingReport(sweep));
      return sweepExitCode(sweep);
    });
  },
};
