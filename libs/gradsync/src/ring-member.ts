import * as grpc from '@grpc/grpc-js';
import {
  loadProtos,
  parseHostPort,
  type GradSyncClient,
  type RingAck,
  type RingAck__Output,
  type RingChunk,
  type RingChunk__Output,
  type RingDType,
  type RingPhase as ProtoPhase,
} from '@jvae/protocol';
import { Inbox } from './inbox.js';
import { bytesPerElement, decodePayload, dtypeOf, encodePayload, type ReducibleArray } from './payload.js';
import { RingError } from './ring-error.js';
import { combineInto, ringSchedule, type RingRound, type RingSchedule } from './ring-schedule.js';

export interface RingMemberOptions {
  /** This member's rank, 0..world-1. */
  rank: number;
  /** Number of ranks in the ring. */
  world: number;
  /** Id shared by the ring's members; messages of other groups are refused. */
  groupId: string;
  /** host:port to serve GradSync on; port 0 picks a free port (see `address`). */
  listen: string;
  /** host:port of rank (rank+1) % world; may instead be given later with connect(). */
  successor?: string;
  /** How long to wait for a peer (connect, each chunk, acknowledgements), in ms. Default 30 000. */
  timeoutMs?: number;
  /** Largest payload per message, in bytes; bigger chunks travel in several messages. Default 1 MiB. */
  segmentBytes?: number;
  /** TLS for the ring; plaintext when absent. */
  serverCredentials?: grpc.ServerCredentials;
  clientCredentials?: grpc.ChannelCredentials;
}

const PHASES: Record<RingRound['phase'], ProtoPhase> = {
  'reduce-scatter': 'REDUCE_SCATTER',
  'all-gather': 'ALL_GATHER',
};
const MAX_SEGMENT_BYTES = 8 << 20;

interface Operation {
  seq: number;
  step: number;
  dtype: RingDType;
  schedule: RingSchedule;
}

/**
 * One rank of a ring all-reduce over gRPC. It serves GradSync for its
 * predecessor and keeps one Ring stream open to its successor for its whole
 * life. allReduce sums a vector across all ranks in place; every rank must
 * call it with the same step, element type and length, in the same order.
 * Any failure (peer lost, timeout, bad message) rejects the pending call with
 * a RingError and leaves the member broken: close it and form a new ring.
 */
export class RingMember {
  readonly rank: number;
  readonly world: number;
  readonly groupId: string;
  /** The bound host:port (the listen port resolved); advertise it to the predecessor. */
  readonly address: string;

