import * as grpc from '@grpc/grpc-js';
import {
  loadProtos,
  parseHostPort,
  withToken,
  type RingAbort,
  type RingAbort__Output,
  type RingChunk__Output,
  type RingFrame__Output,
  type RingJoin__Output,
  type RingPhase as ProtoPhase,
  type RingRequest,
  type RingRequest__Output,
} from '@jvae/protocol';
import { Inbox } from './inbox.js';
import { bytesPerElement, payloadValues, type ReducibleArray, type WireArray } from './payload.js';
import { RingError, type RingErrorReason } from './ring-error.js';
import { chunkFrame, encodeFrame, type ChunkFrame } from './ring-frames.js';
import { ringSchedule, type RingRound, type RingSchedule } from './ring-schedule.js';
import { EXACT_FLOAT32, EXACT_FLOAT64, float16Format, type WireFormat } from './wire-format.js';

export interface RingMemberOptions {
  /** Id shared by the ring's members, fixed at rendezvous. */
  groupId: string;
  /** Bumped by rendezvous at every re-form; joins and messages of other generations are refused. */
  generation: number;
  /** This member's rank, 0..world-1. */
  rank: number;
  /** Number of ranks in the ring. */
  world: number;
  /** Advertised address of the GradSync server of rank (rank-1) mod world; not needed in a world of 1. */
  predecessor?: string;
  /**
   * How long a peer may stay silent, in ms (default 30 000): reaching the
   * predecessor, the successor joining, and, inside an operation, any gap
   * between frames from the predecessor (which sends heartbeats while it
   * waits on its own predecessor, so only the rank after a silent one times
   * out). It is also how much later than the others a rank may start a step.
   */
  timeoutMs?: number;
  /** Largest payload per message, in bytes; bigger chunks travel in several messages. Default 1 MiB. */
  segmentBytes?: number;
  /**
   * Send float32 vectors as float16: half the bytes, but every partial sum is
   * rounded to float16 (about 3 significant digits; beyond ±65504 it becomes
   * ±Infinity). Sums stay bit-identical on every rank. Float64 vectors always
   * travel exactly. Every rank of the ring must choose the same. Default false.
   */
  float16?: boolean;
}

/** The call of the successor, as the server sees it: its requests in, encoded frames out. */
export type SuccessorCall = grpc.ServerDuplexStream<RingRequest__Output, Buffer>;

/** What a member takes from the server that made it. */
export interface RingLink {
  credentials: grpc.ChannelCredentials;
  token: string | undefined;
  /** Joins waiting at the server for members it does not host, described (to explain a successor that does not come). */
  waitingJoins(): string[];
  /** Forgets the member once it is closed. */
  release(member: RingMember): void;
}

const PHASES: Record<RingRound['phase'], ProtoPhase> = {
  'reduce-scatter': 'REDUCE_SCATTER',
  'all-gather': 'ALL_GATHER',
};
const MAX_SEGMENT_BYTES = 8 << 20;
/**
 * HTTP/2 receive window of the stream from the predecessor: with the default
 * 64 KiB the sender stalls on every window update; this lets a whole
 * operation's chunks be in flight.
 */
const RECEIVE_WINDOW_BYTES = 64 << 20;

const REASONS: Record<RingAbort__Output['reason'], RingErrorReason> = {
  REASON_UNSPECIFIED: 'protocol',
  TIMEOUT: 'timeout',
  PEER_LOST: 'peer-lost',
  PROTOCOL: 'protocol',
  // A neighbour that was closed is, for this rank, a peer gone.
  CLOSED: 'peer-lost',
};
const ABORT_REASONS: Record<Exclude<RingErrorReason, 'usage'>, RingAbort['reason']> = {
  timeout: 'TIMEOUT',
  'peer-lost': 'PEER_LOST',
  protocol: 'PROTOCOL',
  closed: 'CLOSED',
};

interface Operation {
  seq: number;
  step: number;
  wire: WireFormat;
  schedule: RingSchedule;
}

/**
 * One rank's membership of one ring (a group at one generation), made by
 * GradSyncServer.joinRing. It calls its predecessor's server once and keeps
 * that call, on which the predecessor streams its chunks; its own chunks go
 * to the successor on the call the successor made to this process's server.
 *
 * allReduce sums a vector across all ranks; every rank must call it with the
 * same step, element type and length, in the same order. Each received
 * segment is combined and passed on at once, so sums overlap the transfer.
 * The caller's array is only read until every message of the operation has
 * arrived and passed its checks; then the sum is written into it in one go.
 * So a rejected call leaves the array unchanged. Any failure but a usage
 * error rejects with a RingError, tells both neighbours (the ring passes it
 * on, so every rank fails the same way) and leaves the member broken: close
 * it and rendezvous again.
 */
