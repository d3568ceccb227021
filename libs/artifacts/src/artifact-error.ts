/**
 * Why a checkpoint could not be sent, received or stored:
 * - invalid: the manifest or the bytes break a rule (an unsafe path, a malformed digest, a
 *   chunk out of order, a size or SHA-256 that differs from the manifest, ...); sending the
 *   same again fails again;
 * - no-space: the disk or the quota is full (ENOSPC, EDQUOT); it may work once space is freed;
 * - storage: any other file-system failure; it may work later.
 */
export type ArtifactErrorReason = 'invalid' | 'no-space' | 'storage';

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

export class ArtifactError extends Error {
  constructor(
    readonly reason: ArtifactErrorReason,
    message: string,
    /** The checkpoint file at fault, when there is one. */
    readonly file?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ArtifactError';
  }

  /** A rule broken by the manifest or the stream; `file` names the file when one is at fault. */
  static invalid(problem: string, file?: string): ArtifactError {
    return new ArtifactError('invalid', file === undefined ? `checkpoint: ${problem}` : `checkpoint file '${file}': ${problem}`, file);
  }

  /**
   * `error` as an ArtifactError when it is a failure of the file system (a Node system error
   * such as ENOSPC or EIO) met while `doing` something; anything else is returned unchanged.
   */
  static fromSystem(error: unknown, doing: string): unknown {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (!(error instanceof Error) || typeof code !== 'string' || typeof (error as NodeJS.ErrnoException).syscall !== 'string') return error;
    return new ArtifactError(NO_SPACE.has(code) ? 'no-space' : 'storage', `checkpoint storage: ${doing}: ${error.message}`, undefined, {
      cause: error,
    });
  }
}
