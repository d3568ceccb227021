/** A sweep spec that cannot run; the message names the offending key path and why. */
export class SweepSpecError extends Error {
  /** Dotted key path in the spec (`parameters.temperature.min`); empty for the spec as a whole. */
  readonly path: string;
  readonly reason: string;
  /** Where the spec came from (a file name), when known. */
  readonly source: string | undefined;

  constructor(path: string, reason: string, source?: string) {
    super(`${source ? `${source}: ` : ''}${path || 'spec'}: ${reason}`);
    this.name = 'SweepSpecError';
    this.path = path;
    this.reason = reason;
    this.source = source;
  }

  /** The same error, attributed to a source file. */
  withSource(source: string): SweepSpecError {
    return new SweepSpecError(this.path, this.reason, source);
  }
}
