/** A downloaded checkpoint that cannot be kept; `file` names the offending file when there is one. */
export class CheckpointDownloadError extends Error {
  constructor(
    readonly file: string | undefined,
    problem: string,
  ) {
    super(file ? `checkpoint file '${file}': ${problem}` : problem);
    this.name = 'CheckpointDownloadError';
  }
}
