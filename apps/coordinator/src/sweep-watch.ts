import type * as grpc from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import { FINAL_SWEEP_STATES, type SweepEvent, type WatchSweepRequest__Output } from '@jvae/protocol';
import { EventLog, type LoggedEvent, type SweepStore } from '@jvae/store';
import { toProtoMetric } from './proto-mapping.js';
import type { SweepViews } from './sweep-views.js';

/** How long one blocking read waits before the sweep's state is looked at again. */
const POLL_MS = 5000;

/**
 * Streams one sweep to a watcher: a full snapshot, then every change from the sweep's event
 * stream (read after the id current at the snapshot, so nothing falls between), and a new
 * snapshot whenever the sweep's own state changes. Ends after the snapshot that shows the
 * sweep final, or when the client goes away. The caller ends the call, or fails it with
 * what `run` throws.
 */
export class SweepWatch {
  private closed = false;

  constructor(
    private readonly call: grpc.ServerWritableStream<WatchSweepRequest__Output, SweepEvent>,
    private readonly store: SweepStore,
    private readonly views: SweepViews,
    /** A connection of its own (reads block on it); disconnected when the watch ends. */
    private readonly connection: Redis,
  ) {
    call.on('cancelled', () => this.close());
  }

  async run(): Promise<void> {
    const sweepId = this.call.request.id;
    try {
      const events = new EventLog(this.connection, this.store.prefix);
      let last = await events.latestId(sweepId);
      if (await this.sendSnapshot(sweepId)) return;
      while (!this.closed) {
        const batch = await events.readSweep(sweepId, last, { blockMs: POLL_MS });
        if (this.closed) return;
        for (const entry of batch) last = entry.id;
        if (await this.forward(sweepId, batch)) return;
        // Quiet, or trials changed: the sweep may have become final without an event of its own yet.
        if ((batch.length === 0 || batch.some((e) => e.event.type === 'trial')) && (await this.isFinal(sweepId))) {
          await this.sendSnapshot(sweepId);
          return;
        }
      }
    } catch (error) {
      // Reads fail once the client went away and the connection was dropped: that is the end.
      if (!this.closed) throw error;
    } finally {
      this.close();
    }
  }

  /** Sends the batch's changes; true when a final snapshot was sent. */
  private async forward(sweepId: string, batch: readonly LoggedEvent[]): Promise<boolean> {
    const changed = new Set<string>();
    for (const { event } of batch) {
      if (event.type === 'sweep') {
        if (await this.sendSnapshot(sweepId)) return true;
        changed.clear();
        continue;
      }
      changed.add(event.trialId);
      if (event.type === 'eval' && this.call.request.metrics) {
        this.call.write({ metric: toProtoMetric(event.trialId, event) });
      }
    }
    for (const trialId of changed) {
      const trial = await this.store.getTrial(trialId);
      if (trial) this.call.write({ trial: await this.views.trial(trial) });
    }
    return false;
  }

  /** Sends a full snapshot; true when it shows the sweep final. */
  private async sendSnapshot(sweepId: string): Promise<boolean> {
    const snapshot = await this.views.sweep(sweepId);
    this.call.write({ snapshot });
    return FINAL_SWEEP_STATES.includes(snapshot.state as (typeof FINAL_SWEEP_STATES)[number]);
  }

  private async isFinal(sweepId: string): Promise<boolean> {
    const sweep = await this.store.requireSweep(sweepId);
    return sweep.state === 'completed' || sweep.state === 'failed' || sweep.state === 'cancelled';
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.disconnect();
  }
}
