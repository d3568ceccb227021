import type { Redis } from 'ioredis';
import type { TrainConfig } from '@jvae/model/config';
import { checkId, keys, type RedisKeys } from '@jvae/protocol';
import {
  TRIAL_STATES,
  scheduleSegment,
  scheduleSettingPaths,
  trialRungs,
  type LineageEntry,
  type ScheduleSegment,
  sweepState,
  type RankableTrial,
  type SweepSpec,
  type SweepState,
  type TrialPlan,
  type TrialState,
} from '@jvae/sweep';
import { EventLog } from './event-log.js';
import { newSweepId, trialId as makeTrialId } from './ids.js';
import { NotFoundError } from './not-found-error.js';
import type {
  AttemptFailure,
  CheckpointRecord,
  MetricPoint,
  StopReason,
  StoreEvent,
  SweepRecord,
  TrialRecord,
} from './records.js';
import { STOP_REASONS } from './records.js';
import {
  ADD_CHECKPOINT,
  ADVANCE_PBT_STEP,
  CANCEL_TRIAL,
  EXPLOIT_TRIAL,
  RECORD_EVAL,
  RECORD_RUNG,
  REPORT_STEP,
  REQUEST_STOP,
  TRANSITION_TRIAL,
} from './scripts.js';

export interface NewSweep {
  /** The spec as the user wrote it. */
  specText: string;
  /** The validated spec (`parseSweepSpec(specText)`). */
  spec: SweepSpec;
  /** The trials to queue now: `expandTrials(spec)`, or the first of them when more come later (addTrials). */
  plans: readonly TrialPlan[];
  /** Trials the sweep will have in all (default: the plans given). */
  trialCount?: number;
  /** Defaults to a fresh unique id. */
  id?: string;
}

/** Fields a transition may set along with the state. */
export interface TrialPatch {
  step?: number;
  /** Why the trial failed. */
  error?: string;
  /** Workers training it (for `running`; cleared by any other state). */
  workers?: string[];
  /** The trial's failed attempts so far (replaces the list). */
  failures?: AttemptFailure[];
}

export interface TransitionResult {
  /** Whether the trial was in one of the `from` states and is now in `to`. */
  applied: boolean;
  /** The state before the call; null when the trial does not exist. */
  previous: TrialState | null;
  /** Not completed: PBT gave the trial another trial's checkpoint to continue from (queue it again). */
  exploited?: true;
}

export interface CancelResult {
  /** Queued trials now cancelled (their queue jobs should be removed). */
  cancelled: string[];
  /** Running trials asked to stop; their workers move them to `cancelled`. */
  stopping: string[];
}

export interface AddCheckpointResult {
  /** Whether it became the trial's latest checkpoint (its step is ≥ the previous latest's). */
  latest: boolean;
  /** Checkpoints no longer kept: delete their files. */
  evicted: CheckpointRecord[];
  /** Why the checkpoint was not recorded at all (delete its files), when it was not. */
  refused?: string;
}

/** A PBT exploit, as the scheduler decided it; see exploitTrial. */
export interface Exploit {
  /** The interval step the exploiting trial reached. */
  decidedAt: number;
  /** The donor's checkpoint, copied into the exploiting trial's own (its record, under the new owner). */
  checkpoint: CheckpointRecord;
  /** What the trial trains with from the checkpoint's step on (the donor's seed included). */
  config: TrainConfig;
  lineage: LineageEntry;
  schedule: ScheduleSegment[];
}

export interface ExploitResult {
  /** False when the trial was final, was being cancelled, or was decided at this step already. */
  applied: boolean;
  /** The trial's own checkpoints, no longer kept: delete their files. */
  dropped: CheckpointRecord[];
}

export interface RungRecord {
  /** This trial's value at the rung. */
  value: number;
  /** Values other trials had recorded at the rung before this one. */
  before: number[];
}

/** What ranks a trial, without the rest of its record: cheap to read for every trial of a large sweep. */
export interface TrialStanding extends RankableTrial {
  step: number;
}

type Hash = Record<string, string>;

/** Cancel scripts sent at once, pipelined on the connection; bounds the replies held in memory. */
const CANCEL_BATCH = 1000;

/** The sweep hash field counting its trials in `state`. */
function countField(state: TrialState): string {
  return `n:${state}`;
}