export class RingMember {
  readonly groupId: string;
  readonly generation: number;
  readonly rank: number;
  readonly world: number;

  private readonly predecessorAddress: string | undefined;
  private readonly predecessorRank: number;
  private readonly successorRank: number;
  private readonly timeoutMs: number;
  private readonly segmentBytes: number;
  private readonly float16: WireFormat | undefined;
  private readonly inbox = new Inbox<RingFrame__Output>();
  private client: grpc.Client | undefined;
  private fromPredecessor: grpc.ClientDuplexStream<RingRequest, RingFrame__Output> | undefined;
  private toSuccessor: SuccessorCall | undefined;
  private successorWaiter: { resolve: () => void; reject: (error: RingError) => void } | undefined;
  private successorFailure: RingError | undefined;
  private failure: RingError | undefined;
  private lastSent = 0;
  private heardFromPredecessor = false;
  private nextSeq = 0;
  private busy = false;
  private bytes = 0;

  /** Use GradSyncServer.joinRing; this validates the options and dials nothing yet. */
  constructor(
    options: RingMemberOptions,
    private readonly link: RingLink,
  ) {
    checkOptions(options);
    this.groupId = options.groupId;
    this.generation = options.generation;
    this.rank = options.rank;
    this.world = options.world;
    this.predecessorAddress = options.predecessor;
    this.predecessorRank = (options.rank + options.world - 1) % options.world;
    this.successorRank = (options.rank + 1) % options.world;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.segmentBytes = options.segmentBytes ?? 1 << 20;
    this.float16 = options.float16 ? float16Format() : undefined;
  }

  /** Payload bytes this member has sent so far. */
  get bytesSent(): number {
    return this.bytes;
  }

