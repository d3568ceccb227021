import type * as grpc from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import { FINAL_SWEEP_STATES, type SweepEvent, type WatchSweepRequest__Output } from '@jvae/protocol';
import { SweepWatch } from '@jvae/orchestration';
import type { SweepStore } from '@jvae/store';
import { toProtoMetric } from './proto-mapping.js';
import type { SweepViews } from './sweep-views.js';

/**
 * Serves one WatchSweep call: a SweepWatch whose snapshots, trial listings, changed trials and
 * (when asked for) metrics become SweepEvent messages, ended when the client goes away. The caller ends the
 * call, or fails it with what this throws.
 */
export async function streamSweepWatch(
  call: grpc.ServerWritableStream<WatchSweepRequest__Output, SweepEvent>,
  store: SweepStore,
  views: SweepViews,
  /** A connection of its own (reads block on it); disconnected when the watch ends. */
  connection: Redis,
): Promise<void> {
  const sweepId = call.request.id;
  const watch = new SweepWatch(store, connection, sweepId, {
    async snapshot() {
      const snapshot = await views.summary(await store.requireSweep(sweepId));
      call.write({ snapshot });
      return FINAL_SWEEP_STATES.includes(snapshot.state as (typeof FINAL_SWEEP_STATES)[number]);
    },
    async trials(trials) {
      call.write({ trials: { trials: await views.trials(trials) } });
    },
    evaluation(event) {
      if (call.request.metrics) call.write({ metric: toProtoMetric(event.trialId, event) });
    },
    async trial(trial) {
      call.write({ trial: await views.trial(trial) });
    },
  });
  call.on('cancelled', () => watch.close());
  await watch.run();
}
