/** Messages between the trainer and a compute thread (data itself goes through shared memory). */
import type { TrainConfig } from '@jvae/model/config';
import type { KlSums, ShardSums } from '@jvae/model';
import type { GradientTask } from './shard-computer.js';

/** What a compute thread starts from (its workerData). */
export interface ThreadSetup {
  index: number;
  /** A concrete backend name, as the trainer's own selection reported it. */
  backend: string;
  config: TrainConfig;
  weights: SharedArrayBuffer;
  images: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  /** The KlExchange the pool releases each step's threads through. */
  exchange: SharedArrayBuffer;
}

export type ThreadRequest = { id: number; task: GradientTask };

export type ThreadReply =
  | { type: 'ready' }
  /** Mid-pass: the slice's KL sums; the thread then waits on the exchange. */
  | { type: 'kl'; id: number; sums: KlSums }
  | { type: 'result'; id: number; result: ShardSums }
  | { type: 'failed'; id: number; message: string };