/**
 * Sweeps, their trials, metric series, checkpoint records, ASHA rung records and stop
 * requests in Redis, under one key prefix. Every change that others must see is logged with
 * the EventLog streams in the same atomic step. A sweep's state is never stored: it is
 * derived from its trials' states when read.
 */
export class SweepStore {
  readonly events: EventLog;
  private readonly keys: RedisKeys;
  /** trial id → sweep id; never changes once written. */
  private readonly sweepOfTrial = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {
    this.keys = keys(prefix);
    this.events = new EventLog(redis, prefix);
  }

  /** Writes the sweep and its first trials (state queued) in one transaction. */
  async createSweep(input: NewSweep): Promise<SweepRecord> {
    const id = checkId('sweep', input.id ?? newSweepId());
    if (await this.redis.exists(this.keys.sweep(id))) throw new Error(`sweep '${id}' already exists`);
    const now = Date.now();
    const { spec } = input;
    const tx = this.redis.multi();
    tx.hset(this.keys.sweep(id), {
      id,
      name: spec.name,
      specText: input.specText,
      spec: JSON.stringify(spec),
      metricName: spec.metric.name,
      goal: spec.metric.goal,
      cancelled: '0',
      trialCount: String(input.trialCount ?? input.plans.length),
      created: String(input.plans.length),
      ...Object.fromEntries(TRIAL_STATES.map((state) => [countField(state), state === 'queued' ? String(input.plans.length) : '0'])),
      createdAt: String(now),
      updatedAt: String(now),
    });
    tx.zadd(this.keys.sweeps(), now, id);
    this.writeTrials(tx, id, spec, input.plans, now);
    await tx.exec();
    return (await this.getSweep(id))!;
  }

  /**
   * Adds the sweep's next trials (queued), whose indexes must follow the trials it has. Returns
   * false, writing nothing, when another caller added trials meanwhile (read the sweep again).
   */
  async addTrials(sweepId: string, plans: readonly TrialPlan[]): Promise<boolean> {
    if (plans.length === 0) return true;
    const sweepKey = this.keys.sweep(sweepId);
    await this.redis.watch(sweepKey);
    try {
      const sweep = await this.requireSweep(sweepId);
      const next = sweep.created;
      if (plans.some((plan, i) => plan.index !== next + i) || next + plans.length > sweep.trialCount) {
        throw new RangeError(`sweep '${sweepId}' takes trials from index ${next}, at most ${sweep.trialCount - next} more`);
      }
      const now = Date.now();
      const tx = this.redis.multi();
      tx.hincrby(sweepKey, 'created', plans.length);
      tx.hincrby(sweepKey, countField('queued'), plans.length);
      tx.hset(sweepKey, 'updatedAt', String(now));
      this.writeTrials(tx, sweepId, sweep.spec, plans, now);
      return (await tx.exec()) !== null;
    } finally {
      await this.redis.unwatch();
    }
  }

  private writeTrials(tx: ReturnType<Redis['multi']>, id: string, spec: SweepSpec, plans: readonly TrialPlan[], now: number): void {
    for (const plan of plans) {
      const tid = makeTrialId(id, plan.index);
      const { rungs, bracket } = trialRungs(spec, plan.index, plan.config.steps);
      tx.zadd(this.keys.sweepTrials(id), plan.index, tid);
      tx.hset(this.keys.trial(tid), {
        id: tid,
        sweepId: id,
        index: String(plan.index),
        state: 'queued',
        step: '0',
        totalSteps: String(plan.config.steps),
        params: JSON.stringify(plan.params),
        config: JSON.stringify(plan.config),
        seed: String(plan.seed),
        replicasMin: String(spec.replicas.min),
        replicasMax: String(spec.replicas.max),
        metricName: spec.metric.name,
        metrics: '{}',
        rungs: JSON.stringify(rungs),
        ...(spec.scheduler ? { lineage: '[]', schedule: JSON.stringify([scheduleSegment(tid, 0, plan.config, scheduleSettingPaths(spec))]) } : {}),
        ...(bracket === undefined ? {} : { bracket: String(bracket) }),
        workers: '[]',
        attempts: '0',
        maxFailures: String(spec.max_failures ?? 0),
        createdAt: String(now),
        updatedAt: String(now),
      });
    }
  }

  /** The sweep, its state and counts from the counters its trials' moves keep: one read whatever its size. */
  async getSweep(sweepId: string): Promise<SweepRecord | null> {
    const hash = await this.redis.hgetall(this.keys.sweep(sweepId));
    return hash.id ? decodeSweep(hash) : null;
  }