  /**
   * Sums `data` over all ranks, in place (the caller divides for a mean).
   * Resolves once this rank holds the full sum; rejects with `data` unchanged.
   */
  async allReduce(step: number, data: ReducibleArray): Promise<void> {
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new RingError('usage', 'allReduce needs a Float32Array or Float64Array');
    }
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new RingError('usage', `step must be a non-negative integer, got ${step}`);
    }
    if (this.failure) throw this.failure;
    if (this.busy) throw new RingError('usage', `rank ${this.rank}: allReduce called while another is running`);
    const op: Operation = {
      seq: this.nextSeq++,
      step,
      wire: data instanceof Float64Array ? EXACT_FLOAT64 : (this.float16 ?? EXACT_FLOAT32),
      schedule: ringSchedule(this.rank, this.world, data.length),
    };
    if (this.world === 1) return;
    this.busy = true;
    const beat = Math.max(10, Math.floor(this.timeoutMs / 4));
    const heartbeat = setInterval(() => this.heartbeat(op, beat), beat);
    try {
      await this.successorJoined();
      const sums = await this.reduce(op, data);
      for (const [at, values] of sums) op.wire.decode(values, data.subarray(at, at + values.length));
    } catch (error) {
      const failure = error instanceof RingError ? error : new RingError('protocol', String(error));
      this.abort(failure);
      throw failure;
    } finally {
      clearInterval(heartbeat);
      this.busy = false;
    }
  }

  /** All-reduces a few numbers in float64 (e.g. per-shard KL sums) and returns the sums. */
  async allReduceSmall(step: number, values: readonly number[]): Promise<number[]> {
    const data = Float64Array.from(values);
    await this.allReduce(step, data);
    return Array.from(data);
  }

  /**
   * Tells both neighbours, drops both calls and leaves the server; pending
   * and later calls reject with reason 'closed'.
   */
  async close(): Promise<void> {
    if (this.failure?.reason === 'closed') return;
    const closed = new RingError('closed', `rank ${this.rank} of group ${this.groupId} generation ${this.generation} was closed`, this.rank);
    this.abort(closed);
    this.failure = closed;
    this.client?.close();
    this.link.release(this);
  }

  /** Dials the predecessor and joins; failures reach the next receive. Called once, by the server. */
  open(): void {
    if (this.world === 1) return;
    const { GradSync } = loadProtos().proto.jvae.v1;
    const address = this.predecessorAddress!;
    const client = new GradSync(address, this.link.credentials, {
      'grpc-node.flow_control_window': RECEIVE_WINDOW_BYTES,
      'grpc.max_receive_message_length': MAX_SEGMENT_BYTES + (64 << 10),
      // Short reconnect backoff: the predecessor may start listening a moment after us.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    this.client = client;
    client.waitForReady(Date.now() + this.timeoutMs, (error) => {
      if (this.failure) return;
      if (error) {
        const message = `rank ${this.rank} could not reach predecessor rank ${this.predecessorRank} at ${address} within ${this.timeoutMs} ms`;
        return this.failPredecessor(new RingError('peer-lost', message, this.predecessorRank));
      }
      const call = client.Ring(withToken(new grpc.Metadata(), this.link.token));
      this.fromPredecessor = call;
      call.write({ join: { groupId: this.groupId, generation: this.generation, world: this.world, rank: this.rank } });
      call.on('data', (frame: RingFrame__Output) => {
        this.heardFromPredecessor = true;
        if (frame.body === 'abort' && frame.abort) this.failPredecessor(relayed(frame.abort));
        else this.inbox.push(frame);
      });
      // Failures are reported through 'status', which always comes, with the code.
      call.on('error', () => {});
      call.on('status', (status: grpc.StatusObject) => this.failPredecessor(this.predecessorError(status)));
    });
  }

  /** Takes the successor's call (handed over by the server once its join names this member). */
  attachSuccessor(call: SuccessorCall, join: RingJoin__Output): void {
    const refuse = (code: grpc.status, details: string) => void call.emit('error', { code, details });
    if (join.world !== this.world) {
      return refuse(grpc.status.INVALID_ARGUMENT, `join for a world of ${join.world}, but ring ${this.groupId} has ${this.world} ranks`);
    }
    if (this.toSuccessor) {
      return refuse(grpc.status.ALREADY_EXISTS, `rank ${this.rank} of group ${this.groupId} already has its successor`);
    }
    this.toSuccessor = call;
    if (this.failure) {
      this.sendAbort(this.failure);
      return;
    }
    call.on('data', (request: RingRequest__Output) => {
      if (request.body === 'abort' && request.abort) this.failSuccessor(relayed(request.abort));
    });
    const lost = (what: string) => () =>
      this.failSuccessor(new RingError('peer-lost', `rank ${this.rank}: successor rank ${this.successorRank} ${what}`, this.successorRank));
    call.on('end', lost('closed its call'));
    call.on('cancelled', lost('disconnected'));
    this.successorWaiter?.resolve();
  }

  /**
   * Marks the member broken and tells both neighbours why, ending both calls,
   * so that the failure travels around the ring instead of each rank waiting
   * for its timeout.
   */
  private abort(failure: RingError): void {
    if (this.failure) return;
    this.failure = failure;
    this.inbox.fail(failure);
    this.failSuccessor(failure);
    this.sendAbort(failure);
    const call = this.fromPredecessor;
    if (call) {
      call.write({ abort: abortOf(failure) });
      call.end();
    }
  }

  private sendAbort(failure: RingError): void {
    const call = this.toSuccessor;
    if (!call || call.writableEnded) return;
    call.write(encodeFrame({ abort: abortOf(failure) }));
    call.end();
  }

  /**
   * Ends what the predecessor delivers: a running operation still uses the
   * frames queued before the failure (the predecessor may have sent all it
   * needs, then closed), unless it is still waiting for its successor; an
   * idle member breaks at once and tells its successor, so the failure keeps
   * travelling around the ring.
   */
  private failPredecessor(error: RingError): void {
    this.inbox.fail(error);
    if (!this.busy) this.abort(error);
    else this.successorWaiter?.reject(error);
  }

  /**
   * Records why the successor can no longer be sent to; the next send fails
   * with it. A pending receive is left alone: the predecessor may still
   * deliver everything this operation needs (as when the successor finished
   * and closed first), and when it cannot, the failure reaches this rank
   * around the ring.
   */
  private failSuccessor(error: RingError): void {
    this.successorFailure ??= error;
    this.successorWaiter?.reject(this.successorFailure);
  }

  private predecessorError(status: grpc.StatusObject): RingError {
    const peer = `predecessor rank ${this.predecessorRank} at ${this.predecessorAddress}`;
    switch (status.code) {
      case grpc.status.OK:
        return new RingError('peer-lost', `rank ${this.rank}: ${peer} ended the call`, this.predecessorRank);
      case grpc.status.UNAUTHENTICATED:
      case grpc.status.INVALID_ARGUMENT:
      case grpc.status.FAILED_PRECONDITION:
      case grpc.status.ALREADY_EXISTS:
        return new RingError('protocol', `rank ${this.rank}: ${peer} refused to join: ${status.details}`, this.predecessorRank);
      default:
        return new RingError('peer-lost', `rank ${this.rank}: lost the call to ${peer}: ${status.details}`, this.predecessorRank);
    }
  }

  /** Resolves once the successor's call is here; rejects after timeoutMs naming it. */
  private successorJoined(): Promise<void> {
    if (this.successorFailure) return Promise.reject(this.successorFailure);
    if (this.toSuccessor) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (error?: RingError) => {
        clearTimeout(timer);
        this.successorWaiter = undefined;
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        const others = this.link.waitingJoins();
        const message =
          `rank ${this.rank}: successor rank ${this.successorRank} did not join within ${this.timeoutMs} ms ` +
          `(group ${this.groupId} generation ${this.generation})` +
          (others.length > 0 ? `; waiting here instead: ${others.join(', ')}` : '');
        done(new RingError('timeout', message, this.successorRank));
      }, this.timeoutMs);
      this.successorWaiter = { resolve: () => done(), reject: done };
    });
  }

  /**
   * Runs the operation's rounds and returns the sums to write: [element
   * offset, wire values] for every segment, views over the frames received or
   * sent.
   */
  private async reduce(op: Operation, data: ReducibleArray): Promise<Array<[number, WireArray]>> {
    const { rounds, chunks } = op.schedule;
    const { wire } = op;
    const sums: Array<[number, WireArray]> = [];
    const first = chunks[rounds[0].send];
    const segment = Math.max(1, Math.floor(this.segmentBytes / bytesPerElement(wire.dtype)));
    let offset = 0;
    do {
      const count = Math.min(segment, first.end - first.start - offset);
      const out = this.frame(op, rounds[0], offset, count);
      wire.encode(data.subarray(first.start + offset, first.start + offset + count), out.values);
      this.send(out);
      offset += count;
    } while (offset < first.end - first.start);

    for (const [i, round] of rounds.entries()) {
      const next = rounds[i + 1] as RingRound | undefined;
      const { start, end } = chunks[round.receive];
      offset = 0;
      do {
        const chunk = await this.nextChunk(op, round);
        const problem = this.chunkProblem(chunk, op, round, offset, end - start);
        if (problem) throw this.refuse(problem);
        const received = payloadValues(chunk.payload, wire.dtype);
        const at = start + offset;
        if (round.combine === 'copy') sums.push([at, received]);
        if (next) {
          // Passed on as the same segment of the next round (see ringSchedule).
          const out = this.frame(op, next, offset, received.length);
          if (round.combine === 'add') wire.add(data.subarray(at, at + received.length), received, out.values);
          else out.values.set(received);
          this.send(out);
          // After the last reduce-scatter round the sum sent is this rank's own chunk, final.
          if (round.combine === 'add' && next.combine === 'copy') sums.push([at, out.values]);
        }
        offset += received.length;
      } while (offset < end - start);
    }
    return sums;
  }

  private frame(op: Operation, round: RingRound, offset: number, count: number): ChunkFrame {
    const header = {
      groupId: this.groupId,
      generation: this.generation,
      world: this.world,
      sender: this.rank,
      seq: op.seq,
      step: op.step,
      phase: PHASES[round.phase],
      round: round.round,
      chunk: round.send,
      dtype: op.wire.dtype,
      length: op.schedule.length,
      offset,
    };
    return chunkFrame(header, count);
  }

  private send({ frame, values }: ChunkFrame): void {
    if (this.successorFailure) throw this.successorFailure;
    this.toSuccessor!.write(frame);
    this.lastSent = performance.now();
    this.bytes += values.byteLength;
  }

  /** Tells the successor this rank is alive when nothing else went to it for a while. */
  private heartbeat(op: Operation, interval: number): void {
    if (!this.toSuccessor || this.successorFailure || performance.now() - this.lastSent < interval) return;
    this.toSuccessor.write(encodeFrame({ alive: { seq: op.seq } }));
    this.lastSent = performance.now();
  }

  /** The next chunk from the predecessor, skipping heartbeats; times out on silence, naming it. */
  private async nextChunk(op: Operation, round: RingRound): Promise<RingChunk__Output> {
    for (;;) {
      const frame = await this.inbox.next(this.timeoutMs, () => this.silence(op, round));
      if (frame.body === 'chunk' && frame.chunk) return frame.chunk;
    }
  }

  private silence(op: Operation, round: RingRound): RingError {
    const never = this.heardFromPredecessor
      ? ''
      : `; it has sent nothing since this rank joined (has it a member of group ${this.groupId} generation ${this.generation}?)`;
    return new RingError(
      'timeout',
      `rank ${this.rank}: nothing from predecessor rank ${this.predecessorRank} for ${this.timeoutMs} ms ` +
        `(group ${this.groupId} generation ${this.generation}, step ${op.step}, ${round.phase} round ${round.round})${never}`,
      this.predecessorRank,
    );
  }

  private refuse(problem: string): RingError {
    return new RingError(
      'protocol',
      `rank ${this.rank} refused a message from rank ${this.predecessorRank} ` +
        `(group ${this.groupId} generation ${this.generation}): ${problem}`,
      this.predecessorRank,
    );
  }

  /** Checks that a message is the next one this operation expects; the problem, if any. */
  private chunkProblem(chunk: RingChunk__Output, op: Operation, round: RingRound, offset: number, size: number) {
    if (chunk.groupId !== this.groupId) return `group '${chunk.groupId}', but this ring is '${this.groupId}'`;
    if (chunk.generation !== this.generation) {
      return `generation ${chunk.generation}, but this ring is generation ${this.generation}`;
    }
    if (chunk.world !== this.world) return `world ${chunk.world}, but this ring has ${this.world} ranks`;
    if (chunk.sender !== this.predecessorRank) {
      return `sender rank ${chunk.sender}, but the predecessor is rank ${this.predecessorRank}`;
    }
    if (chunk.seq !== op.seq) {
      return `operation #${chunk.seq}, expected #${op.seq} (ranks must call allReduce in the same order)`;
    }
    if (chunk.step !== op.step) return `step ${chunk.step}, expected step ${op.step}`;
    if (chunk.dtype !== op.wire.dtype) {
      return `dtype ${chunk.dtype}, expected ${op.wire.dtype} (all ranks must send the same type, float16 or not)`;
    }
    if (chunk.length !== op.schedule.length) {
      return `vector length ${chunk.length}, but this rank reduces ${op.schedule.length} elements`;
    }
    const expected = `${PHASES[round.phase]} round ${round.round} chunk ${round.receive}`;
    if (chunk.phase !== PHASES[round.phase] || chunk.round !== round.round || chunk.chunk !== round.receive) {
      return `${chunk.phase} round ${chunk.round} chunk ${chunk.chunk}, expected ${expected}`;
    }
    if (chunk.offset !== offset) return `offset ${chunk.offset} in ${expected}, expected ${offset}`;
    const bytes = chunk.payload.byteLength;
    const width = bytesPerElement(op.wire.dtype);
    if (bytes % width !== 0) return `payload of ${bytes} bytes is not a whole number of ${op.wire.dtype} elements`;
    const elements = bytes / width;
    if (elements > size - offset) return `${elements} elements at offset ${offset} overflow ${expected} of ${size}`;
    if (elements === 0 && size > 0) return `empty payload in ${expected} of ${size} elements`;
    return undefined;
  }
}

