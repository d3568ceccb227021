/** A downloaded checkpoint does not match its manifest (or the manifest is unusable); names the file. */
export class CheckpointIntegrityError extends Error {
  constructor(
    readonly checkpointId: string,
    readonly file: string,
    problem: string,
  ) {
    super(`checkpoint ${checkpointId || '(unnamed)'}: ${file}: ${problem}`);
    this.name = 'CheckpointIntegrityError';
  }
}
