import * as grpc from '@grpc/grpc-js';
import { withToken } from './auth.js';
import type { TlsFiles } from './config.js';
import type {
  BestTrialRequest,
  BestTrialResponse__Output,
  CancelSweepRequest,
  CancelSweepResponse__Output,
  CheckpointChunk,
  CheckpointChunk__Output,
  CoordinatorClient,
  DownloadCheckpointRequest,
  GetSweepRequest,
  ListSweepsRequest,
  ListSweepsResponse__Output,
  ListWorkersRequest,
  ListWorkersResponse__Output,
  RetrySweepRequest,
  RetrySweepResponse__Output,
  ScaleWorkersRequest,
  ScaleWorkersResponse__Output,
  SubmitSweepRequest,
  SubmitSweepResponse__Output,
  Sweep__Output,
  SweepEvent__Output,
  UploadCheckpointResponse__Output,
  WatchSweepRequest,
} from './generated/index.js';
import { loadProtos } from './protos.js';
import { clientCredentials } from './tls.js';

export interface CoordinatorClientOptions {
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** TLS files (see clientCredentials); plaintext when absent. */
  tls?: TlsFiles;
  /** Deadline of each unary call and upload, in ms (default 30 000). Streams from the server have none. */
  callTimeoutMs?: number;
}

type Invoke<Res> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Res>,
) => unknown;

/**
 * A typed client of the Coordinator service: promises for unary calls and
 * uploads, Node streams (async-iterable) for server streams. Failed calls
 * reject with the grpc ServiceError (`code`, `details`).
 */
export class CoordinatorConnection {
  /** The generated client, for anything not wrapped here. */
  readonly client: CoordinatorClient;
  private readonly token: string | undefined;
  private readonly callTimeoutMs: number;

  constructor(address: string, options: CoordinatorClientOptions = {}) {
    const { Coordinator } = loadProtos().proto.jvae.v1;
    this.client = new Coordinator(address, clientCredentials(options.tls));
    this.token = options.token;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
  }

  submitSweep(request: SubmitSweepRequest): Promise<SubmitSweepResponse__Output> {
    return this.unary((md, o, cb) => this.client.submitSweep(request, md, o, cb));
  }

  getSweep(request: GetSweepRequest): Promise<Sweep__Output> {
    return this.unary((md, o, cb) => this.client.getSweep(request, md, o, cb));
  }

  listSweeps(request: ListSweepsRequest = {}): Promise<ListSweepsResponse__Output> {
    return this.unary((md, o, cb) => this.client.listSweeps(request, md, o, cb));
  }

  cancelSweep(request: CancelSweepRequest): Promise<CancelSweepResponse__Output> {
    return this.unary((md, o, cb) => this.client.cancelSweep(request, md, o, cb));
  }

  retrySweep(request: RetrySweepRequest): Promise<RetrySweepResponse__Output> {
    return this.unary((md, o, cb) => this.client.retrySweep(request, md, o, cb));
  }

  listWorkers(request: ListWorkersRequest = {}): Promise<ListWorkersResponse__Output> {
    return this.unary((md, o, cb) => this.client.listWorkers(request, md, o, cb));
  }

  scaleWorkers(request: ScaleWorkersRequest): Promise<ScaleWorkersResponse__Output> {
    return this.unary((md, o, cb) => this.client.scaleWorkers(request, md, o, cb));
  }

  bestTrial(request: BestTrialRequest): Promise<BestTrialResponse__Output> {
    return this.unary((md, o, cb) => this.client.bestTrial(request, md, o, cb));
  }

  /** Snapshot, then changes, until the sweep ends; `for await` over it or listen to 'data'. */
  watchSweep(request: WatchSweepRequest): grpc.ClientReadableStream<SweepEvent__Output> {
    return this.client.watchSweep(request, this.metadata());
  }

  /** The manifest first, then file chunks. */
  downloadCheckpoint(request: DownloadCheckpointRequest): grpc.ClientReadableStream<CheckpointChunk__Output> {
    return this.client.downloadCheckpoint(request, this.metadata());
  }

  /**
   * Streams `chunks` (manifest first, then file chunks) with backpressure and resolves with the
   * server's answer. Aborting `signal` cancels the call and rejects with the signal's reason.
   */
  uploadCheckpoint(
    chunks: Iterable<CheckpointChunk> | AsyncIterable<CheckpointChunk>,
    signal?: AbortSignal,
  ): Promise<UploadCheckpointResponse__Output> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let finished = false;
      const onAbort = () => {
        finished = true;
        call.cancel();
        reject(signal!.reason);
      };
      const call = this.client.uploadCheckpoint(this.metadata(), this.callOptions(), (error, response) => {
        finished = true;
        signal?.removeEventListener('abort', onAbort);
        if (error || !response) reject(error ?? new Error('UploadCheckpoint returned no response'));
        else resolve(response);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      const settled = new Promise((r) => call.once('status', r));
      const send = async () => {
        for await (const chunk of chunks) {
          if (finished) return;
          if (!call.write(chunk)) await Promise.race([new Promise((r) => call.once('drain', r)), settled]);
        }
        call.end();
      };
      send().catch((error: unknown) => {
        call.cancel();
        reject(error);
      });
    });
  }

  /** Resolves once connected; rejects when the coordinator is not reachable within `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): void {
    this.client.close();
  }

  private metadata(): grpc.Metadata {
    return withToken(new grpc.Metadata(), this.token);
  }

  private callOptions(): grpc.CallOptions {
    return { deadline: Date.now() + this.callTimeoutMs };
  }

  private unary<Res>(invoke: Invoke<Res>): Promise<Res> {
    return new Promise((resolve, reject) => {
      invoke(this.metadata(), this.callOptions(), (error, response) => {
        if (error || response === undefined) reject(error ?? new Error('empty response'));
        else resolve(response);
      });
    });
  }
}

/** A typed Coordinator client for `address` (host:port). */
export function coordinatorClient(address: string, options: CoordinatorClientOptions = {}): CoordinatorConnection {
  return new CoordinatorConnection(address, options);
}
