import { setTimeout as sleep } from 'node:timers/promises';
import { RingError, type GradSyncServer } from '@jvae/gradsync';
import type { Rendezvous, SweepStore, TrialGangs, WorkerRegistry } from '@jvae/store';
import { isTerminalTrialState } from '@jvae/sweep';
import { RankReducer } from './rank-reducer.js';
import { TrialAttempt, type TrialAttemptDeps } from './trial-attempt.js';
import { TrialInterrupt } from './trial-interrupt.js';

export interface GangFollowerDeps extends TrialAttemptDeps {
  gangs: TrialGangs;
  registry: WorkerRegistry;
  server: GradSyncServer;
  /** Silence after which a ring peer counts as gone. */
  ringTimeoutMs: number;
  /** How long a rank whose ring broke waits for its leader to re-form the gang. */
  reformWaitMs: number;
  pollMs: number;
}

/**
 * A worker whose seat a leader claimed: trains its rank of the trial at every generation it is
 * a member of, until the trial is trained, its leader stops it, or no new generation includes
 * it in time (the leader re-formed without it, or died: its job then goes to another worker,
 * this one soon among them); then frees its seat.
 */
export class GangFollower {
  constructor(private readonly deps: GangFollowerDeps) {}

  async follow(trialId: string, signal: AbortSignal): Promise<void> {
    const { gangs, store, workerId, log } = this.deps;
    let generation = 0;
    try {
      for (;;) {
        const rendezvous = await this.nextGeneration(trialId, generation, signal);
        if (!rendezvous) return;
        generation = rendezvous.generation;
        const trial = await store.getTrial(trialId);
        if (!trial || isTerminalTrialState(trial.state)) return;
        if (await this.trainGeneration(trial, rendezvous, signal)) return;
      }
    } catch (err) {
      if (!signal.aborted) log(`trial ${trialId}: follower stopped: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await gangs.releaseSeat(workerId, trialId);
    }
  }

  /** Trains one generation; true when the trial needs this rank no more, false when its ring broke. */
  private async trainGeneration(
    trial: NonNullable<Awaited<ReturnType<SweepStore['getTrial']>>>,
    rendezvous: Rendezvous,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { server, workerId, ringTimeoutMs, log } = this.deps;
    const rank = rendezvous.members.indexOf(workerId);
    const world = rendezvous.members.length;
    const ring = server.joinRing({
      groupId: trial.id,
      generation: rendezvous.generation,
      rank,
      world,
      predecessor: rendezvous.addresses[(rank + world - 1) % world],
      timeoutMs: ringTimeoutMs,
    });
    const attempt = new TrialAttempt(trial, signal, this.deps, {
      rank,
      world,
      reducer: new RankReducer(ring),
      checkpointId: rendezvous.checkpointId,
    });
    try {
      await attempt.train();
      log(`trial ${trial.id}: rank ${rank} trained to step ${attempt.step}`);
      return true;
    } catch (err) {
      // Stopped with its leader: the trial ended (its rendezvous goes), or it re-forms bigger.
      if (err instanceof TrialInterrupt) return false;
      if (err instanceof RingError) {
        log(`trial ${trial.id}: rank ${rank} of generation ${rendezvous.generation}: ${err.message}`);
        return false;
      }
      throw err;
    } finally {
      await ring.close();
    }
  }

  /** The first generation after `after` that includes this worker; null once none comes in time. */
  private async nextGeneration(trialId: string, after: number, signal: AbortSignal): Promise<Rendezvous | null> {
    const { gangs, registry, workerId, reformWaitMs, pollMs } = this.deps;
    const deadline = Date.now() + reformWaitMs;
    while (Date.now() < deadline) {
      const seat = await gangs.seat(workerId);
      if (seat?.trialId !== trialId) return null;
      const rendezvous = await gangs.rendezvous(trialId);
      if (!rendezvous) return null;
      if (rendezvous.generation > after) return rendezvous.members.includes(workerId) ? rendezvous : null;
      const leader = (await registry.list()).find((w) => w.id === rendezvous.members[0]);
      if (after > 0 && (!leader || leader.state === 'lost')) return null;
      await sleep(pollMs, undefined, { signal });
    }
    return null;
  }
}
