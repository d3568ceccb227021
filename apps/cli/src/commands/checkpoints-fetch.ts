/** `jvae checkpoints fetch TRIAL --out DIR`: downloads a trial's latest checkpoint, verified by checksum. */
import { UsageError, type Command } from '../command.js';
import { COORDINATOR_ENV_HELP } from '../environment-help.js';
import { booleanFlag, stringFlag } from '../flags.js';

export const checkpointsFetchCommand: Command = {
  path: ['checkpoints', 'fetch'],
  summary: "Download a trial's latest checkpoint into a directory, verifying every file's SHA-256",
  details: [
    'The files are written next to DIR first and moved into place only when every one matches the',
    "manifest; a mismatch names the file and leaves nothing at DIR. An existing checkpoint at DIR is replaced.",
    COORDINATOR_ENV_HELP,
  ].join('\n'),
  positionals: [{ name: 'TRIAL', description: 'Trial id (see jvae sweep status)' }],
  options: {
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'Directory to write the checkpoint to (required)' },
    json: { type: 'boolean', description: 'Print {path, checkpoint} as JSON' },
  },
  async run(input) {
    const out = stringFlag(input, 'out');
    if (!out) throw new UsageError('missing --out DIR');
    const [{ withCoordinator }, { fetchCheckpoint }, { checkpointJson }, { describeSaved }] = await Promise.all([
      import('../coordinator-session.js'),
      import('../checkpoint-download.js'),
      import('../sweep-views.js'),
      import('../format.js'),
    ]);
    const saved = await withCoordinator((connection) => fetchCheckpoint(connection, { trialId: input.positionals[0] }, out));
    console.log(
      booleanFlag(input, 'json') ? JSON.stringify({ path: saved.dir, checkpoint: checkpointJson(saved.checkpoint) }) : describeSaved(saved),
    );
    return 0;
  },
};
