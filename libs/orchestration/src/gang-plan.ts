import type { GangPriority } from '@jvae/store';
import type { ReplicaRange } from '@jvae/sweep';

/**
 * The pure decisions behind forming a data-parallel gang: which workers a trial's leader claims,
 * and who stays when a gang re-forms. Redis only makes the chosen claim atomic.
 */

/** Negative when `a` is older than `b` (it wins a contested worker); a total order, so no two gangs wait on each other. */
export function comparePriority(a: GangPriority, b: GangPriority): number {
  if (a.sweepCreatedAt !== b.sweepCreatedAt) return a.sweepCreatedAt - b.sweepCreatedAt;
  if (a.sweepId !== b.sweepId) return a.sweepId < b.sweepId ? -1 : 1;
  return a.trialIndex - b.trialIndex;
}

/** A worker a leader might claim: idle, or leading a gang that is still forming. */
export interface GangCandidate {
  workerId: string;
  /** The trial this worker leads while its gang forms; absent when it is idle. */
  forming?: GangPriority;
}

/**
 * The followers a leader of `trial` claims, in rank order (rank 1 first): idle workers before
 * leaders of younger forming gangs, up to `replicas.max − 1`. All or nothing: an empty list when
 * fewer than `replicas.min − 1` can be claimed, so no worker is held while the gang cannot start.
 */
export function chooseFollowers(trial: GangPriority, replicas: ReplicaRange, candidates: readonly GangCandidate[]): string[] {
  checkRange(replicas);
  const idle = candidates.filter((c) => c.forming === undefined);
  const younger = candidates
    .filter((c) => c.forming !== undefined && comparePriority(trial, c.forming) < 0)
    .sort((a, b) => comparePriority(b.forming!, a.forming!));
  const chosen = [...idle, ...younger].slice(0, replicas.max - 1).map((c) => c.workerId);
  return chosen.length < replicas.min - 1 ? [] : chosen;
}

/** Who trains the next generation after a ring failure, or `undefined` when fewer than `min` live. */
export function reformMembers(members: readonly string[], lost: ReadonlySet<string>, replicas: ReplicaRange): string[] | undefined {
  checkRange(replicas);
  const live = members.filter((m) => !lost.has(m)).slice(0, replicas.max);
  return live.length < replicas.min ? undefined : live;
}

function checkRange(replicas: ReplicaRange): void {
  if (!Number.isInteger(replicas.min) || !Number.isInteger(replicas.max) || replicas.min < 1 || replicas.min > replicas.max) {
    throw new RangeError(`replicas must be integers with 1 ≤ min ≤ max (got min ${replicas.min}, max ${replicas.max})`);
  }
}