function abortOf(failure: RingError): RingAbort {
  return {
    reason: ABORT_REASONS[failure.reason as keyof typeof ABORT_REASONS] ?? 'PROTOCOL',
    message: failure.message,
    ...(failure.faultyRank === undefined ? {} : { faultyRank: failure.faultyRank }),
  };
}

/** A neighbour's abort as this rank's failure: the same reason (a closed neighbour is a lost peer) and message. */
function relayed(abort: RingAbort__Output): RingError {
  return new RingError(REASONS[abort.reason], abort.message, abort.faultyRank);
}

function checkOptions(options: RingMemberOptions): void {
  const { rank, world, groupId, generation, timeoutMs, segmentBytes, predecessor } = options;
  const fail = (problem: string) => {
    throw new RingError('usage', problem);
  };
  if (!Number.isSafeInteger(world) || world < 1) fail(`world must be an integer >= 1, got ${world}`);
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= world) fail(`rank must be an integer in 0..${world - 1}, got ${rank}`);
  if (typeof groupId !== 'string' || groupId === '') fail('groupId must be a non-empty string');
  if (!Number.isSafeInteger(generation) || generation < 0) fail(`generation must be a non-negative integer, got ${generation}`);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) fail(`timeoutMs must be > 0, got ${timeoutMs}`);
  if (segmentBytes !== undefined && !(segmentBytes >= 8 && segmentBytes <= MAX_SEGMENT_BYTES)) {
    fail(`segmentBytes must be in 8..${MAX_SEGMENT_BYTES}, got ${segmentBytes}`);
  }
  if (world > 1 && predecessor === undefined) fail(`rank ${rank} of a world of ${world} needs its predecessor's address`);
  if (predecessor !== undefined) {
    try {
      parseHostPort(predecessor, 'predecessor');
    } catch (error) {
      fail((error as Error).message);
    }
  }
}
