import { setTimeout as sleep } from 'node:timers/promises';
import { chooseFollowers, reformMembers, type GangCandidate } from '@jvae/orchestration';
import type { GangPriority, HeldSeat, Rendezvous, SweepStore, TrialGangs, TrialRecord, WorkerRegistry, WorkerView } from '@jvae/store';

export interface GangLeaderDeps {
  store: SweepStore;
  gangs: TrialGangs;
  registry: WorkerRegistry;
  workerId: string;
  /** Where this worker's GradSync server is reached: rank 0's address in the gangs it leads. */
  address: string;
  /** How long to wait for `replicas.max` members before starting with at least `replicas.min`. */
  joinTimeoutMs: number;
  /** How often the registry and seats are read again while a gang forms. */
  pollMs: number;
  log: (message: string) => void;
}

/**
 * How the worker that took a data-parallel trial's job gathers its gang. The choice of members is
 * the pure `chooseFollowers` over the live workers that are free, or that lead a younger gang
 * still forming; the claim of their seats is atomic (TrialGangs.claim) and retried when anything
 * changed meanwhile. Since an older forming gang may take the leader of a younger one and never
 * the reverse, the oldest gang that can be formed always is: two gangs never wait on each other.
 */
export class GangLeader {
  constructor(private readonly deps: GangLeaderDeps) {}

  /** The trial's place in the order of gangs: older sweeps first, then lower trial indexes. */
  async priority(trial: TrialRecord): Promise<GangPriority> {
    const sweep = await this.deps.store.requireSweep(trial.sweepId);
    return { sweepCreatedAt: sweep.createdAt, sweepId: sweep.id, trialIndex: trial.index };
  }

  /**
   * Forms the first generation: resolves with its rendezvous, or null when an older gang took
   * this worker meanwhile (its seat is then a follower's: the trial's job must go back).
   */
  async form(trial: TrialRecord, priority: GangPriority, signal: AbortSignal): Promise<Rendezvous | null> {
    const { gangs, workerId, joinTimeoutMs, pollMs } = this.deps;
    const deadline = Date.now() + joinTimeoutMs;
    for (;;) {
      signal.throwIfAborted();
      const own = await gangs.seat(workerId);
      if (own?.trialId !== trial.id || own.role !== 'forming') return null;
      const { workers, seats } = await this.others();
      const followers = chooseFollowers(priority, trial.replicas, candidates(workers, seats));
      const full = followers.length === trial.replicas.max - 1;
      if (full || (Date.now() >= deadline && followers.length >= trial.replicas.min - 1)) {
        const members = [workerId, ...followers];
        const claimed = await this.claim(trial, members, new Map([[workerId, own.raw], ...raws(seats, followers)]), workers);
        if (claimed) return claimed;
      }
      await sleep(pollMs, undefined, { signal });
    }
  }

  /** Whether a gang of `current`'s size could take in a free worker now. */
  async canGrow(trial: TrialRecord, current: Rendezvous): Promise<boolean> {
    if (current.members.length >= trial.replicas.max) return false;
    const { workers, seats } = await this.others();
    return candidates(workers, seats).some((c) => c.forming === undefined);
  }

  /**
   * After generation `failed` ended (its ring broke, or free workers can join): waits until a
   * dead member's heartbeat is stale (`waitForLost`), then re-forms with the live members and
   * free workers, up to `replicas.max`, from the trial's latest checkpoint. Null when fewer than
   * `replicas.min` remain: the trial goes back to the queue.
   */
  async reform(
    trial: TrialRecord,
    failed: Rendezvous,
    priority: GangPriority,
    signal: AbortSignal,
    { waitForLost = true } = {},
  ): Promise<Rendezvous | null> {
    const { gangs, registry, workerId } = this.deps;
    if (waitForLost) await sleep(registry.lostAfterMs + registry.heartbeatMs, undefined, { signal });
    const { workers, seats } = await this.others();
    const live = new Set(workers.map((w) => w.id));
    const lost = new Set(failed.members.filter((m) => m !== workerId && (!live.has(m) || seats.get(m)?.trialId !== trial.id)));
    const kept = reformMembers(failed.members, lost, { min: 1, max: trial.replicas.max });
    if (!kept || kept[0] !== workerId) return null;
    const joining = chooseFollowers(priority, { min: 1, max: trial.replicas.max - kept.length + 1 }, candidates(workers, seats));
    const members = [...kept, ...joining];
    this.deps.log(
      `trial ${trial.id}: re-forming generation ${failed.generation + 1} with ${members.join(', ')}` +
        (lost.size > 0 ? ` (lost ${[...lost].join(', ')})` : ''),
    );
    if (members.length < trial.replicas.min) return null;
    const own = await gangs.seat(workerId);
    if (own?.trialId !== trial.id) return null;
    const current = await this.deps.store.requireTrial(trial.id);
    const expected = new Map([[workerId, own.raw], ...raws(seats, members.slice(1))]);
    return this.claim({ ...trial, checkpointId: current.checkpointId }, members, expected, workers, failed.generation);
  }

  /** Live registered workers other than this one that serve GradSync, and their seats. */
  private async others(): Promise<{ workers: WorkerView[]; seats: Map<string, HeldSeat> }> {
    const workers = (await this.deps.registry.list()).filter((w) => w.id !== this.deps.workerId && w.state !== 'lost' && w.gradsync);
    return { workers, seats: await this.deps.gangs.seats(workers.map((w) => w.id)) };
  }

  private async claim(
    trial: Pick<TrialRecord, 'id' | 'checkpointId'>,
    members: string[],
    expected: Map<string, string>,
    workers: WorkerView[],
    generation: number | null = null,
  ): Promise<Rendezvous | null> {
    const { gangs, workerId } = this.deps;
    const address = new Map([...workers.map((w) => [w.id, w.gradsync!] as const), [workerId, this.deps.address]]);
    const current = generation ?? (await gangs.rendezvous(trial.id))?.generation ?? null;
    const claimed = await gangs.claim({
      trialId: trial.id,
      generation: current,
      members,
      addresses: members.map((m) => address.get(m)!),
      checkpointId: trial.checkpointId ?? null,
      expected,
    });
    return claimed ? gangs.rendezvous(trial.id) : null;
  }
}

/** Workers a leader may claim: free and idle, or leading a gang still forming. */
function candidates(workers: readonly WorkerView[], seats: ReadonlyMap<string, HeldSeat>): GangCandidate[] {
  return workers.flatMap((worker): GangCandidate[] => {
    const seat = seats.get(worker.id);
    if (!seat) return worker.state === 'idle' ? [{ workerId: worker.id }] : [];
    return seat.role === 'forming' && seat.priority ? [{ workerId: worker.id, forming: seat.priority }] : [];
  });
}

function raws(seats: ReadonlyMap<string, HeldSeat>, ids: readonly string[]): [string, string][] {
  return ids.flatMap((id): [string, string][] => {
    const seat = seats.get(id);
    return seat ? [[id, seat.raw]] : [];
  });
}
