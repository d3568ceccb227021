import * as grpc from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import {
  checkToken,
  type BestTrialResponse,
  type CancelSweepResponse,
  type RetrySweepResponse,
  type CoordinatorHandlers,
  type ListSweepsResponse,
  type ListWorkersResponse,
  type ScaleWorkersResponse,
  type SubmitSweepResponse,
  type SweepEvent,
  type WatchSweepRequest__Output,
} from '@jvae/protocol';
import type { TrialQueue, TrialSupply, WorkerPool } from '@jvae/orchestration';
import type { SweepStore, WorkerRegistry } from '@jvae/store';
import { parseSweepSpec, trialCount } from '@jvae/sweep';
import type { CheckpointTransfer } from './checkpoint-transfer.js';
import { GrpcError, toServiceError } from './grpc-error.js';
import { protoGoal, protoSweepState, toProtoCheckpoint, toProtoWorker } from './proto-mapping.js';
import { bestTrialId } from './sweep-page.js';
import { SweepViews } from './sweep-views.js';
import { withRanks } from './worker-ranks.js';
import { streamSweepWatch } from './watch-sweep-stream.js';

/** A local pool larger than this is a typo, not a plan. */
export const MAX_LOCAL_WORKERS = 256;

export interface CoordinatorServiceDeps {
  store: SweepStore;
  registry: WorkerRegistry;
  queue: TrialQueue;
  /** Creates and queues each sweep's trials as its limits allow. */
  supply: TrialSupply;
  transfer: CheckpointTransfer;
  /** Absent when the worker pool is managed elsewhere (e.g. by KEDA on Kubernetes). */
  pool?: WorkerPool;
  /** Watches get a connection each: this one is duplicated. */
  redis: Redis;
  /** Required on every call when set. */
  token?: string;
  /** WatchSweep streams served at once; more are refused with RESOURCE_EXHAUSTED. */
  maxWatches: number;
  log: (line: string) => void;
}

/** The Coordinator service: every RPC, each behind the token check. */
export class CoordinatorService {
  private readonly views: SweepViews;
  private openWatches = 0;

  constructor(private readonly deps: CoordinatorServiceDeps) {
    this.views = new SweepViews(deps.store);
  }

