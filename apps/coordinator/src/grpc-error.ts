import * as grpc from '@grpc/grpc-js';
import { ArtifactError } from '@jvae/artifacts';
import { InvalidIdError } from '@jvae/protocol';
import { NotFoundError } from '@jvae/store';
import { SweepSpecError } from '@jvae/sweep';

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

/** The status of each kind of artifact error: a full disk or any storage failure may pass, so the client may retry. */
const ARTIFACT_STATUS: Record<ArtifactError['reason'], grpc.status> = {
  invalid: grpc.status.INVALID_ARGUMENT,
  'no-space': grpc.status.RESOURCE_EXHAUSTED,
  storage: grpc.status.UNAVAILABLE,
};

/**
 * The status to answer `error` with: bad input is INVALID_ARGUMENT, unknown ids NOT_FOUND,
 * a full artifact disk RESOURCE_EXHAUSTED and other storage failures UNAVAILABLE (both
 * reported through `log`), anything unexpected INTERNAL (also reported).
 */
export function toServiceError(error: unknown, log: (line: string) => void): grpc.ServerErrorResponse {
  const [code, details] = classify(error);
  if (code === grpc.status.INTERNAL) log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (error instanceof ArtifactError && error.reason !== 'invalid') log(`artifact store: ${details}`);
  return Object.assign(new Error(details), { code, details });
}

function classify(error: unknown): [grpc.status, string] {
  if (error instanceof GrpcError) return [error.code, error.message];
  if (error instanceof ArtifactError) return [ARTIFACT_STATUS[error.reason], error.message];
  if (error instanceof SweepSpecError || error instanceof InvalidIdError) return [grpc.status.INVALID_ARGUMENT, error.message];
  if (error instanceof NotFoundError) return [grpc.status.NOT_FOUND, error.message];
  return [grpc.status.INTERNAL, error instanceof Error ? error.message : String(error)];
}
