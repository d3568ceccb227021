import type { Redis } from 'ioredis';
import { checkId, keys, type RedisKeys } from '@jvae/protocol';

/** What a worker says about itself. */
export type WorkerActivity = 'idle' | 'busy' | 'draining';
/** As listed: `lost` when no heartbeat came within the window. */
export type WorkerStatus = WorkerActivity | 'lost';

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  /** Compute backend in use (tensorflow, wasm, cpu). */
  backend: string;
  /** Compute threads it trains with. */
  threads: number;
  /** Free text, e.g. "cpu x16" or "NVIDIA H100". */
  device: string;
  /** Where its GradSync server is reached (host:port), for the rings of data-parallel trials. */
  gradsync?: string;
  state: WorkerActivity;
  /** Trial being trained, when busy. */
  trialId?: string;
  /** Epoch ms. */
  startedAt: number;
  heartbeat: number;
}

export interface WorkerView extends Omit<WorkerInfo, 'state'> {
  state: WorkerStatus;
}

export type NewWorker = Omit<WorkerInfo, 'state' | 'heartbeat' | 'startedAt'> & Partial<Pick<WorkerInfo, 'state' | 'startedAt'>>;

export interface WorkerRegistryOptions {
  /** How often workers heartbeat (default 2000 ms); three missed ones make a worker lost. */
  heartbeatMs?: number;
  /** Lost workers stay listed this long before being pruned (default 20 heartbeats). */
  pruneAfterMs?: number;
}

/**
 * The workers in P:workers (field = worker id, value = JSON WorkerInfo). Workers register,
 * heartbeat every `heartbeatMs` and remove themselves on exit; a worker that dies silently
 * is listed as lost after three missed heartbeats and pruned later.
 */
export class WorkerRegistry {
  readonly heartbeatMs: number;
  readonly lostAfterMs: number;
  readonly pruneAfterMs: number;
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    options: WorkerRegistryOptions = {},
  ) {
    this.keys = keys(prefix);
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.lostAfterMs = 3 * this.heartbeatMs;
    this.pruneAfterMs = options.pruneAfterMs ?? 20 * this.heartbeatMs;
  }

  async register(worker: NewWorker): Promise<WorkerInfo> {
    checkId('worker', worker.id);
    const now = Date.now();
    const info: WorkerInfo = { state: 'idle', startedAt: now, ...worker, heartbeat: now };
    await this.redis.hset(this.keys.workers(), info.id, JSON.stringify(info));
    return info;
  }

  /**
   * Refreshes the heartbeat and applies `patch` (`trialId: null` clears it). Returns null
   * when the worker is not registered (it was pruned): register again.
   */
  async heartbeat(
    workerId: string,
    patch: { state?: WorkerActivity; trialId?: string | null } = {},
  ): Promise<WorkerInfo | null> {
    const raw = await this.redis.hget(this.keys.workers(), checkId('worker', workerId));
    if (!raw) return null;
    const info = { ...(JSON.parse(raw) as WorkerInfo), heartbeat: Date.now() };
    if (patch.state) info.state = patch.state;
    if (patch.trialId === null) delete info.trialId;
    else if (patch.trialId !== undefined) info.trialId = patch.trialId;
    await this.redis.hset(this.keys.workers(), workerId, JSON.stringify(info));
    return info;
  }

  async remove(workerId: string): Promise<void> {
    await this.redis.hdel(this.keys.workers(), checkId('worker', workerId));
  }

  /** Every registered worker by id, lost ones marked; those lost for longer than pruneAfterMs are deleted. */
  async list(now = Date.now()): Promise<WorkerView[]> {
    const all = await this.redis.hgetall(this.keys.workers());
    const views: WorkerView[] = [];
    const pruned: string[] = [];
    for (const [id, raw] of Object.entries(all)) {
      let info: WorkerInfo;
      try {
        info = JSON.parse(raw) as WorkerInfo;
      } catch {
        pruned.push(id);
        continue;
      }
      const silence = now - info.heartbeat;
      if (!(silence <= this.lostAfterMs + this.pruneAfterMs)) pruned.push(id);
      else views.push(silence > this.lostAfterMs ? { ...info, state: 'lost' } : info);
    }
    if (pruned.length > 0) await this.redis.hdel(this.keys.workers(), ...pruned);
    return views.sort((a, b) => a.id.localeCompare(b.id));
  }
}