  handlers(): CoordinatorHandlers {
    return {
      SubmitSweep: this.unary(async (request) => this.submit(request.spec)),
      GetSweep: this.unary(async (request) => this.views.sweep(request)),
      ListSweeps: this.unary(async (request) => this.list(request.limit)),
      CancelSweep: this.unary(async (request) => this.cancel(request.id)),
      RetrySweep: this.unary(async (request) => this.retry(request.id)),
      ListWorkers: this.unary(async () => this.workers()),
      ScaleWorkers: this.unary(async (request) => this.scale(request.count)),
      BestTrial: this.unary(async (request) => this.best(request.sweepId)),
      WatchSweep: this.serverStream((call) => this.watch(call)),
      DownloadCheckpoint: this.serverStream((call) => this.deps.transfer.download(call)),
      UploadCheckpoint: (call, callback) => {
        const denied = checkToken(call, this.deps.token);
        if (denied) return callback(denied);
        this.deps.transfer.upload(call).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error, this.deps.log)),
        );
      },
    };
  }

  /** Validates (nothing is written for a bad spec), expands, stores and queues the trials in index order. */
  async submit(specText: string): Promise<SubmitSweepResponse> {
    if (!specText.trim()) throw new GrpcError(grpc.status.INVALID_ARGUMENT, 'spec: empty; send the sweep spec (YAML or JSON)');
    const spec = parseSweepSpec(specText);
    const sweep = await this.deps.store.createSweep({ specText, spec, plans: [], trialCount: trialCount(spec) });
    const queued = await this.deps.supply.fill(sweep.id);
    this.deps.log(`sweep ${sweep.id} (${spec.name}): ${queued.length} of ${sweep.trialCount} trial(s) queued`);
    return { id: sweep.id, trialCount: sweep.trialCount };
  }

  /** Each watch holds a Redis connection of its own for as long as it lasts: their number is capped. */
  private async watch(call: grpc.ServerWritableStream<WatchSweepRequest__Output, SweepEvent>): Promise<void> {
    const { maxWatches } = this.deps;
    if (this.openWatches >= maxWatches) {
      throw new GrpcError(
        grpc.status.RESOURCE_EXHAUSTED,
        `too many WatchSweep streams: this coordinator serves at most ${maxWatches} at once (JVAE_MAX_WATCHES); close one and retry`,
      );
    }
    this.openWatches++;
    try {
      await this.deps.store.requireSweep(call.request.id);
      await streamSweepWatch(call, this.deps.store, this.views, this.deps.redis.duplicate());
    } finally {
      this.openWatches--;
    }
  }

  async cancel(sweepId: string): Promise<CancelSweepResponse> {
    const { cancelled, stopping } = await this.deps.store.cancelSweep(sweepId);
    await this.deps.queue.remove(cancelled);
    await this.deps.store.markSweepFinished(sweepId);
    const sweep = await this.deps.store.requireSweep(sweepId);
    return { state: protoSweepState(sweep.state), cancelledTrials: cancelled.length + stopping.length };
  }

  /** Failed and cancelled trials back to the queue, and what the sweep may still create. */
  async retry(sweepId: string): Promise<RetrySweepResponse> {
    const retried = await this.deps.store.retrySweep(sweepId);
    await this.deps.queue.add(retried);
    await this.deps.supply.fill(sweepId);
    const sweep = await this.deps.store.requireSweep(sweepId);
    if (retried.length > 0) this.deps.log(`sweep ${sweepId}: ${retried.length} trial(s) queued again`);
    return { state: protoSweepState(sweep.state), retriedTrials: retried.length };
  }

  private async list(limit: number): Promise<ListSweepsResponse> {
    const sweeps = await this.deps.store.listSweeps(limit);
    return { sweeps: await Promise.all(sweeps.map((s) => this.views.summary(s))) };
  }

  private async workers(): Promise<ListWorkersResponse> {
    return { workers: (await withRanks(this.deps.store, await this.deps.registry.list())).map(toProtoWorker) };
  }

  private scale(count: number): ScaleWorkersResponse {
    const { pool } = this.deps;
    if (!pool) {
      throw new GrpcError(
        grpc.status.FAILED_PRECONDITION,
        'this coordinator does not manage a local worker pool (start it with --workers N); workers are scaled externally, e.g. by KEDA on the queue length',
      );
    }
    if (count > MAX_LOCAL_WORKERS) throw new GrpcError(grpc.status.INVALID_ARGUMENT, `count: at most ${MAX_LOCAL_WORKERS} local workers (got ${count})`);
    return pool.scale(count);
  }

  private async best(sweepId: string): Promise<BestTrialResponse> {
    const sweep = await this.deps.store.requireSweep(sweepId);
    const bestId = await bestTrialId(this.deps.store, sweep);
    const best = bestId ? await this.deps.store.getTrial(bestId) : null;
    if (!best) {
      throw new GrpcError(grpc.status.NOT_FOUND, `no finished trial of sweep '${sweepId}' has reported ${sweep.metric.name} yet`);
    }
    const checkpoint = best.checkpointId ? await this.deps.store.getCheckpoint(best.checkpointId) : null;
    return {
      trial: await this.views.trial(best),
      metric: sweep.metric.name,
      goal: protoGoal(sweep.metric.goal),
      checkpoint: checkpoint ? toProtoCheckpoint(checkpoint) : null,
    };
  }

  private unary<Req, Res>(handle: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const denied = checkToken(call, this.deps.token);
      if (denied) return callback(denied);
      handle(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error, this.deps.log)),
      );
    };
  }

  private serverStream<Req, Res>(
    handle: (call: grpc.ServerWritableStream<Req, Res>) => Promise<void>,
  ): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      const denied = checkToken(call, this.deps.token);
      if (denied) return void call.emit('error', denied);
      handle(call).then(
        () => call.end(),
        (error: unknown) => call.emit('error', toServiceError(error, this.deps.log)),
      );
    };
  }
}
