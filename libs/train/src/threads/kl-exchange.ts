/**
 * Where the compute threads of a step meet mid-pass. Each thread reports its shard's KL
 * sums and waits here; the pool sums them (and reduces them across ranks), then releases
 * every waiting thread with the global batch's KL means, or with an abandonment when the
 * step failed elsewhere. Shared memory, so a worker thread can block on it while the main
 * thread stays free for the asynchronous reduction.
 */
import type { GlobalKl } from '@jvae/model';

/** Int32 slots: the release count, and whether the latest release abandoned its step. */
const GENERATION = 0;
const ABANDONED = 1;

/** The message a thread fails with when its step was abandoned because of a failure elsewhere. */
export const STEP_ABANDONED = 'step abandoned: another thread or rank failed';

export class KlExchange {
  private readonly control: Int32Array;
  private readonly means: Float64Array;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.control = new Int32Array(buffer, 0, 2);
    this.means = new Float64Array(buffer, 8, 2);
  }

  static create(): KlExchange {
    return new KlExchange(new SharedArrayBuffer(8 + 2 * Float64Array.BYTES_PER_ELEMENT));
  }

  /** The exchange of another thread, from its buffer. */
  static attach(buffer: SharedArrayBuffer): KlExchange {
    return new KlExchange(buffer);
  }

  /** Releases so far: a step's tasks carry the value from before their release. */
  get generation(): number {
    return Atomics.load(this.control, GENERATION);
  }

  /**
   * The means of the release after `generation`. With `block`, waits for it (worker
   * threads); without, it must have happened already (a thread on the pool's own thread,
   * whose release is synchronous). Throws if that release abandoned the step.
   */
  await(generation: number, block: boolean): GlobalKl {
    while (Atomics.load(this.control, GENERATION) === generation) {
      if (!block) throw new Error('the step was not released: a thread on the main thread cannot wait for a reduction');
      Atomics.wait(this.control, GENERATION, generation);
    }
    if (Atomics.load(this.control, ABANDONED) === 1) throw new Error(STEP_ABANDONED);
    return { klCont: this.means[0], klDisc: this.means[1] };
  }

  /** Wakes every waiting thread with the global means, or `null` to abandon the step. */
  release(global: GlobalKl | null): void {
    if (global) {
      this.means[0] = global.klCont;
      this.means[1] = global.klDisc;
    }
    Atomics.store(this.control, ABANDONED, global ? 0 : 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
  }
}
