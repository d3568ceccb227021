// A child process of bench/scaling.bench.ts: one trainer of the run. Driven over IPC:
//   {role: 'rank', rank, world, float16} -> {address}; then {predecessor} joins the ring of the trial
//   {role: 'alone'}              -> {ready}: trains by itself (world 1)
//   {run: {batch, steps, warmup}} -> {samplesPerSecond, loss, weights}: `batch` is the global batch;
//                                   samples/s counts the global batch over the timed steps
import { performance } from 'node:perf_hooks';
import { loadDataset } from '@jvae/data';
import { resolveTrainConfig } from '@jvae/model/config';
import { GradSyncServer, type RingMember } from '@jvae/gradsync';
import { Trainer, type GradientReducer } from '@jvae/train';

type Command =
  | { role: 'rank'; rank: number; world: number; float16: boolean }
  | { role: 'alone' }
  | { predecessor: string }
  | { run: { batch: number; steps: number; warmup: number } };

const reply = (message: object) => process.send!(message);
let placement = { rank: 0, world: 1 };
let float16 = false;
let reducer: GradientReducer | undefined;
let server: GradSyncServer | undefined;

async function train(batch: number, steps: number, warmup: number) {
  const dataset = await loadDataset('mnist-sample');
  const config = resolveTrainConfig({ preset: 'mnist' }, { batchSize: batch, steps: warmup + steps, evalEvery: 0, checkpointEvery: 0 });
  const stepTimes: number[] = [];
  let last = performance.now();
  let loss = NaN;
  const trainer = await Trainer.open(config, dataset, {
    threads: 1,
    ...placement,
    reducer,
    onProgress: (p) => {
      const now = performance.now();
      if (p.step > warmup) stepTimes.push(now - last);
      last = now;
      loss = p.loss;
    },
  });
  try {
    await trainer.run();
    const seconds = stepTimes.reduce((a, b) => a + b, 0) / 1000;
    return { samplesPerSecond: (stepTimes.length * batch) / seconds, loss, weights: Array.from(trainer.state().weights.subarray(0, 64)) };
  } finally {
    await trainer.close();
  }
}

process.on('message', async (command: Command) => {
  if ('role' in command) {
    if (command.role === 'alone') return reply({ ready: true });
    placement = { rank: command.rank, world: command.world };
    float16 = command.float16;
    server = await GradSyncServer.start({ listen: '127.0.0.1:0' });
    reply({ address: server.address });
  } else if ('predecessor' in command) {
    const member: RingMember = server!.joinRing({ groupId: 'scaling', generation: 0, ...placement, float16, predecessor: command.predecessor, timeoutMs: 120_000 });
    reducer = member;
    reply({ joined: true });
  } else {
    const { batch, steps, warmup } = command.run;
    reply(await train(batch, steps, warmup));
    await server?.close();
  }
});
