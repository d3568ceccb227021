import type { RingMember } from '@jvae/gradsync';
import type { GradientReducer } from '@jvae/train';

/**
 * The trainer's reducer for one rank of a data-parallel trial: sums over the ring, and carries
 * the leader's decision to stop with the step's first exchange (the KL sums, a Float64Array)
 * as one more element, so that every rank learns it at the same step and all of them stop
 * after that step, none left waiting for the others.
 */
export class RankReducer implements GradientReducer {
  private stopRequested = false;
  private stopAfter: number | null = null;

  constructor(private readonly ring: RingMember) {}

  /** Asks every rank to stop (leader only): they all stop after the next step. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** The completed step after which every rank stops; null while they go on. */
  get stopStep(): number | null {
    return this.stopAfter;
  }

  async allReduce(step: number, data: Float32Array | Float64Array): Promise<void> {
    if (!(data instanceof Float64Array)) return this.ring.allReduce(step, data);
    const withFlag = new Float64Array(data.length + 1);
    withFlag.set(data);
    withFlag[data.length] = this.stopRequested ? 1 : 0;
    await this.ring.allReduce(step, withFlag);
    data.set(withFlag.subarray(0, data.length));
    // `step` counts from 0: the step under way ends as completed step `step + 1`.
    if (withFlag[data.length]! > 0 && this.stopAfter === null) this.stopAfter = step + 1;
  }
}