  /** Like getSweep, but an unknown id throws NotFoundError. */
  async requireSweep(sweepId: string): Promise<SweepRecord> {
    const sweep = await this.getSweep(sweepId);
    if (!sweep) throw new NotFoundError('sweep', sweepId);
    return sweep;
  }

  /** Sweeps newest first; `limit` 0 = all. */
  async listSweeps(limit = 0): Promise<SweepRecord[]> {
    const ids = await this.redis.zrevrange(this.keys.sweeps(), 0, limit > 0 ? limit - 1 : -1);
    const sweeps = await Promise.all(ids.map((id) => this.getSweep(id)));
    return sweeps.filter((s): s is SweepRecord => s !== null);
  }

  /** Ids of the sweep's trials in index order. */
  async trialIds(sweepId: string): Promise<string[]> {
    return this.redis.zrange(this.keys.sweepTrials(sweepId), '0', '-1');
  }

  /** The sweep's trials in index order. */
  async getTrials(sweepId: string): Promise<TrialRecord[]> {
    return this.getTrialsById(await this.trialIds(sweepId));
  }

  /** The records of the trials that exist, in the order given. */
  async getTrialsById(trialIds: readonly string[]): Promise<TrialRecord[]> {
    if (trialIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of trialIds) pipeline.hgetall(this.keys.trial(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, hash]) => hash as Hash).filter((hash) => hash.id).map(decodeTrial);
  }

  /** Every trial's id, state, metric and step in index order: what ranking and paging the sweep need. */
  async trialStandings(sweepId: string): Promise<TrialStanding[]> {
    const ids = await this.trialIds(sweepId);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.trial(id), 'state', 'metric', 'step');
    const replies = (await pipeline.exec()) ?? [];
    const standings: TrialStanding[] = [];
    replies.forEach(([, reply], i) => {
      const [state, metric, step] = reply as (string | null)[];
      if (!state) return;
      const standing: TrialStanding = { id: ids[i]!, state: state as TrialState, step: int(step ?? undefined) };
      if (metric !== null && metric !== undefined) standing.metric = Number(metric);
      standings.push(standing);
    });
    return standings;
  }

  async getTrial(trialId: string): Promise<TrialRecord | null> {
    const hash = await this.redis.hgetall(this.keys.trial(trialId));
    return hash.id ? decodeTrial(hash) : null;
  }

  /** Like getTrial, but an unknown id throws NotFoundError. */
  async requireTrial(trialId: string): Promise<TrialRecord> {
    const trial = await this.getTrial(trialId);
    if (!trial) throw new NotFoundError('trial', trialId);
    return trial;
  }

  /**
   * Moves the trial to `to` only if it is in one of `from`, atomically, so that a trial a
   * user cancelled or ASHA stopped is never flipped back to running by a late worker.
   * Entering `running` counts an attempt and sets startedAt (first time); entering a final
   * state sets finishedAt, clears the workers and the stop request.
   */
  async transitionTrial(
    trialId: string,
    from: readonly TrialState[],
    to: TrialState,
    patch: TrialPatch = {},
  ): Promise<TransitionResult> {
    for (const state of [...from, to]) {
      if (!(TRIAL_STATES as readonly string[]).includes(state)) throw new Error(`unknown trial state '${state}'`);
    }
    const sweepId = await this.sweepIdOf(trialId);
    if (sweepId === null) return { applied: false, previous: null };
    const now = Date.now();
    const fields: string[] = [];
    if (patch.step !== undefined) fields.push('step', String(patch.step));
    if (patch.error !== undefined) fields.push('error', patch.error);
    if (patch.workers !== undefined) fields.push('workers', JSON.stringify(patch.workers));
    if (patch.failures !== undefined) fields.push('failures', JSON.stringify(patch.failures));
    const event: StoreEvent = { type: 'trial', sweepId, trialId, state: to, time: now };
    const [applied, previous, blocked] = (await TRANSITION_TRIAL.run(
      this.redis,
      this.moveKeys(sweepId, trialId),
      [from.join(','), to, now, EventLog.encode(event), this.events.sweepMaxLen, this.events.globalMaxLen, ...fields],
    )) as [number, string, string?];
    return {
      applied: applied === 1,
      previous: previous === '' ? null : (previous as TrialState),
      ...(blocked === 'exploit' ? { exploited: true as const } : {}),
    };
  }

  /**
   * Appends an evaluation to the trial's metric series, sets its latest metrics (and the
   * sweep metric's value when reported) and step, and logs an `eval` event. Values that are
   * not finite are kept as NaN. Returns false, writing nothing, unless the trial is running.
   */
  async recordEval(trialId: string, step: number, values: Record<string, number>, time = Date.now()): Promise<boolean> {
    checkStep(step);
    const trial = await this.requireTrial(trialId);
    const point: MetricPoint = { step, time, values };
    const metric = values[trial.metricName];
    const event: StoreEvent = { type: 'eval', sweepId: trial.sweepId, trialId, step, values, time };
    const applied = await RECORD_EVAL.run(
      this.redis,
      [this.keys.trial(trialId), this.keys.trialMetrics(trialId), ...this.events.streams(trial.sweepId)],
      [
        step,
        JSON.stringify(point),
        JSON.stringify(values),
        typeof metric === 'number' ? String(metric) : '',
        time,
        EventLog.encode(event),
        this.events.sweepMaxLen,
        this.events.globalMaxLen,
      ],
    );
    return applied === 1;
  }

  /** Progress between evaluations (no event); false unless the trial is running. */
  async reportStep(trialId: string, step: number): Promise<boolean> {
    checkStep(step);
    return (await REPORT_STEP.run(this.redis, [this.keys.trial(trialId)], [step, Date.now()])) === 1;
  }

  /** The trial's metric reports, oldest first; `start`/`end` index the series like LRANGE (negative from the end). */
  async getMetrics(trialId: string, start = 0, end = -1): Promise<MetricPoint[]> {
    const raw = await this.redis.lrange(this.keys.trialMetrics(trialId), start, end);
    return raw.map(decodePoint);
  }

  /**
   * Records a stored checkpoint. It becomes the trial's latest unless that one has a higher
   * step; beyond the `keep` highest steps older checkpoints are dropped and returned so that
   * their files can be deleted. Throws NotFoundError when the trial does not exist.
   */
  async addCheckpoint(record: CheckpointRecord, keep = 2): Promise<AddCheckpointResult> {
    checkId('checkpoint', record.id);
    checkStep(record.step);
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be an integer ≥ 1 (got ${keep})`);
    const sweepId = await this.sweepIdOf(record.trialId);
    if (sweepId === null) throw new NotFoundError('trial', record.trialId);
    const event: StoreEvent = {
      type: 'checkpoint',
      sweepId,
      trialId: record.trialId,
      checkpointId: record.id,
      step: record.step,
      time: record.createdAt,
    };
    const [latest, ...evictedIds] = (await ADD_CHECKPOINT.run(
      this.redis,
      [
        this.keys.checkpoint(record.id),
        this.keys.trial(record.trialId),
        this.keys.trialCheckpoints(record.trialId),
        ...this.events.streams(sweepId),
        this.keys.trialStop(record.trialId),
      ],
      [
        record.id,
        record.trialId,
        record.step,
        JSON.stringify(record.files),
        record.createdAt,
        record.location,
        keep,
        EventLog.encode(event),
        this.events.sweepMaxLen,
        this.events.globalMaxLen,
      ],
    )) as [number, ...string[]];
    if (latest === -1) throw new NotFoundError('trial', record.trialId);
    if (latest === -2) {
      return { latest: false, evicted: [], refused: `trial '${record.trialId}' continues from another trial's checkpoint (PBT): its own are no longer kept` };
    }
    const evicted = await this.getCheckpoints(evictedIds);
    if (evictedIds.length > 0) await this.redis.del(...evictedIds.map((id) => this.keys.checkpoint(id)));
    return { latest: latest === 1, evicted };
  }

  async getCheckpoint(checkpointId: string): Promise<CheckpointRecord | null> {
    const hash = await this.redis.hgetall(this.keys.checkpoint(checkpointId));
    return hash.id ? decodeCheckpoint(hash) : null;
  }

  /** The records of the ids that exist, in the order given. */
  async getCheckpoints(checkpointIds: readonly string[]): Promise<CheckpointRecord[]> {
    if (checkpointIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of checkpointIds) pipeline.hgetall(this.keys.checkpoint(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, hash]) => hash as Hash).filter((hash) => hash.id).map(decodeCheckpoint);
  }

  /** The trial's kept checkpoints, lowest step first. */
  async listCheckpoints(trialId: string): Promise<CheckpointRecord[]> {
    return this.getCheckpoints(await this.redis.zrange(this.keys.trialCheckpoints(trialId), '0', '-1'));
  }

  /** The trial's latest checkpoint, or null when it has none. */
  async latestCheckpoint(trialId: string): Promise<CheckpointRecord | null> {
    const trial = await this.getTrial(trialId);
    return trial?.checkpointId ? this.getCheckpoint(trial.checkpointId) : null;
  }

  /**
   * Applies a PBT exploit (see EXPLOIT_TRIAL): the trial, queued or running, takes the copied
   * checkpoint as its only one, the new config, lineage entry and schedule; a running one is
   * asked to stop for 'exploit' so that its worker queues it again. Once per interval step.
   */
  async exploitTrial(trialId: string, exploit: Exploit): Promise<ExploitResult> {
    const trial = await this.requireTrial(trialId);
    const { checkpoint } = exploit;
    checkId('checkpoint', checkpoint.id);
    checkStep(checkpoint.step);
    const now = Date.now();
    const event: StoreEvent = { type: 'exploit', sweepId: trial.sweepId, trialId, from: exploit.lineage.from, step: checkpoint.step, time: now };
    const [applied, ...droppedIds] = (await EXPLOIT_TRIAL.run(
      this.redis,
      [
        this.keys.trial(trialId),
        this.keys.trialStop(trialId),
        this.keys.trialCheckpoints(trialId),
        this.keys.checkpoint(checkpoint.id),
        ...this.events.streams(trial.sweepId),
      ],
      [
        exploit.decidedAt,
        checkpoint.id,
        checkpoint.step,
        JSON.stringify(checkpoint.files),
        checkpoint.createdAt,
        checkpoint.location,
        JSON.stringify(exploit.config),
        exploit.config.seed,
        JSON.stringify([...trial.lineage, exploit.lineage]),
        JSON.stringify(exploit.schedule),
        now,
        EventLog.encode(event),
        this.events.sweepMaxLen,
        this.events.globalMaxLen,
      ],
    )) as [number, ...string[]];
    if (applied !== 1) return { applied: false, dropped: [] };
    const dropped = await this.getCheckpoints(droppedIds);
    if (droppedIds.length > 0) await this.redis.del(...droppedIds.map((id) => this.keys.checkpoint(id)));
    return { applied: true, dropped };
  }

  /** PBT decides once per trial and interval step: true the first time `step` is decided for the trial (not final). */
  async advancePbtStep(trialId: string, step: number): Promise<boolean> {
    checkStep(step);
    return (await ADVANCE_PBT_STEP.run(this.redis, [this.keys.trial(trialId)], [step])) === 1;
  }

  /**
   * Records the trial's value at an ASHA rung together with the values recorded there before
   * it. Idempotent: recording again returns the first record.
   */
  async recordRung(sweepId: string, rung: number, trialId: string, value: number, bracket?: number): Promise<RungRecord> {
    checkId('trial', trialId);
    const key = this.keys.sweepRung(sweepId, rung, bracket);
    const raw = (await RECORD_RUNG.run(this.redis, [key], [trialId, String(value)])) as string;
    return decodeRung(raw);
  }

  /** Every trial's value at the rung (of the Hyperband bracket). */
  async rungValues(sweepId: string, rung: number, bracket?: number): Promise<Record<string, number>> {
    const hash = await this.redis.hgetall(this.keys.sweepRung(sweepId, rung, bracket));
    return Object.fromEntries(Object.entries(hash).map(([trial, raw]) => [trial, decodeRung(raw).value]));
  }

  /**
   * Asks a queued or running trial to stop. 'cancel' replaces any earlier request; the
   * others never replace a request already made. Returns the reason in force, or null when the
   * trial is not queued or running (nothing is written).
   */
  async requestStop(trialId: string, reason: StopReason): Promise<StopReason | null> {
    if (!STOP_REASONS.includes(reason)) throw new Error(`unknown stop reason '${reason}'`);
    const result = await REQUEST_STOP.run(
      this.redis,
      [this.keys.trial(trialId), this.keys.trialStop(trialId)],
      [reason, reason === 'cancel' ? '1' : '0'],
    );
    return (result as StopReason | null) ?? null;
  }

  /** Why the trial must stop, or null while it may go on; workers poll this between steps. */
  async stopRequest(trialId: string): Promise<StopReason | null> {
    const reason = await this.redis.get(this.keys.trialStop(trialId));
    return STOP_REASONS.includes(reason as StopReason) ? (reason as StopReason) : null;
  }

  /**
   * Cancels the sweep: queued trials become cancelled, running ones are asked to stop.
   * One script per trial, pipelined, so cancelling costs the same per trial at any size.
   * Idempotent. Throws NotFoundError for an unknown sweep.
   */
  async cancelSweep(sweepId: string): Promise<CancelResult> {
    const sweepKey = this.keys.sweep(sweepId);
    if (!(await this.redis.exists(sweepKey))) throw new NotFoundError('sweep', sweepId);
    const now = Date.now();
    const result: CancelResult = { cancelled: [], stopping: [] };
    const ids = await this.trialIds(sweepId);
    for (let start = 0; start < ids.length; start += CANCEL_BATCH) {
      const batch = ids.slice(start, start + CANCEL_BATCH);
      const outcomes = await Promise.all(
        batch.map((trialId) => {
          const event: StoreEvent = { type: 'trial', sweepId, trialId, state: 'cancelled', time: now };
          return CANCEL_TRIAL.run(this.redis, this.moveKeys(sweepId, trialId), [
            now,
            EventLog.encode(event),
            this.events.sweepMaxLen,
            this.events.globalMaxLen,
          ]);
        }),
      );
      outcomes.forEach((outcome, i) => {
        if (outcome === 'cancelled') result.cancelled.push(batch[i]!);
        else if (outcome === 'stopping') result.stopping.push(batch[i]!);
      });
    }
    // The sweep reads as cancelled, and its event is logged, only once its queued trials are:
    // a watcher that sees the sweep final has every trial's change before it.
    const [[, previous]] = (await this.redis
      .multi()
      .hget(sweepKey, 'cancelled')
      .hset(sweepKey, 'cancelled', '1', 'updatedAt', String(now))
      .exec()) as [[Error | null, string | null], unknown];
    if (previous !== '1') await this.events.append({ type: 'sweep', sweepId, state: 'cancelled', time: now });
    return result;
  }

  /**
   * Queues the sweep's failed and cancelled trials again (they resume from their latest
   * checkpoints) and lifts its cancellation and its finished mark, so it runs again; the one
   * way a final trial runs again. Returns the trials queued (give them jobs). Throws
   * NotFoundError for an unknown sweep.
   */
  async retrySweep(sweepId: string): Promise<string[]> {
    const sweepKey = this.keys.sweep(sweepId);
    if (!(await this.redis.exists(sweepKey))) throw new NotFoundError('sweep', sweepId);
    const now = Date.now();
    await this.redis.multi().hset(sweepKey, 'cancelled', '0', 'updatedAt', String(now)).hdel(sweepKey, 'finishedAt').exec();
    const retried: string[] = [];
    for (const standing of await this.trialStandings(sweepId)) {
      if (standing.state !== 'failed' && standing.state !== 'cancelled') continue;
      const trial = await this.requireTrial(standing.id);
      const moved = await this.transitionTrial(standing.id, ['failed', 'cancelled'], 'queued', { step: trial.checkpointStep ?? 0, error: '' });
      if (moved.applied) retried.push(standing.id);
    }
    await this.events.append({ type: 'sweep', sweepId, state: (await this.requireSweep(sweepId)).state, time: now });
    return retried;
  }

  /**
   * Once every trial of the sweep is final, marks the sweep finished and logs its final
   * state, exactly once. Returns that state, or null when not finished or already marked.
   */
  async markSweepFinished(sweepId: string): Promise<SweepState | null> {
    const sweep = await this.getSweep(sweepId);
    if (!sweep || sweep.finishedAt > 0) return null;
    if (sweep.counts.queued + sweep.counts.running > 0 || (!sweep.cancelled && sweep.created < sweep.trialCount)) return null;
    const now = Date.now();
    if (!(await this.redis.hsetnx(this.keys.sweep(sweepId), 'finishedAt', String(now)))) return null;
    await this.redis.hset(this.keys.sweep(sweepId), 'updatedAt', String(now));
    await this.events.append({ type: 'sweep', sweepId, state: sweep.state, time: now });
    return sweep.state;
  }

  /** The keys a script that moves a trial's state touches, in MOVE_TRIAL's order. */
  private moveKeys(sweepId: string, trialId: string): string[] {
    return [this.keys.trial(trialId), ...this.events.streams(sweepId), this.keys.trialStop(trialId), this.keys.sweep(sweepId)];
  }

  private async sweepIdOf(trialId: string): Promise<string | null> {
    const cached = this.sweepOfTrial.get(trialId);
    if (cached) return cached;
    const sweepId = await this.redis.hget(this.keys.trial(trialId), 'sweepId');
    if (sweepId) this.sweepOfTrial.set(trialId, sweepId);
    return sweepId;
  }
}

