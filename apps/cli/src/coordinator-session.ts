/**
 * A connection to the coordinator named by the environment (JVAE_COORDINATOR,
 * JVAE_TOKEN, JVAE_TLS_*), whose failures read as what the user should do.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { coordinatorClient, loadConfig, type CoordinatorConnection, type JvaeConfig } from '@jvae/protocol';

/** A failed coordinator call, explained; `code` is the gRPC status. */
export class CoordinatorError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'CoordinatorError';
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err;
}

/** The message a user needs for a failed call to the coordinator at `address`. */
export function explainCallError(err: unknown, address: string): unknown {
  if (!isServiceError(err)) return err;
  const details = err.details || err.message;
  switch (err.code) {
    case status.UNAVAILABLE:
      return new CoordinatorError(
        `cannot reach the coordinator at ${address} (${connectionProblem(details)}).\n` +
          `Start one with 'jvae up' (or run 'jvae demo'), or set JVAE_COORDINATOR to the address of a running one.`,
        err.code,
      );
    case status.UNAUTHENTICATED:
      return new CoordinatorError(`the coordinator at ${address} refused the call: ${details}. Set JVAE_TOKEN to its token.`, err.code);
    case status.DEADLINE_EXCEEDED:
      return new CoordinatorError(`the coordinator at ${address} did not answer in time (${details})`, err.code);
    default:
      return new CoordinatorError(details, err.code);
  }
}

/** The cause inside grpc-js's "No connection established. Last error: Error: connect ECONNREFUSED ..." text. */
export function connectionProblem(details: string): string {
  const cause = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(details);
  return cause?.[1] || details;
}

/**
 * Runs `use` with a connection to the configured coordinator and closes it after;
 * gRPC errors are rethrown as CoordinatorError with an explanation.
 */
export async function withCoordinator<T>(
  use: (connection: CoordinatorConnection, config: JvaeConfig) => Promise<T>,
  config: JvaeConfig = loadConfig(),
): Promise<T> {
  const connection = coordinatorClient(config.coordinator, { token: config.token, tls: config.tls });
  try {
    return await use(connection, config);
  } catch (err) {
    throw explainCallError(err, config.coordinator);
  } finally {
    connection.close();
  }
}