  private readonly predecessor: number;
  private readonly successorRank: number;
  private readonly timeoutMs: number;
  private readonly segmentBytes: number;
  private readonly clientCredentials: grpc.ChannelCredentials;
  private readonly inbox = new Inbox<RingChunk__Output>();
  private successor: string | undefined;
  private client: GradSyncClient | undefined;
  private outbound: grpc.ClientDuplexStream<RingChunk, RingAck__Output> | undefined;
  private outboundFailure: RingError | undefined;
  private inbound: grpc.ServerDuplexStream<RingChunk__Output, RingAck> | undefined;
  private inboundEnded = false;
  private sent = 0;
  private acked = 0;
  private ackWaiter: { target: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  private nextSeq = 0;
  private busy = false;
  private broken: RingError | undefined;
  private bytes = 0;

  private constructor(
    private readonly server: grpc.Server,
    options: RingMemberOptions,
    address: string,
  ) {
    this.rank = options.rank;
    this.world = options.world;
    this.groupId = options.groupId;
    this.address = address;
    this.predecessor = (options.rank + options.world - 1) % options.world;
    this.successorRank = (options.rank + 1) % options.world;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.segmentBytes = options.segmentBytes ?? 1 << 20;
    this.clientCredentials = options.clientCredentials ?? grpc.credentials.createInsecure();
    if (options.successor) this.connect(options.successor);
  }

  /** Validates the options, starts the GradSync server and returns the member. */
  static async start(options: RingMemberOptions): Promise<RingMember> {
    checkOptions(options);
    const host = hostOf(options.listen, 'listen');
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 2 * MAX_SEGMENT_BYTES });
    let member: RingMember | undefined;
    server.addService(loadProtos().proto.jvae.v1.GradSync.service, {
      Ring: (call: grpc.ServerDuplexStream<RingChunk__Output, RingAck>) =>
        member
          ? member.acceptInbound(call)
          : call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'ring member is starting' }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        options.listen,
        options.serverCredentials ?? grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(new RingError('usage', `cannot listen on ${options.listen}: ${error.message}`)) : resolve(bound)),
      ),
    );
    member = new RingMember(server, options, `${host}:${port}`);
    return member;
  }

  /** Payload bytes this member has sent so far. */
  get bytesSent(): number {
    return this.bytes;
  }

  /** Sets the successor's address (once), when it was not known at start. */
  connect(successor: string): void {
    if (this.successor !== undefined) {
      throw new RingError('usage', `rank ${this.rank} already has successor ${this.successor}`);
    }
    hostOf(successor, 'successor');
    this.successor = successor;
  }

  /**
   * Sums `data` over all ranks, in place (the caller divides for a mean).
   * Resolves when this rank holds the full sum and the successor has
   * acknowledged everything sent to it.
   */
  async allReduce(step: number, data: ReducibleArray): Promise<void> {
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new RingError('usage', 'allReduce needs a Float32Array or Float64Array');
    }
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new RingError('usage', `step must be a non-negative integer, got ${step}`);
    }
    if (this.broken) throw this.broken;
    if (this.busy) throw new RingError('usage', `rank ${this.rank}: allReduce called while another is running`);
    const op: Operation = {
      seq: this.nextSeq++,
      step,
      dtype: dtypeOf(data),
      schedule: ringSchedule(this.rank, this.world, data.length),
    };
    if (this.world === 1) return;
    this.busy = true;
    try {
      await this.openOutbound();
      for (const round of op.schedule.rounds) {
        this.sendRound(op, round, data);
        await this.receiveRound(op, round, data);
      }
      await this.acknowledged(this.sent, op);
    } catch (error) {
      const failure = error instanceof RingError ? error : new RingError('protocol', String(error));
      this.abort(failure);
      throw failure;
    } finally {
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
   * Drops both streams and stops serving; pending and later calls reject with
   * reason 'closed'. Resolves once the server is down (statuses already sent
   * get a moment to reach the peers).
   */
  async close(): Promise<void> {
    if (this.broken?.reason === 'closed') return;
    this.abort(new RingError('closed', `rank ${this.rank} of group ${this.groupId} was closed`));
    this.client?.close();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /**
   * Marks the member broken and drops both streams, so the neighbours fail
   * at once instead of waiting for their timeouts, and the failure travels
   * around the ring.
   */
  private abort(error: RingError): void {
    this.broken = error;
    this.inbox.fail(error);
    this.failOutbound(error);
    this.outbound?.end();
    if (this.inbound && !this.inboundEnded) {
      this.inboundEnded = true;
      this.inbound.emit('error', { code: grpc.status.ABORTED, details: `rank ${this.rank} gave up: ${error.message}` });
    }
  }

  private acceptInbound(call: grpc.ServerDuplexStream<RingChunk__Output, RingAck>): void {
    if (this.inbound) {
      call.emit('error', {
        code: grpc.status.FAILED_PRECONDITION,
        details: `rank ${this.rank} of group ${this.groupId} already has a stream from its predecessor`,
      });
      return;
    }
    this.inbound = call;
    call.on('data', (chunk: RingChunk__Output) => {
      if (this.inboundEnded) return;
      const problem = this.envelopeProblem(chunk);
      if (problem) {
        this.refuse(problem);
        return;
      }
      this.inbox.push(chunk);
      call.write({ seq: chunk.seq, phase: chunk.phase, round: chunk.round, offset: chunk.offset });
    });
    const lost = (what: string) => () =>
      this.inbox.fail(new RingError('peer-lost', `rank ${this.rank}: predecessor rank ${this.predecessor} ${what}`));
    call.on('end', lost('closed its stream'));
    call.on('cancelled', lost('disconnected'));
  }

  /** Ends the inbound stream with INVALID_ARGUMENT and fails the pending receive; returns that error. */
  private refuse(problem: string): RingError {
    const error = new RingError(
      'protocol',
      `rank ${this.rank} refused a chunk from rank ${this.predecessor} of group ${this.groupId}: ${problem}`,
    );
    this.inbox.fail(error);
    if (!this.inboundEnded) {
      this.inboundEnded = true;
      this.inbound?.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: problem });
    }
    return error;
  }

  /** Checks what every message must satisfy, whatever the operation. */
  private envelopeProblem(chunk: RingChunk__Output): string | undefined {
    if (chunk.groupId !== this.groupId) return `group '${chunk.groupId}', but this ring is '${this.groupId}'`;
    if (chunk.world !== this.world) return `world ${chunk.world}, but this ring has ${this.world} ranks`;
    if (chunk.sender !== this.predecessor) return `sender rank ${chunk.sender}, but the predecessor is rank ${this.predecessor}`;
    if (chunk.dtype !== 'FLOAT32' && chunk.dtype !== 'FLOAT64') return `unknown dtype ${chunk.dtype}`;
    if (chunk.payload.byteLength % bytesPerElement(chunk.dtype) !== 0) {
      return `payload of ${chunk.payload.byteLength} bytes is not a whole number of ${chunk.dtype} elements`;
    }
    return undefined;
  }

  /** Checks that a message is the next one this operation expects. */
  private chunkProblem(chunk: RingChunk__Output, op: Operation, round: RingRound, offset: number, size: number) {
    const expected = `${PHASES[round.phase]} round ${round.round} chunk ${round.receive}`;
    if (chunk.seq !== op.seq) {
      return `operation #${chunk.seq}, expected #${op.seq} (ranks must call allReduce in the same order)`;
    }
    if (chunk.step !== op.step) return `step ${chunk.step}, expected step ${op.step}`;
    if (chunk.dtype !== op.dtype) return `dtype ${chunk.dtype}, expected ${op.dtype}`;
    if (chunk.length !== op.schedule.length) {
      return `vector length ${chunk.length}, but this rank reduces ${op.schedule.length} elements`;
    }
    if (chunk.phase !== PHASES[round.phase] || chunk.round !== round.round || chunk.chunk !== round.receive) {
      return `${chunk.phase} round ${chunk.round} chunk ${chunk.chunk}, expected ${expected}`;
    }
    if (chunk.offset !== offset) return `offset ${chunk.offset} in ${expected}, expected ${offset}`;
    const elements = chunk.payload.byteLength / bytesPerElement(chunk.dtype);
    if (elements > size - offset) return `${elements} elements at offset ${offset} overflow ${expected} of ${size}`;
    if (elements === 0 && size > 0) return `empty payload in ${expected} of ${size} elements`;
    return undefined;
  }

  private async openOutbound(): Promise<void> {
    if (this.outbound) return;
    if (this.successor === undefined) {
      throw new RingError('usage', `rank ${this.rank} has no successor address; call connect() first`);
    }
    const { GradSync } = loadProtos().proto.jvae.v1;
    // Short reconnect backoff: the successor may start listening a moment after us.
    const client = new GradSync(this.successor, this.clientCredentials, {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    this.client = client;
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + this.timeoutMs, (error) =>
        error
          ? reject(new RingError('peer-lost', `rank ${this.rank} could not reach successor rank ${this.successorRank} at ${this.successor} within ${this.timeoutMs} ms`))
          : resolve(),
      ),
    );
    if (this.broken) throw this.broken;
    const call = client.Ring();
    this.outbound = call;
    call.on('data', () => {
      this.acked++;
      if (this.ackWaiter && this.acked >= this.ackWaiter.target) this.ackWaiter.resolve();
    });
    // Failures are reported through 'status', which always comes, with the code.
    call.on('error', () => {});
    call.on('status', (status: grpc.StatusObject) => this.failOutbound(this.outboundError(status)));
  }

  private outboundError(status: grpc.StatusObject): RingError {
    const peer = `successor rank ${this.successorRank} at ${this.successor}`;
    switch (status.code) {
      case grpc.status.OK:
        return new RingError('peer-lost', `${peer} ended the stream`);
      case grpc.status.INVALID_ARGUMENT:
      case grpc.status.FAILED_PRECONDITION:
        return new RingError('protocol', `${peer} refused our chunks: ${status.details}`);
      default:
        return new RingError('peer-lost', `rank ${this.rank} lost the stream to ${peer}: ${status.details}`);
    }
  }

  /**
   * Records why the successor stream is unusable; the next send or wait for
   * acknowledgements fails with it. A pending receive is left alone: the
   * predecessor may still deliver everything this operation needs (as when
   * the successor finished and closed first), and when it cannot, the
   * failure reaches this rank around the ring.
   */
  private failOutbound(error: RingError): void {
    this.outboundFailure ??= error;
    this.ackWaiter?.reject(this.outboundFailure);
  }

  private sendRound(op: Operation, round: RingRound, data: ReducibleArray): void {
    const { start, end } = op.schedule.chunks[round.send];
    const segment = Math.max(1, Math.floor(this.segmentBytes / bytesPerElement(op.dtype)));
    let offset = 0;
    do {
      if (this.outboundFailure) throw this.outboundFailure;
      const count = Math.min(segment, end - start - offset);
      const payload = encodePayload(data, start + offset, start + offset + count);
      this.outbound!.write({
        groupId: this.groupId,
        world: this.world,
        sender: this.rank,
        seq: op.seq,
        step: op.step,
        phase: PHASES[round.phase],
        round: round.round,
        chunk: round.send,
        dtype: op.dtype,
        length: op.schedule.length,
        offset,
        payload,
      });
      this.sent++;
      this.bytes += payload.byteLength;
      offset += count;
    } while (offset < end - start);
  }

  private async receiveRound(op: Operation, round: RingRound, data: ReducibleArray): Promise<void> {
    const { start, end } = op.schedule.chunks[round.receive];
    const size = end - start;
    let offset = 0;
    do {
      const chunk = await this.inbox.next(this.timeoutMs, () => this.silence(op, round, 'predecessor', this.predecessor));
      const problem = this.chunkProblem(chunk, op, round, offset, size);
      if (problem) throw this.refuse(problem);
      const values = decodePayload(chunk.payload, op.dtype);
      combineInto(data, start + offset, values, round.combine);
      offset += values.length;
    } while (offset < size);
  }

  /** Waits until the successor has acknowledged `target` messages in total. */
  private acknowledged(target: number, op: Operation): Promise<void> {
    if (this.acked >= target) return Promise.resolve();
    if (this.outboundFailure) return Promise.reject(this.outboundFailure);
    const lastRound = op.schedule.rounds[op.schedule.rounds.length - 1];
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.ackWaiter = undefined;
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => done(this.silence(op, lastRound, 'successor', this.successorRank)), this.timeoutMs);
      this.ackWaiter = { target, resolve: () => done(), reject: done };
    });
  }

  private silence(op: Operation, round: RingRound, peer: string, peerRank: number): RingError {
    return new RingError(
      'timeout',
      `rank ${this.rank}: nothing from ${peer} rank ${peerRank} for ${this.timeoutMs} ms ` +
        `(group ${this.groupId}, step ${op.step}, ${round.phase} round ${round.round})`,
    );
  }
}

function checkOptions(options: RingMemberOptions): void {
  const { rank, world, groupId, timeoutMs, segmentBytes } = options;
  const fail = (problem: string) => {
    throw new RingError('usage', problem);
  };
  if (!Number.isSafeInteger(world) || world < 1) fail(`world must be an integer >= 1, got ${world}`);
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= world) fail(`rank must be an integer in 0..${world - 1}, got ${rank}`);
  if (typeof groupId !== 'string' || groupId === '') fail('groupId must be a non-empty string');
  if (timeoutMs !== undefined && !(timeoutMs > 0)) fail(`timeoutMs must be > 0, got ${timeoutMs}`);
  if (segmentBytes !== undefined && !(segmentBytes >= 8 && segmentBytes <= MAX_SEGMENT_BYTES)) {
    fail(`segmentBytes must be in 8..${MAX_SEGMENT_BYTES}, got ${segmentBytes}`);
  }
  if (options.successor !== undefined) hostOf(options.successor, 'successor');
}

/** The host part of a host:port option; a bad value is a usage error naming the option. */
function hostOf(address: string, option: string): string {
  try {
    return parseHostPort(address, option).host;
  } catch (error) {
    throw new RingError('usage', (error as Error).message);
  }
}