function checkStep(step: number): void {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`step must be a non-negative integer (got ${step})`);
}

function int(value: string | undefined): number {
  return value === undefined || value === '' ? 0 : Number(value);
}

/** JSON turns NaN and ±Infinity into null; they come back as NaN. */
function numbers(values: Record<string, number | null>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v ?? NaN]));
}

function decodeSweep(hash: Hash): SweepRecord {
  const cancelled = hash.cancelled === '1';
  const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, int(hash[countField(s)])])) as Record<TrialState, number>;
  const trialCount = int(hash.trialCount);
  const created = hash.created === undefined ? trialCount : int(hash.created);
  return {
    id: hash.id!,
    name: hash.name ?? '',
    specText: hash.specText ?? '',
    spec: JSON.parse(hash.spec!) as SweepSpec,
    metric: { name: hash.metricName, goal: hash.goal } as SweepRecord['metric'],
    state: sweepState(counts, cancelled, trialCount - created),
    cancelled,
    trialCount,
    created,
    counts,
    createdAt: int(hash.createdAt),
    updatedAt: int(hash.updatedAt),
    finishedAt: int(hash.finishedAt),
  };
}

function decodeTrial(hash: Hash): TrialRecord {
  const trial: TrialRecord = {
    id: hash.id!,
    sweepId: hash.sweepId!,
    index: int(hash.index),
    state: hash.state as TrialState,
    step: int(hash.step),
    totalSteps: int(hash.totalSteps),
    params: JSON.parse(hash.params || '{}') as TrialRecord['params'],
    config: JSON.parse(hash.config!) as TrialRecord['config'],
    seed: int(hash.seed),
    replicas: { min: int(hash.replicasMin) || 1, max: int(hash.replicasMax) || 1 },
    metricName: hash.metricName as TrialRecord['metricName'],
    metrics: numbers(JSON.parse(hash.metrics || '{}') as Record<string, number | null>),
    rungs: JSON.parse(hash.rungs || '[]') as number[],
    workers: JSON.parse(hash.workers || '[]') as string[],
    attempts: int(hash.attempts),
    maxFailures: int(hash.maxFailures),
    failures: JSON.parse(hash.failures || '[]') as AttemptFailure[],
    lineage: JSON.parse(hash.lineage || '[]') as LineageEntry[],
    schedule: JSON.parse(hash.schedule || '[]') as ScheduleSegment[],
    pbtStep: int(hash.pbtStep),
    createdAt: int(hash.createdAt),
    updatedAt: int(hash.updatedAt),
    startedAt: int(hash.startedAt),
    finishedAt: int(hash.finishedAt),
  };
  if (hash.metric !== undefined) trial.metric = Number(hash.metric);
  if (hash.bracket !== undefined) trial.bracket = Number(hash.bracket);
  if (hash.error) trial.error = hash.error;
  if (hash.checkpoint) {
    trial.checkpointId = hash.checkpoint;
    trial.checkpointStep = int(hash.checkpointStep);
  }
  return trial;
}

function decodePoint(raw: string): MetricPoint {
  const point = JSON.parse(raw) as { step: number; time: number; values: Record<string, number | null> };
  return { step: point.step, time: point.time, values: numbers(point.values) };
}

function decodeCheckpoint(hash: Hash): CheckpointRecord {
  return {
    id: hash.id!,
    trialId: hash.trialId!,
    step: int(hash.step),
    files: JSON.parse(hash.files || '[]') as CheckpointRecord['files'],
    createdAt: int(hash.createdAt),
    location: hash.location ?? '',
  };
}

function decodeRung(raw: string): RungRecord {
  const [value, before = ''] = raw.split(' ');
  return { value: Number(value), before: before === '' ? [] : before.split(',').map(Number) };
}
