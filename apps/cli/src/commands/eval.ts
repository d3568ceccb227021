/** `jvae eval DIR`: evaluates a checkpoint on its dataset's held-out split (or another). */
import { resolve } from 'node:path';
import { BACKEND_REQUESTS } from '@jvae/model/config';
import type { Command } from '../command.js';
import { booleanFlag, stringFlag } from '../flags.js';
import { formatMetrics } from '../format.js';
import { writeTraversalImage } from '../traversal-image-file.js';

export const evalCommand: Command = {
  path: ['eval'],
  summary: 'Evaluate a checkpoint: loss terms, KL per dimension, discrete accuracy, factor metrics',
  positionals: [{ name: 'DIR', description: 'Checkpoint directory written by jvae train or a sweep' }],
  options: {
    data: { type: 'string', valueName: 'REF', description: "Dataset to evaluate on (default: the checkpoint's own)" },
    backend: { type: 'string', valueName: 'NAME', description: BACKEND_REQUESTS.join(' | ') },
    json: { type: 'boolean', description: 'Print the metrics as one JSON object' },
    traversals: { type: 'string', valueName: 'FILE.png', description: "Also draw the model's latent traversals to this PNG" },
  },
  async run(input) {
    const { evaluateCheckpoint } = await import('@jvae/train');
    const dir = resolve(input.positionals[0]);
    const backend = stringFlag(input, 'backend');
    const metrics = await evaluateCheckpoint(dir, { data: stringFlag(input, 'data'), backend });
    console.log(booleanFlag(input, 'json') ? JSON.stringify(metrics) : formatMetrics(metrics));
    const image = stringFlag(input, 'traversals');
    if (image) {
      await writeTraversalImage(dir, image, backend);
      console.error(`latent traversals: ${image}`);
    }
    return 0;
  },
};
