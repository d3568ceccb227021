import type { Redis } from 'ioredis';
import { checkId, keys, type RedisKeys } from '@jvae/protocol';
import { CLAIM_GANG, RELEASE_SEAT } from './scripts.js';

/** Where a trial stands in the order that decides which forming gang may take a worker from another. */
export interface GangPriority {
  sweepCreatedAt: number;
  sweepId: string;
  trialIndex: number;
}

/**
 * What a worker is committed to. `forming`: it took the trial's job and is gathering its gang
 * (an older forming gang may take it); `leader`, `follower`: a rank of the trial's gang; `solo`:
 * training a trial alone.
 */
export interface Seat {
  trialId: string;
  role: 'forming' | 'leader' | 'follower' | 'solo';
  /** For `forming` seats. */
  priority?: GangPriority;
}

/** A held seat with the exact value stored, for compare-and-set claims. */
export interface HeldSeat extends Seat {
  raw: string;
}

/** The record the ranks of a data-parallel trial meet at. */
export interface Rendezvous {
  trialId: string;
  /** Bumped at every (re-)form; rings of other generations refuse each other. */
  generation: number;
  /** Worker ids in rank order: members[0] leads. */
  members: string[];
  /** Each member's GradSync address, in the same order. */
  addresses: string[];
  /** The checkpoint every rank starts this generation from; null for the start. */
  checkpointId: string | null;
  updatedAt: number;
}

export interface GangClaim {
  trialId: string;
  /** The rendezvous generation read before choosing (null before the first). */
  generation: number | null;
  /** Worker ids in rank order, the leader first. */
  members: string[];
  addresses: string[];
  checkpointId: string | null;
  /** The seat value of each member as read when it was chosen (absent = free). */
  expected: ReadonlyMap<string, string>;
}

/**
 * Seats (what each worker is committed to) and rendezvous records of data-parallel trials. A
 * worker takes its own seat before training a job, and a leader claims its followers' seats
 * and writes the rendezvous in one atomic step, so that no worker is ever in two gangs.
 */
export class TrialGangs {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = keys(prefix);
  }

  /** The seats of the workers that hold one. */
  async seats(workerIds: readonly string[]): Promise<Map<string, HeldSeat>> {
    if (workerIds.length === 0) return new Map();
    const raws = await this.redis.mget(...workerIds.map((id) => this.keys.workerSeat(id)));
    const seats = new Map<string, HeldSeat>();
    raws.forEach((raw, i) => {
      if (raw) seats.set(workerIds[i]!, { ...(JSON.parse(raw) as Seat), raw });
    });
    return seats;
  }

  async seat(workerId: string): Promise<HeldSeat | null> {
    return (await this.seats([workerId])).get(workerId) ?? null;
  }

  /** Takes the worker's own free seat; false when it is held (a leader claimed the worker). */
  async takeSeat(workerId: string, seat: Seat): Promise<boolean> {
    return (await this.redis.set(this.keys.workerSeat(workerId), JSON.stringify(seat), 'NX')) === 'OK';
  }

  /** Frees the worker's seat if it is held for `trialId`; true if it was. */
  async releaseSeat(workerId: string, trialId: string): Promise<boolean> {
    return (await RELEASE_SEAT.run(this.redis, [this.keys.workerSeat(workerId)], [trialId])) === 1;
  }

  /** Frees whatever seat the worker holds (a worker starting anew is committed to nothing). */
  async clearSeat(workerId: string): Promise<void> {
    await this.redis.del(this.keys.workerSeat(checkId('worker', workerId)));
  }

  /** Seats the members and writes the rendezvous, if nothing changed since they were read; true when done. */
  async claim(claim: GangClaim): Promise<boolean> {
    const { members, trialId } = claim;
    if (members.length !== claim.addresses.length) throw new Error('a gang claim needs one address per member');
    const next = members.map((_id, rank): Seat => ({ trialId, role: rank === 0 ? 'leader' : 'follower' }));
    const applied = await CLAIM_GANG.run(
      this.redis,
      [this.keys.rendezvous(trialId), ...members.map((id) => this.keys.workerSeat(id))],
      [
        claim.generation === null ? '' : String(claim.generation),
        String((claim.generation ?? 0) + 1),
        JSON.stringify(members),
        JSON.stringify(claim.addresses),
        claim.checkpointId ?? '',
        Date.now(),
        ...members.map((id) => claim.expected.get(id) ?? ''),
        ...next.map((seat) => JSON.stringify(seat)),
      ],
    );
    return applied === 1;
  }

  async rendezvous(trialId: string): Promise<Rendezvous | null> {
    const hash = await this.redis.hgetall(this.keys.rendezvous(trialId));
    if (!hash.generation) return null;
    return {
      trialId,
      generation: Number(hash.generation),
      members: JSON.parse(hash.members ?? '[]') as string[],
      addresses: JSON.parse(hash.addresses ?? '[]') as string[],
      checkpointId: hash.checkpointId || null,
      updatedAt: Number(hash.updatedAt ?? 0),
    };
  }

  /** Ends the trial's gang: no rank waits for another generation. */
  async endRendezvous(trialId: string): Promise<void> {
    await this.redis.del(this.keys.rendezvous(trialId));
  }
}
