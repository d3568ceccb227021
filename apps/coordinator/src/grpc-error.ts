import * as grpc from '@grpc/grpc-js';
import { InvalidIdError } from '@jvae/protocol';
import { NotFoundError } from '@jvae/store';
import { SweepSpecError } from '@jvae/sweep';
import { UploadError } from './artifacts/upload-error.js';

/** An error with the gRPC status it should be answered with. */
export class GrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }
}

/**
 * The status to answer `error` with: bad input is INVALID_ARGUMENT, unknown ids NOT_FOUND,
 * anything unexpected INTERNAL (and reported through `log`).
 */
export function toServiceError(error: unknown, log: (line: string) => void): grpc.ServerErrorResponse {
  const [code, details] = classify(error);
  if (code === grpc.status.INTERNAL) log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return Object.assign(new Error(details), { code, details });
}

function classify(error: unknown): [grpc.status, string] {
  if (error instanceof GrpcError) return [error.code, error.message];
  if (error instanceof SweepSpecError || error instanceof InvalidIdError || error instanceof UploadError) {
    return [grpc.status.INVALID_ARGUMENT, error.message];
  }
  if (error instanceof NotFoundError) return [grpc.status.NOT_FOUND, error.message];
  return [grpc.status.INTERNAL, error instanceof Error ? error.message : String(error)];
}
