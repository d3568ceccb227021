/** A dataset that cannot be loaded: the message starts with the file or reference at fault. */
export class DataError extends Error {
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`${source}: ${detail}`);
    this.name = 'DataError';
  }
}
