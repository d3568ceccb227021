/** Entry point of a compute thread: selects its own backend, builds its model, answers requests. */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '@jvae/model';
import { KlExchange } from './kl-exchange.js';
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
const exchange = KlExchange.attach(setup.exchange);

const send = (reply: ThreadReply) => port.postMessage(reply);

port.on('message', ({ id, task }: ThreadRequest) => {
  try {
    const result = computer.gradients(task, (sums) => {
      send({ type: 'kl', id, sums });
      return exchange.await(task.generation, true);
    });
    send({ type: 'result', id, result });
  } catch (err) {
    send({ type: 'failed', id, message: err instanceof Error ? err.message : String(err) });
  }
});
send({ type: 'ready' });
