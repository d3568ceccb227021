import type { Redis } from 'ioredis';
import { EventLog, type LoggedEvent, type StoreEvent, type SweepStore, type TrialRecord } from '@jvae/store';

/** How long one blocking read waits before the sweep's state is looked at again. */
const POLL_MS = 5000;
/** Trials per batch of a full listing: one batch stays far below a gRPC message's size limit. */
const LISTING_BATCH = 500;

export type EvalEvent = Extract<StoreEvent, { type: 'eval' }>;

/** Where a watch sends what it sees; the transport (the WatchSweep gRPC stream) implements it. */
export interface SweepWatchSink {
  /** Sends the sweep without its trials; resolves true when the sweep it sent is final. */
  snapshot(): Promise<boolean>;
  /** A batch of trials as they are now (the full listing comes as several). */
  trials(trials: TrialRecord[]): Promise<void>;
  /** An evaluation, as it arrives. */
  evaluation(event: EvalEvent): void;
  /** A trial whose record changed. */
  trial(trial: TrialRecord): Promise<void>;
}

/**
 * Follows one sweep for a watcher with deltas: the sweep and every trial once, then only what
 * changes, read from the sweep's event stream after the id current before the listing (so
 * nothing falls between), and the sweep again whenever its own state changes. A watcher that
 * fell so far behind that the stream was trimmed past it gets the full listing again. Ends once
 * the sweep is final and its final snapshot sent, or once closed (the watcher went away).
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
      if (await this.sendAll()) return;
      let final = false;
      while (!this.closed) {
        // Once the sweep is final, what is left in the stream is read without waiting, then the watch ends.
        const batch = await events.readSweep(this.sweepId, last, { blockMs: final ? 0 : POLL_MS });
        if (this.closed) return;
        if (batch.length > 0 && (await events.lostAfter(this.sweepId, last))) {
          last = await events.latestId(this.sweepId);
          if (await this.sendAll()) return;
          continue;
        }
        for (const entry of batch) last = entry.id;
        if (await this.forward(batch)) return;
        // Quiet, or trials changed: the sweep may have become final without an event of its own yet.
        if (!final && (batch.length === 0 || batch.some((e) => e.event.type === 'trial'))) final = await this.isFinal();
        if (final && batch.length === 0) {
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

  /**
   * The sweep, then every trial in batches; true when the sweep sent is final, and then the
   * sweep once more, so that a watch always ends with its final snapshot.
   */
  private async sendAll(): Promise<boolean> {
    const final = await this.sink.snapshot();
    const ids = await this.store.trialIds(this.sweepId);
    for (let start = 0; start < ids.length && !this.closed; start += LISTING_BATCH) {
      await this.sink.trials(await this.store.getTrialsById(ids.slice(start, start + LISTING_BATCH)));
    }
    return final && (await this.sink.snapshot());
  }

  /** Sends the batch's changes, each changed trial once and before any snapshot that follows it; true when a final snapshot was sent. */
  private async forward(batch: readonly LoggedEvent[]): Promise<boolean> {
    const changed = new Set<string>();
    for (const { event } of batch) {
      if (event.type === 'sweep') {
        await this.sendChanged(changed);
        if (await this.sink.snapshot()) return true;
        continue;
      }
      changed.add(event.trialId);
      if (event.type === 'eval') this.sink.evaluation(event);
    }
    await this.sendChanged(changed);
    return false;
  }

  private async sendChanged(changed: Set<string>): Promise<void> {
    for (const trial of await this.store.getTrialsById([...changed])) await this.sink.trial(trial);
    changed.clear();
  }

  private async isFinal(): Promise<boolean> {
    const sweep = await this.store.requireSweep(this.sweepId);
    return sweep.state === 'completed' || sweep.state === 'failed' || sweep.state === 'cancelled';
  }
}
