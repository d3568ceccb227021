/** Messages between the trainer and a compute thread (data itself goes through shared memory). */
import type { TrainConfig } from '@jvae/model/config';
import type { KlSums, ShardSums } from '@jvae/model';
import type { GradientTask, KlTask } from './shard-computer.js';

/** What a compute thread starts from (its workerData). */
export interface ThreadSetup {
  index: number;
  /** A concrete backend name, as the trainer's own selection reported it. */
  backend: string;
  config: TrainConfig;
  weights: SharedArrayBuffer;
  images: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

export type ThreadRequest =
  | { id: number; kind: 'kl'; task: KlTask }
  | { id: number; kind: 'gradients'; task: GradientTask };

export type ThreadReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: KlSums | ShardSums }
  | { type: 'failed'; id: number; message: string };
