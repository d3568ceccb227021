import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  CheckpointChunk,
  CheckpointChunk__Output,
  CheckpointInfo,
  CheckpointInfo__Output,
  CoordinatorConnection,
} from '@jvae/protocol';
import { CheckpointIntegrityError } from './checkpoint-integrity-error.js';
import { retryWhileUnreachable, type RetryOptions } from './retry-while-unreachable.js';

/** Bytes of file data per message: well below gRPC's default 4 MiB message limit. */
const CHUNK_BYTES = 256 * 1024;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A relative path of safe segments (no '.', '..', empty or absolute parts) that can be joined to a directory. */
export function isSafeRelativePath(path: string): boolean {
  return typeof path === 'string' && path.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

interface LocalFile {
  path: string;
  data: Buffer;
}

/** Every file under `dir`, with paths relative to it (forward slashes), sorted. */
async function readTree(dir: string, under = ''): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  const entries = await readdir(join(dir, under), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await readTree(dir, path)));
    else if (entry.isFile()) files.push({ path, data: await readFile(join(dir, path)) });
  }
  return files;
}

function* uploadChunks(manifest: CheckpointInfo, files: LocalFile[]): Generator<CheckpointChunk> {
  yield { manifest };
  for (const { path, data } of files) {
    // An empty file is still sent once, so the server sees every listed path.
    let offset = 0;
    do {
      yield { file: { path, offset, data: data.subarray(offset, offset + CHUNK_BYTES) } };
      offset += CHUNK_BYTES;
    } while (offset < data.length);
  }
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** Called before each wait while the coordinator is unreachable. */
  onRetry?: RetryOptions['onRetry'];
}

/**
 * Moves checkpoint directories to and from the coordinator's artifact store over the
 * UploadCheckpoint / DownloadCheckpoint streams, retrying with backoff while the
 * coordinator is unreachable. Downloads are verified (size and SHA-256 of every file
 * against the manifest, safe paths) before anything is written.
 */
export class CheckpointTransfer {
  constructor(
    private readonly connection: CoordinatorConnection,
    private readonly backoff: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs'> = {},
  ) {}

  /** Uploads every file under `dir` as the trial's checkpoint at `step`; resolves with the stored checkpoint's id. */
  async upload(dir: string, target: { trialId: string; step: number }, options: TransferOptions = {}): Promise<string> {
    const files = await readTree(dir);
    const manifest: CheckpointInfo = {
      trialId: target.trialId,
      step: target.step,
      files: files.map(({ path, data }) => ({ path, sha256: sha256(data), size: data.length })),
    };
    const response = await retryWhileUnreachable(
      () => untilAborted(this.connection.uploadCheckpoint(uploadChunks(manifest, files)), options.signal),
      { ...this.backoff, ...options },
    );
    if (!response.ok || !response.checkpointId) {
      throw new Error(`the coordinator did not accept the checkpoint of trial ${target.trialId} at step ${target.step}`);
    }
    return response.checkpointId;
  }

  /**
   * Downloads checkpoint `checkpointId` into `dir` (created; should not exist yet) and returns
   * its manifest. Throws CheckpointIntegrityError when what arrives does not match the manifest.
   */
  async download(checkpointId: string, dir: string, options: TransferOptions = {}): Promise<CheckpointInfo__Output> {
    const { manifest, files } = await retryWhileUnreachable(() => this.fetch(checkpointId, options.signal), {
      ...this.backoff,
      ...options,
    });
    for (const [path, data] of files) {
      const target = join(dir, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, data);
    }
    return manifest;
  }

  private async fetch(
    checkpointId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ manifest: CheckpointInfo__Output; files: Map<string, Buffer> }> {
    const stream = this.connection.downloadCheckpoint({ checkpointId });
    const cancel = () => stream.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    const fail = (file: string, problem: string) => new CheckpointIntegrityError(checkpointId, file, problem);
    try {
      let manifest: CheckpointInfo__Output | undefined;
      const parts = new Map<string, Buffer[]>();
      const received = new Map<string, number>();
      for await (const chunk of stream as AsyncIterable<CheckpointChunk__Output>) {
        if (!manifest) {
          if (chunk.part !== 'manifest' || !chunk.manifest) throw fail('(stream)', 'the first message is not the manifest');
          manifest = checkManifest(chunk.manifest, checkpointId, fail);
          for (const file of manifest.files) {
            parts.set(file.path, []);
            received.set(file.path, 0);
          }
          continue;
        }
        if (chunk.part !== 'file' || !chunk.file) throw fail('(stream)', 'a second manifest arrived');
        const { path, offset, data } = chunk.file;
        const entry = manifest.files.find((f) => f.path === path);
        if (!entry) throw fail(path, 'not listed in the manifest');
        const have = received.get(path)!;
        if (offset !== have) throw fail(path, `chunk at offset ${offset}, expected ${have}`);
        if (have + data.length > entry.size) throw fail(path, `more bytes than the manifest's ${entry.size}`);
        parts.get(path)!.push(data);
        received.set(path, have + data.length);
      }
      if (!manifest) throw fail('(stream)', 'ended before the manifest');
      const files = new Map<string, Buffer>();
      for (const entry of manifest.files) {
        const data = Buffer.concat(parts.get(entry.path)!);
        if (data.length !== entry.size) {
          throw fail(entry.path, `received ${data.length} bytes, the manifest says ${entry.size}`);
        }
        if (sha256(data) !== entry.sha256) throw fail(entry.path, 'SHA-256 differs from the manifest');
        files.set(entry.path, data);
      }
      return { manifest, files };
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }
}

function checkManifest(
  manifest: CheckpointInfo__Output,
  checkpointId: string,
  fail: (file: string, problem: string) => CheckpointIntegrityError,
): CheckpointInfo__Output {
  if (manifest.id && manifest.id !== checkpointId) throw fail('(manifest)', `is for checkpoint ${manifest.id}`);
  if (manifest.files.length === 0) throw fail('(manifest)', 'lists no files');
  const seen = new Set<string>();
  for (const file of manifest.files) {
    if (!isSafeRelativePath(file.path)) throw fail(JSON.stringify(file.path), 'not a safe relative path');
    if (seen.has(file.path)) throw fail(file.path, 'listed twice in the manifest');
    if (!SHA256_HEX.test(file.sha256)) throw fail(file.path, `SHA-256 '${file.sha256}' is not 64 lower-case hex digits`);
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw fail(file.path, `bad size ${file.size}`);
    seen.add(file.path);
  }
  return manifest;
}
