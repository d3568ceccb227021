/** A checkpoint directory that cannot be read or trusted; `file` is the offending path inside it. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`checkpoint file ${file}: ${reason}`);
    this.name = 'CheckpointError';
  }
}
