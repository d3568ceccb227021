/**
 * Why a trial stopped before its last step, other than an error:
 * - `asha`: the scheduler early-stopped it (state `stopped`);
 * - `cancel`: its sweep was cancelled (state `cancelled`);
 * - `shutdown`: the worker is exiting; the trial goes back to the queue, unharmed;
 * - `lost`: the trial is no longer running under this worker (another worker took it over), so
 *   nothing more is written;
 * - `gang`: a follower rank stops with its leader, who records why;
 * - `grow`: free workers can join the leader's data-parallel trial: its gang re-forms bigger
 *   from the checkpoint just stored;
 * - `exploit`: PBT gave the trial another trial's checkpoint and settings; it goes back to the
 *   queue to continue from them;
 * - `pause`: PBT has it wait in the queue, from its checkpoint, for population members behind it.
 */
export type InterruptReason = 'asha' | 'cancel' | 'shutdown' | 'lost' | 'gang' | 'grow' | 'exploit' | 'pause';

/** The abort reason of a trial's signal. */
export class TrialInterrupt extends Error {
  constructor(readonly reason: InterruptReason) {
    super(`trial interrupted: ${reason}`);
    this.name = 'TrialInterrupt';
  }
}
