/** A directory a checkpoint cannot be written to (writing would replace it, and it is not a checkpoint); `dir` is its path. */
export class CheckpointTargetError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`${dir}: ${reason}`);
    this.name = 'CheckpointTargetError';
  }
}
