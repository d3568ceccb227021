import type { NewWorker, WorkerActivity, WorkerRegistry } from '@jvae/store';

/**
 * This worker's entry in the worker registry: registered on start, refreshed every
 * heartbeat interval and on every change of activity, registered again if it was pruned
 * (after a long pause), removed on stop. Heartbeats run one at a time, so the removal
 * cannot be undone by a heartbeat still in flight.
 */
export class RegistryPresence {
  private timer: NodeJS.Timeout | undefined;
  private activity: WorkerActivity = 'idle';
  private trialId: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly info: NewWorker;

  constructor(
    private readonly registry: WorkerRegistry,
    info: NewWorker,
    private readonly log: (message: string) => void,
  ) {
    this.info = { ...info, startedAt: info.startedAt ?? Date.now() };
  }

  get id(): string {
    return this.info.id;
  }

  async start(): Promise<void> {
    await this.registry.register({ ...this.info, state: 'idle' });
    this.timer = setInterval(() => void this.beat(), this.registry.heartbeatMs);
    this.timer.unref();
  }

  /** Records what the worker is doing now (and refreshes the heartbeat). */
  update(activity: WorkerActivity, trialId?: string): Promise<void> {
    this.activity = activity;
    this.trialId = trialId;
    return this.beat();
  }

  /** Stops heartbeating and removes the entry. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.queue;
    await this.registry.remove(this.info.id);
  }

  private beat(): Promise<void> {
    this.queue = this.queue.then(async () => {
      const patch = { state: this.activity, trialId: this.trialId ?? null };
      try {
        const info = await this.registry.heartbeat(this.info.id, patch);
        if (!info) {
          this.log('registry entry was pruned; registering again');
          const trial = this.trialId ? { trialId: this.trialId } : {};
          await this.registry.register({ ...this.info, state: this.activity, ...trial });
        }
      } catch (err) {
        this.log(`heartbeat failed: ${(err as Error).message}`);
      }
    });
    return this.queue;
  }
}
