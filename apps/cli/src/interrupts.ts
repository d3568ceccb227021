/**
 * SIGINT / SIGTERM as an AbortSignal for a foreground service: the first one
 * asks for a clean stop, a second one exits at once.
 */
export class Interrupts {
  private readonly controller = new AbortController();
  private readonly handler = (signal: NodeJS.Signals) => this.receive(signal);

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  /** Aborted (with the signal's name as reason) on the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Resolves with the signal's name once one arrives. */
  received(): Promise<NodeJS.Signals> {
    const { signal } = this.controller;
    if (signal.aborted) return Promise.resolve(signal.reason as NodeJS.Signals);
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason as NodeJS.Signals), { once: true }));
  }

  /** Restores the default handling of both signals. */
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }

  private receive(signal: NodeJS.Signals): void {
    if (this.controller.signal.aborted) {
      this.log(`${signal} again: exiting now`);
      process.exit(130);
    }
    this.log(`${signal}: stopping cleanly (press Ctrl-C again to exit at once)`);
    this.controller.abort(signal);
  }
}
