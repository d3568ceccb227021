/**
 * A compute thread in a `worker_thread` with its own TensorFlow.js instance (and so
 * its own wasm instance on the wasm backend). Control goes by postMessage; weights,
 * images and gradients through the shared buffers named in its setup.
 */
import { Worker } from 'node:worker_threads';
import type { KlSums, ShardSums } from '@jvae/model';
import { TrainingError } from '../training-error.js';
import type { GradientTask } from './shard-computer.js';
import type { ThreadReply, ThreadRequest, ThreadSetup } from './thread-protocol.js';

// Workers do not inherit the parent's `--import tsx` loader in Node 20, so the thread
// registers tsx itself before importing its TypeScript entry.
const TSX_API = import.meta.resolve('tsx/esm/api');
const ENTRY = new URL('./compute-thread.ts', import.meta.url).href;
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY)}); });`;

type Pending = {
  resolve: (value: ShardSums) => void;
  reject: (err: Error) => void;
  onKl: (sums: KlSums) => void;
};

export class WorkerComputeThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly index: number,
  ) {
    worker.on('message', (reply: ThreadReply) => this.settle(reply));
    worker.on('error', (err) => this.fail(err.message));
    worker.on('exit', (code) => this.fail(`exited with code ${code}`));
  }

  /** Starts the thread and resolves once its backend and model are ready. */
  static start(setup: ThreadSetup): Promise<WorkerComputeThread> {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: setup });
    return new Promise((resolve, reject) => {
      // Only these listeners are removed: Worker keeps internal ones of its own.
      const onError = (err: Error) => failed(err.message);
      const onExit = (code: number) => failed(`exited with code ${code}`);
      const onMessage = (reply: ThreadReply) => {
        if (reply.type !== 'ready') return failed(`unexpected first message ${reply.type}`);
        detach();
        resolve(new WorkerComputeThread(worker, setup.index));
      };
      const detach = () => {
        worker.off('error', onError).off('exit', onExit).off('message', onMessage);
      };
      const failed = (reason: string) => {
        detach();
        void worker.terminate();
        reject(new TrainingError(`compute thread ${setup.index} failed to start: ${reason}`));
      };
      worker.on('error', onError).on('exit', onExit).on('message', onMessage);
    });
  }

  /** Runs a gradient pass; `onKl` receives the slice's KL sums mid-pass, while the thread waits on the exchange. */
  gradients(task: GradientTask, onKl: (sums: KlSums) => void): Promise<ShardSums> {
    if (this.failure) return Promise.reject(this.failure);
    const request: ThreadRequest = { id: this.nextId++, task };
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject, onKl });
      this.worker.postMessage(request);
    });
  }

  /** Terminates the thread; requests still pending are rejected. */
  async close(): Promise<void> {
    if (!this.failure) this.fail('closed');
    await this.worker.terminate();
  }

  private settle(reply: ThreadReply): void {
    if (reply.type === 'ready') return;
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.type === 'kl') return pending.onKl(reply.sums);
    this.pending.delete(reply.id);
    if (reply.type === 'result') pending.resolve(reply.result);
    else pending.reject(new TrainingError(`compute thread ${this.index}: ${reply.message}`));
  }

  private fail(reason: string): void {
    this.failure ??= new TrainingError(`compute thread ${this.index} ${reason === 'closed' ? 'was closed' : `failed: ${reason}`}`);
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}
