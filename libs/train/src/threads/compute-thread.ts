/** Entry point of a compute thread: selects its own backend, builds its model, answers requests. */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '@jvae/model';
import { ShardComputer } from './shard-computer.js';
import type { ThreadReply, ThreadRequest, ThreadSetup } from './thread-protocol.js';

const setup = workerData as ThreadSetup;
const port = parentPort!;

await selectBackend(setup.backend);
const computer = ShardComputer.create(setup.config, {
  weights: new Float32Array(setup.weights),
  images: new Float32Array(setup.images),
  grads: new Float32Array(setup.grads),
});

port.on('message', (request: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    const result = request.kind === 'kl' ? computer.klSums(request.task) : computer.gradients(request.task);
    reply = { type: 'result', id: request.id, result };
  } catch (err) {
    reply = { type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ type: 'ready' } satisfies ThreadReply);
