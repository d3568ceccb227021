// Every Redis key the project writes, in one place. All live under one prefix
// (JVAE_PREFIX) so several installations, or tests, can share a Redis.

/** BullMQ queue names (the queues' keys are under `bullPrefix(prefix)`). */
export const QUEUES = {
  /** One job per trial (per trial attempt); workers take them one at a time. */
  trials: 'trials',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The `prefix` option to give BullMQ Queue/Worker objects. */
export function bullPrefix(prefix: string): string {
  return `${prefix}:bull`;
}

/** An id that cannot be used in a key; ids come from outside and must not forge other keys. */
export class InvalidIdError extends Error {
  constructor(kind: string, id: string) {
    super(`invalid ${kind} id '${id}': use 1-128 of letters, digits, '_', '.' and '-'`);
    this.name = 'InvalidIdError';
  }
}

/** Allowed key prefixes (JVAE_PREFIX). */
export const PREFIX_PATTERN = /^[A-Za-z0-9_.-]+$/;

const ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** Returns `id` when it is safe inside a key (and as a file name); throws InvalidIdError otherwise. */
export function checkId(kind: string, id: string): string {
  if (typeof id !== 'string' || !ID.test(id) || id === '.' || id === '..') throw new InvalidIdError(kind, id);
  return id;
}

function checkBracket(bracket: number): number {
  if (!Number.isSafeInteger(bracket) || bracket < 0) throw new RangeError(`invalid Hyperband bracket ${bracket}: expected an integer ≥ 0`);
  return bracket;
}

function checkRung(rung: number): number {
  if (!Number.isSafeInteger(rung) || rung < 1) throw new RangeError(`invalid ASHA rung ${rung}: expected a step ≥ 1`);
  return rung;
}

export interface RedisKeys {
  /** SORTED SET of sweep ids scored by creation time (ms). */
  sweeps(): string;
  /** HASH of one sweep's fields (spec, state, metric, goal, times, ...). */
  sweep(sweepId: string): string;
  /** SORTED SET of the sweep's trial ids scored by trial index. */
  sweepTrials(sweepId: string): string;
  /** STREAM of the sweep's change events (trial updates, metric reports, state changes), for watchers. */
  sweepEvents(sweepId: string): string;
  /** HASH of the values recorded at one rung (a step) of ASHA, or of one Hyperband bracket: field = trial id. */
  sweepRung(sweepId: string, rung: number, bracket?: number): string;
  /** HASH of one trial's fields (state, step, params, worker, metric, checkpoint id, ...). */
  trial(trialId: string): string;
  /** LIST of the trial's metric reports, oldest first, each a JSON object with step, time and values. */
  trialMetrics(trialId: string): string;
  /** SORTED SET of the trial's stored checkpoint ids scored by step. */
  trialCheckpoints(trialId: string): string;
  /** STRING: why the trial must stop ('asha' or 'cancel'); absent while it may go on. */
  trialStop(trialId: string): string;
  /** HASH of one stored checkpoint (trial, step, manifest JSON, location, time). */
  checkpoint(checkpointId: string): string;
  /** HASH of workers: field = worker id, value = JSON (host, pid, backend, state, trial, heartbeat). */
  workers(): string;
  /** STREAM of every sweep's events, consumed by the coordinator with a consumer group. */
  events(): string;
  /** HASH where the ranks of a data-parallel trial rendezvous (members, addresses, generation). */
  rendezvous(trialId: string): string;
  /** STRING: what the worker is committed to (JSON: trial, role); absent while it is free. */
  workerSeat(workerId: string): string;
  /** Glob matching every key under the prefix, BullMQ's included, for inspection and cleanup. */
  pattern(): string;
}

/** The key map under `prefix`; ids are checked with checkId. */
export function keys(prefix: string): RedisKeys {
  if (!PREFIX_PATTERN.test(prefix)) throw new Error(`invalid key prefix '${prefix}'`);
  const p = prefix;
  return {
    sweeps: () => `${p}:sweeps`,
    sweep: (id) => `${p}:sweep:${checkId('sweep', id)}`,
    sweepTrials: (id) => `${p}:sweep:${checkId('sweep', id)}:trials`,
    sweepEvents: (id) => `${p}:sweep:${checkId('sweep', id)}:events`,
    sweepRung: (id, rung, bracket) =>
      `${p}:sweep:${checkId('sweep', id)}:${bracket === undefined ? '' : `bracket:${checkBracket(bracket)}:`}rung:${checkRung(rung)}`,
    trial: (id) => `${p}:trial:${checkId('trial', id)}`,
    trialMetrics: (id) => `${p}:trial:${checkId('trial', id)}:metrics`,
    trialCheckpoints: (id) => `${p}:trial:${checkId('trial', id)}:checkpoints`,
    trialStop: (id) => `${p}:trial:${checkId('trial', id)}:stop`,
    checkpoint: (id) => `${p}:checkpoint:${checkId('checkpoint', id)}`,
    workers: () => `${p}:workers`,
    events: () => `${p}:events`,
    rendezvous: (id) => `${p}:rendezvous:${checkId('trial', id)}`,
    workerSeat: (id) => `${p}:worker:${checkId('worker', id)}:seat`,
    pattern: () => `${p}:*`,
  };
}
