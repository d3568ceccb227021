import type { Redis } from 'ioredis';
import { EventLog, type LoggedEvent, type StoreEvent, type SweepStore, type TrialRecord } from '@jvae/store';

/** How long one blocking read waits before the sweep's state is looked at again. */
const POLL_MS = 5000;

export type EvalEvent = Extract<StoreEvent, { type: 'eval' }>;

/** Where a watch sends what it sees; the transport (the WatchSweep gRPC stream) implements it. */
export interface SweepWatchSink {
  /** Sends a full snapshot of the sweep; resolves true when the snapshot sent shows the sweep final. */
  snapshot(): Promise<boolean>;
  /** An evaluation, as it arrives. */
  evaluation(event: EvalEvent): void;
  /** A trial whose record changed. */
  trial(trial: TrialRecord): Promise<void>;
}

/**
 * Follows one sweep for a watcher: a full snapshot, then every change from the sweep's event
 * stream (read after the id current at the snapshot, so nothing falls between), and a new
 * snapshot whenever the sweep's own state changes. Ends after the snapshot that shows the
 * sweep final, or once closed (the watcher went away).
 */
export class SweepWatch {
  private closed = false;

  constructor(
    private readonly store: SweepStore,
    /** A connection of its own (reads block on it); disconnected when the watch ends. */
    private readonly connection: Redis,
    private readonly sweepId: string,
    private readonly sink: SweepWatchSink,
  ) {}

  async run(): Promise<void> {
    try {
      const events = new EventLog(this.connection, this.store.prefix);
      let last = await events.latestId(this.sweepId);
      if (await this.sink.snapshot()) return;
      while (!this.closed) {
        const batch = await events.readSweep(this.sweepId, last, { blockMs: POLL_MS });
        if (this.closed) return;
        for (const entry of batch) last = entry.id;
        if (await this.forward(batch)) return;
        // Quiet, or trials changed: the sweep may have become final without an event of its own yet.
        if ((batch.length === 0 || batch.some((e) => e.event.type === 'trial')) && (await this.isFinal())) {
          await this.sink.snapshot();
          return;
        }
      }
    } catch (error) {
      // Reads fail once the watcher went away and the connection was dropped: that is the end.
      if (!this.closed) throw error;
    } finally {
      this.close();
    }
  }

  /** Ends the watch (the watcher went away); a read in progress fails and `run` returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.disconnect();
  }

  /** Sends the batch's changes; true when a final snapshot was sent. */
  private async forward(batch: readonly LoggedEvent[]): Promise<boolean> {
    const changed = new Set<string>();
    for (const { event } of batch) {
      if (event.type === 'sweep') {
        if (await this.sink.snapshot()) return true;
        changed.clear();
        continue;
      }
      changed.add(event.trialId);
      if (event.type === 'eval') this.sink.evaluation(event);
    }
    for (const trialId of changed) {
      const trial = await this.store.getTrial(trialId);
      if (trial) await this.sink.trial(trial);
    }
    return false;
  }

  private async isFinal(): Promise<boolean> {
    const sweep = await this.store.requireSweep(this.sweepId);
    return sweep.state === 'completed' || sweep.state === 'failed' || sweep.state === 'cancelled';
  }
}
